// Authentication: argon2id passwords, administrators in RAM, sessions and their cookies, API
// tokens stored as hashes, and the login rate limit.

#include "auth/credentials.h"
#include "auth/loginlimiter.h"
#include "auth/password.h"
#include "auth/sessions.h"
#include "auth/tokens.h"
#include "crypto/sha256.h"
#include "db/database.h"

#include <QElapsedTimer>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <algorithm>
#include <atomic>
#include <future>
#include <thread>
#include <vector>

using namespace fazt;
using namespace fazt::auth;

namespace {

const QString admin = QStringLiteral("admin");

std::unique_ptr<db::Database> openDatabase(const QString &path) {
    auto db = db::Database::open(path);
    if (!db)
        qFatal("cannot open %s: %s", qPrintable(path), qPrintable(db.error().message));
    return std::move(*db);
}

// Returns once every write submitted before it has committed (the WriteQueue runs in order).
void waitForWrites(db::Database &db) {
    const Status done = db.writer().run([](db::Connection &) -> Status { return {}; });
    Q_UNUSED(done);
}

qint64 medianNanoseconds(std::vector<qint64> samples) {
    std::sort(samples.begin(), samples.end());
    return samples[samples.size() / 2];
}

bool looksLikeRandomToken(const QByteArray &token) {
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9_-]{43}$"));
    return pattern.match(QString::fromLatin1(token)).hasMatch();
}

} // namespace

class TestAuth : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<db::Database> m_db;

    db::Database &db() { return *m_db; }
    QString dbPath() const {
        QString name = QString::fromLatin1(QTest::currentTestFunction());
        if (QTest::currentDataTag())
            name += u'-' + QString::number(qHash(QByteArray(QTest::currentDataTag())));
        return m_dir.filePath(name + u".db");
    }

private Q_SLOTS:
    void init() { m_db = openDatabase(dbPath()); }
    void cleanup() { m_db.reset(); }

    // --- Passwords --------------------------------------------------------------------------

    void passwordHashVerifiesItsPassword() {
        const QByteArray hash = hashPassword("correct horse battery staple");
        QVERIFY2(hash.startsWith("$argon2id$v=19$m=19456,t=2,p=1$"), hash.constData());
        QVERIFY(verifyPassword(hash, "correct horse battery staple"));
    }

    void wrongPasswordDoesNotVerify() {
        const QByteArray hash = hashPassword("correct horse battery staple");
        QVERIFY(!verifyPassword(hash, "correct horse battery stapl"));
        QVERIFY(!verifyPassword(hash, "Correct horse battery staple"));
        QVERIFY(!verifyPassword(hash, ""));
    }

    void tamperedOrForeignHashDoesNotVerify() {
        const QByteArray password = "correct horse battery staple";
        QByteArray tampered = hashPassword(password);
        const qsizetype last = tampered.size() - 1;
        tampered[last] = tampered[last] == 'A' ? 'B' : 'A';
        QVERIFY(!verifyPassword(tampered, password));

        QByteArray otherSalt = hashPassword(password);
        const qsizetype saltStart = otherSalt.indexOf("$", otherSalt.indexOf("p=1")) + 1;
        otherSalt[saltStart] = otherSalt[saltStart] == 'A' ? 'B' : 'A';
        QVERIFY(!verifyPassword(otherSalt, password));

        QVERIFY(!verifyPassword(QByteArray(), password));
        QVERIFY(!verifyPassword("$argon2id$", password));
        QVERIFY(!verifyPassword("$2b$12$abcdefghijklmnopqrstuu5xCN8ZyC1xbT2aM0ig3.2d0kQmZCJ7a",
                                password));
        QVERIFY(!verifyPassword(password, password)); // a plaintext "hash" is not a match
    }

    void samePasswordHashesDifferently() {
        const QByteArray a = hashPassword("correct horse battery staple");
        const QByteArray b = hashPassword("correct horse battery staple");
        QVERIFY(a != b); // a fresh salt each time
        QVERIFY(verifyPassword(a, "correct horse battery staple"));
        QVERIFY(verifyPassword(b, "correct horse battery staple"));
    }

    void passwordLengthIsValidated() {
        QVERIFY(!validatePassword(QByteArray(7, 'x')));
        QVERIFY(validatePassword(QByteArray(8, 'x')));
        QVERIFY(validatePassword(QByteArray(1024, 'x')));
        const Status tooLong = validatePassword(QByteArray(1025, 'x'));
        QVERIFY(!tooLong);
        QCOMPARE(tooLong.error().code, Error::Code::Invalid);
        QVERIFY2(tooLong.error().message.contains(u"8 to 1024 bytes"),
                 qPrintable(tooLong.error().message));
        QVERIFY(!validatePassword(QByteArray()));
    }

    // --- Credentials ------------------------------------------------------------------------

    void credentialsVerifyTheSetPassword() {
        Credentials credentials(db());
        QVERIFY(credentials.load());
        QVERIFY(!credentials.hasUsers());
        QVERIFY(credentials.setPassword(admin, "first password"));
        QVERIFY(credentials.hasUsers());
        QVERIFY(credentials.verify(admin, "first password"));
        QVERIFY(!credentials.verify(admin, "wrong password"));
        QVERIFY(!credentials.verify(QStringLiteral("nobody"), "first password"));

        QVERIFY(credentials.setPassword(admin, "second password"));
        QVERIFY(!credentials.verify(admin, "first password"));
        QVERIFY(credentials.verify(admin, "second password"));
        QCOMPARE(*db().reader().queryInt("SELECT count(*) FROM users"), 1);
    }

    void credentialsSurviveRestart() {
        {
            Credentials credentials(db());
            QVERIFY(credentials.load());
            QVERIFY(credentials.setPassword(admin, "persisted password"));
        }
        m_db.reset();
        m_db = openDatabase(dbPath());
        Credentials credentials(db());
        QVERIFY(!credentials.hasUsers()); // nothing before load()
        QVERIFY(credentials.load());
        QVERIFY(credentials.hasUsers());
        QVERIFY(credentials.verify(admin, "persisted password"));

        auto row = db().reader().prepare("SELECT password_hash FROM users WHERE username = ?");
        QVERIFY(row);
        row->bindAll(admin);
        QVERIFY(row->next());
        QVERIFY(row->text(0).startsWith(u"$argon2id$"));
        QVERIFY(!row->text(0).contains(u"persisted password"));
    }

    void cliStoresPasswordWithoutCredentialsObject() {
        QVERIFY(Credentials::storePassword(db(), admin, "set from the cli"));
        QVERIFY(!Credentials::storePassword(db(), admin, "short"));
        Credentials credentials(db());
        QVERIFY(credentials.load());
        QVERIFY(credentials.verify(admin, "set from the cli"));
    }

    void unknownUserTakesAsLongAsWrongPassword() {
        Credentials credentials(db());
        QVERIFY(credentials.load());
        QVERIFY(credentials.setPassword(admin, "the real password"));
        std::vector<qint64> unknownUser, wrongPassword;
        QElapsedTimer timer;
        for (int i = 0; i < 5; ++i) { // interleaved, so load on the machine hits both alike
            timer.start();
            QVERIFY(!credentials.verify(QStringLiteral("nobody"), "the real password"));
            unknownUser.push_back(timer.nsecsElapsed());
            timer.start();
            QVERIFY(!credentials.verify(admin, "not the password"));
            wrongPassword.push_back(timer.nsecsElapsed());
        }
        const double ratio =
            double(medianNanoseconds(unknownUser)) / double(medianNanoseconds(wrongPassword));
        QVERIFY2(ratio > 0.5 && ratio < 2.0,
                 qPrintable(QStringLiteral("unknown user %1 ms, wrong password %2 ms")
                                .arg(double(medianNanoseconds(unknownUser)) / 1e6)
                                .arg(double(medianNanoseconds(wrongPassword)) / 1e6)));
        // Hashing dominates: this is not two fast paths that happen to be equal.
        QVERIFY(medianNanoseconds(wrongPassword) > 1'000'000);
    }

    void usernamesAreValidated_data() {
        QTest::addColumn<QString>("username");
        QTest::addColumn<bool>("isValid");
        QTest::newRow("simple") << QStringLiteral("admin") << true;
        QTest::newRow("punctuation") << QStringLiteral("ops.team_1-b") << true;
        QTest::newRow("64 chars") << QString(64, u'a') << true;
        QTest::newRow("empty") << QString() << false;
        QTest::newRow("65 chars") << QString(65, u'a') << false;
        QTest::newRow("uppercase") << QStringLiteral("Admin") << false;
        QTest::newRow("space") << QStringLiteral("the admin") << false;
        QTest::newRow("slash") << QStringLiteral("a/b") << false;
        QTest::newRow("non-ascii") << QStringLiteral("adm\u00efn") << false;
        QTest::newRow("nul") << QStringLiteral("adm") + QChar(u'\0') << false;
    }
    void usernamesAreValidated() {
        QFETCH(QString, username);
        QFETCH(bool, isValid);
        Credentials credentials(db());
        QVERIFY(credentials.load());
        const Status set = credentials.setPassword(username, "good password");
        QCOMPARE(bool(set), isValid);
        QCOMPARE(credentials.hasUsers(), isValid);
        QCOMPARE(*db().reader().queryInt("SELECT count(*) FROM users"), isValid ? 1 : 0);
        if (!isValid) {
            QCOMPARE(set.error().code, Error::Code::Invalid);
            QVERIFY(set.error().message.contains(u"1 to 64 characters"));
        }
    }

    void badPasswordKeepsTheOldOne() {
        Credentials credentials(db());
        QVERIFY(credentials.load());
        QVERIFY(credentials.setPassword(admin, "the old password"));
        const Status tooShort = credentials.setPassword(admin, "short");
        QVERIFY(!tooShort);
        QCOMPARE(tooShort.error().code, Error::Code::Invalid);
        QVERIFY(!credentials.setPassword(admin, QByteArray(1025, 'x')));
        QVERIFY(credentials.verify(admin, "the old password"));
        // Outside the valid length: refused without hashing, whoever the user.
        QVERIFY(!credentials.verify(admin, QByteArray(100'000, 'x')));
        Credentials reloaded(db());
        QVERIFY(reloaded.load());
        QVERIFY(reloaded.verify(admin, "the old password"));
    }

    // --- Sessions ---------------------------------------------------------------------------

    void sessionIsCreatedAndFound() {
        SessionStore store;
        const Session s = store.create(admin);
        QVERIFY(looksLikeRandomToken(s.id));
        QVERIFY(looksLikeRandomToken(s.csrfToken));
        QVERIFY(s.id != s.csrfToken);
        QCOMPARE(s.username, admin);
        QVERIFY(store.create(admin).id != s.id);
        const auto found = store.find(s.id);
        QVERIFY(found);
        QCOMPARE(found->username, admin);
        QCOMPARE(found->csrfToken, s.csrfToken);
        QVERIFY(!store.find("unknown"));
        QVERIFY(!store.find(QByteArray()));
        QCOMPARE(store.count(), 2);
    }

    void sessionExpiresWhenIdleAndSlidesWhenUsed() {
        qint64 now = 1'000'000;
        SessionStore store(SessionStore::Options{}, [&now] { return now; });
        QCOMPARE(store.options().idleTimeout, 12 * 3600);
        QCOMPARE(store.options().absoluteLifetime, 7 * 24 * 3600);
        const Session s = store.create(admin);
        QCOMPARE(s.createdAt, now);
        QCOMPARE(s.expiresAt, now + 12 * 3600);

        now += 12 * 3600 - 1;
        const auto used = store.find(s.id);
        QVERIFY(used);
        QCOMPARE(used->expiresAt, now + 12 * 3600); // use extends it

        now += 12 * 3600 - 1;
        QVERIFY(store.find(s.id));
        now += 12 * 3600;
        QVERIFY(!store.find(s.id)); // idle too long
        QCOMPARE(store.count(), 0); // and dropped
    }

    void sessionEndsAtItsAbsoluteLifetimeEvenWhenUsed() {
        qint64 now = 1'000'000;
        SessionStore::Options options;
        options.idleTimeout = 3600;
        options.absoluteLifetime = 5 * 3600;
        SessionStore store(options, [&now] { return now; });
        const qint64 start = now;
        const Session s = store.create(admin);
        QCOMPARE(s.absoluteExpiresAt, start + 5 * 3600);
        for (now = start + 3000; now < start + 5 * 3600; now += 3000) { // used before idle
            const auto found = store.find(s.id);
            QVERIFY(found);
            QVERIFY(found->expiresAt <= start + 5 * 3600);
        }
        now = start + 5 * 3600 - 1;
        QVERIFY(store.find(s.id));
        now = start + 5 * 3600;
        QVERIFY(!store.find(s.id));
    }

    void sessionRemovedOnLogout() {
        SessionStore store;
        const Session a = store.create(admin);
        const Session b = store.create(admin);
        store.remove(a.id);
        store.remove("not a session");
        QVERIFY(!store.find(a.id));
        QVERIFY(store.find(b.id));
        QCOMPARE(store.count(), 1);
    }

    void passwordChangeEndsThatUsersSessions() {
        SessionStore store;
        const Session a1 = store.create(admin);
        const Session a2 = store.create(admin);
        const Session other = store.create(QStringLiteral("other"));
        store.removeUser(admin);
        QVERIFY(!store.find(a1.id));
        QVERIFY(!store.find(a2.id));
        QVERIFY(store.find(other.id));
        QCOMPARE(store.count(), 1);
    }

    void sessionStoreKeepsAtMost10000AndDropsLeastRecentlyUsed() {
        SessionStore store;
        QCOMPARE(store.options().maxSessions, 10000);
        const Session first = store.create(admin);
        const Session second = store.create(admin);
        for (int i = 2; i < 10000; ++i)
            store.create(admin);
        QCOMPARE(store.count(), 10000);
        QVERIFY(store.find(first.id)); // used: now the most recent
        const Session newest = store.create(admin);
        QCOMPARE(store.count(), 10000);
        QVERIFY(!store.find(second.id)); // the least recently used went
        QVERIFY(store.find(first.id));
        QVERIFY(store.find(newest.id));
    }

    void expiredSessionsMakeRoomFirst() {
        qint64 now = 1'000'000;
        SessionStore::Options options;
        options.maxSessions = 3;
        SessionStore store(options, [&now] { return now; });
        store.create(admin);
        store.create(admin);
        now += options.idleTimeout;
        const Session live = store.create(admin);
        QCOMPARE(store.count(), 1); // the two expired ones were dropped, not counted
        QVERIFY(store.find(live.id));
    }

    void sessionCookieStringsAreExact() {
        Session s;
        s.id = "abcDEF123-_";
        s.createdAt = 1000;
        s.absoluteExpiresAt = 1000 + 7 * 24 * 3600;
        s.expiresAt = 1000 + 12 * 3600;
        QCOMPARE(sessionCookie(s, false),
                 QByteArray("fazt_session=abcDEF123-_; Path=/; HttpOnly; SameSite=Strict; "
                            "Max-Age=604800"));
        QCOMPARE(sessionCookie(s, true),
                 QByteArray("__Host-fazt_session=abcDEF123-_; Path=/; HttpOnly; SameSite=Strict; "
                            "Max-Age=604800; Secure"));
        QCOMPARE(clearedSessionCookie(false),
                 QByteArray("fazt_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0"));
        QCOMPARE(clearedSessionCookie(true),
                 QByteArray("__Host-fazt_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0; "
                            "Secure"));

        SessionStore store;
        const Session real = store.create(admin);
        QCOMPARE(
            sessionIdsFromCookieHeader(sessionCookie(real, true).split(';').first(), true).value(0),
            real.id);
        // Over HTTPS only the __Host- cookie counts; over HTTP only the plain one.
        QVERIFY(sessionIdsFromCookieHeader(sessionCookie(real, false).split(';').first(), true)
                    .isEmpty());
        QVERIFY(sessionIdsFromCookieHeader(sessionCookie(real, true).split(';').first(), false)
                    .isEmpty());
    }

    void sessionIdIsParsedFromCookieHeader_data() {
        QTest::addColumn<QByteArray>("header");
        QTest::addColumn<QByteArray>("id");
        const QByteArray id = "Zm9vYmFyYmF6cXV4cXV1eHF1dXhxdXV4cXV1eHF1dXg";
        QTest::newRow("alone") << QByteArray("fazt_session=" + id) << id;
        QTest::newRow("among others") << QByteArray("a=b; fazt_session=" + id + "; c=d") << id;
        QTest::newRow("no spaces") << QByteArray("a=b;fazt_session=" + id + ";c=d") << id;
        QTest::newRow("odd spacing")
            << QByteArray("  a=b ;\t fazt_session = " + id + " \t;x") << id;
        QTest::newRow("quoted") << QByteArray("fazt_session=\"" + id + "\"") << id;
        QTest::newRow("trailing semicolon") << QByteArray("fazt_session=" + id + ";") << id;
        QTest::newRow("garbage one first")
            << QByteArray("fazt_session=<script>; fazt_session=" + id) << id;
        QTest::newRow("name as a suffix") << QByteArray("xfazt_session=" + id) << QByteArray();
        QTest::newRow("name as a prefix") << QByteArray("fazt_session2=" + id) << QByteArray();
        QTest::newRow("empty value") << QByteArray("fazt_session=; a=b") << QByteArray();
        QTest::newRow("no equals") << QByteArray("fazt_session") << QByteArray();
        QTest::newRow("empty header") << QByteArray() << QByteArray();
        QTest::newRow("only separators") << QByteArray(";; ; ;") << QByteArray();
        QTest::newRow("bad characters") << QByteArray("fazt_session=abc%20def") << QByteArray();
        QTest::newRow("huge value")
            << QByteArray("fazt_session=" + QByteArray(100'000, 'a')) << QByteArray();
        QTest::newRow("value with equals") << QByteArray("fazt_session=a=b") << QByteArray();
    }
    void sessionIdIsParsedFromCookieHeader() {
        QFETCH(QByteArray, header);
        QFETCH(QByteArray, id);
        QCOMPARE(sessionIdsFromCookieHeader(header, false).value(0), id);
    }

    void csrfTokenMustMatchExactly() {
        SessionStore store;
        const Session s = store.create(admin);
        QVERIFY(csrfMatches(s, s.csrfToken));
        QVERIFY(!csrfMatches(s, QByteArray()));
        QVERIFY(!csrfMatches(s, s.csrfToken.chopped(1)));
        QVERIFY(!csrfMatches(s, QByteArray(s.csrfToken + 'x')));
        QByteArray flipped = s.csrfToken;
        flipped[0] = flipped[0] == 'a' ? 'b' : 'a';
        QVERIFY(!csrfMatches(s, flipped));
        QVERIFY(!csrfMatches(s, s.id));
        QVERIFY(!csrfMatches(Session{}, QByteArray())); // no token: never a match
    }

    // --- API tokens -------------------------------------------------------------------------

    void tokenIsShownOnceAndStoredOnlyAsItsHash() {
        TokenStore tokens(db());
        QVERIFY(tokens.load());
        const auto created = tokens.create(QStringLiteral("ci"), Scope::Deploy | Scope::Read);
        QVERIFY(created);
        const QByteArray token = created->first;
        const TokenInfo info = created->second;
        QVERIFY(token.startsWith("fazt_"));
        QVERIFY(looksLikeRandomToken(token.sliced(5)));
        QVERIFY(info.id > 0);
        QCOMPARE(info.name, QStringLiteral("ci"));
        QCOMPARE(info.scopes, Scope::Read | Scope::Deploy);
        QCOMPARE(info.lastUsedAt, 0);

        auto row = db().reader().prepare(
            "SELECT name, token_hash, scopes, last_used_at, revoked_at FROM api_tokens");
        QVERIFY(row);
        QVERIFY(row->next());
        QCOMPARE(row->blob(1), crypto::Sha256::hash(token));
        QVERIFY(row->blob(1) != token);
        QCOMPARE(row->text(2), QStringLiteral("read,deploy"));
        QVERIFY(row->isNull(3));
        QVERIFY(row->isNull(4));
        for (int column = 0; column < 5; ++column)
            QVERIFY(!row->blob(column).contains(token.sliced(5, 20)));
        QVERIFY(!row->next());

        // list() shows metadata only; a second create makes a different token.
        QCOMPARE(tokens.list().size(), 1);
        QCOMPARE(tokens.list().first().id, info.id);
        const auto another = tokens.create(QStringLiteral("ci"), Scope::Read);
        QVERIFY(another);
        QVERIFY(another->first != token);
    }

    void tokenAuthenticates() {
        TokenStore tokens(db());
        QVERIFY(tokens.load());
        const auto created = tokens.create(QStringLiteral("deployer"), Scope::Deploy);
        QVERIFY(created);
        const auto info = tokens.authenticate(created->first);
        QVERIFY(info);
        QCOMPARE(info->id, created->second.id);
        QCOMPARE(info->scopes, Scopes(Scope::Deploy));
        QVERIFY(info->lastUsedAt > 0);
    }

    void wrongOrMalformedTokenIsRefused_data() {
        QTest::addColumn<QByteArray>("presented");
        QTest::newRow("empty") << QByteArray();
        QTest::newRow("prefix only") << QByteArray("fazt_");
        QTest::newRow("random valid-looking")
            << QByteArray("fazt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        QTest::newRow("no prefix") << QByteArray(48, 'A');
        QTest::newRow("huge") << QByteArray(1 << 20, 'A');
        QTest::newRow("bad characters")
            << QByteArray("fazt_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!");
    }
    void wrongOrMalformedTokenIsRefused() {
        QFETCH(QByteArray, presented);
        TokenStore tokens(db());
        QVERIFY(tokens.load());
        const auto created = tokens.create(QStringLiteral("t"), Scope::Admin);
        QVERIFY(created);
        QVERIFY(!tokens.authenticate(presented));
        QByteArray altered = created->first;
        altered[10] = altered[10] == 'A' ? 'B' : 'A';
        QVERIFY(!tokens.authenticate(altered));
        QVERIFY(!tokens.authenticate(created->first.chopped(1)));
        QVERIFY(!tokens.authenticate(crypto::Sha256::hash(created->first))); // the stored hash
        QVERIFY(tokens.authenticate(created->first));
    }

    void revokedTokenStopsWorking() {
        TokenStore tokens(db());
        QVERIFY(tokens.load());
        const auto kept = tokens.create(QStringLiteral("kept"), Scope::Read);
        const auto revoked = tokens.create(QStringLiteral("revoked"), Scope::Read);
        QVERIFY(kept && revoked);
        QVERIFY(tokens.authenticate(revoked->first));
        QVERIFY(tokens.revoke(revoked->second.id));
        QVERIFY(!tokens.authenticate(revoked->first));
        QVERIFY(tokens.authenticate(kept->first));
        QCOMPARE(tokens.list().size(), 1);

        const Status again = tokens.revoke(revoked->second.id);
        QVERIFY(!again);
        QCOMPARE(again.error().code, Error::Code::NotFound);
        const Status unknown = tokens.revoke(9999);
        QVERIFY(!unknown);
        QCOMPARE(unknown.error().code, Error::Code::NotFound);

        auto row = db().reader().prepare("SELECT revoked_at FROM api_tokens WHERE id = ?");
        QVERIFY(row);
        row->bindAll(revoked->second.id);
        QVERIFY(row->next());
        QVERIFY(!row->isNull(0)); // the row stays, marked
    }

    void tokensSurviveRestart() {
        QByteArray kept, revoked;
        qint64 keptId = 0;
        {
            TokenStore tokens(db());
            QVERIFY(tokens.load());
            const auto a = tokens.create(QStringLiteral("kept"), Scope::Deploy | Scope::Read);
            const auto b = tokens.create(QStringLiteral("revoked"), Scope::Admin);
            QVERIFY(a && b);
            kept = a->first;
            keptId = a->second.id;
            revoked = b->first;
            QVERIFY(tokens.revoke(b->second.id));
        }
        m_db.reset();
        m_db = openDatabase(dbPath());
        TokenStore tokens(db());
        QVERIFY(tokens.load());
        const auto info = tokens.authenticate(kept);
        QVERIFY(info);
        QCOMPARE(info->id, keptId);
        QCOMPARE(info->name, QStringLiteral("kept"));
        QCOMPARE(info->scopes, Scope::Read | Scope::Deploy);
        QVERIFY(!tokens.authenticate(revoked));
        QCOMPARE(tokens.list().size(), 1);
    }

    // `fazt server create-token` writes to the file of a running server: its token works at
    // its first use there, not only after the server reloads its tokens.
    void tokenMadeByAnotherStoreWorksAtItsFirstUse() {
        TokenStore server(db());
        QVERIFY(server.load());
        TokenStore elsewhere(db());
        const auto created =
            elsewhere.create(QStringLiteral("cli"), Scope::Deploy, {QStringLiteral("blog")});
        QVERIFY(created);
        const auto info = server.authenticate(created->first);
        QVERIFY(info);
        QCOMPARE(info->id, created->second.id);
        QCOMPARE(info->scopes, Scope::Deploy);
        QCOMPARE(info->sites, QStringList{QStringLiteral("blog")});
        QCOMPARE(server.list().size(), 1); // in RAM from now on
        QVERIFY(elsewhere.revoke(created->second.id));
        const auto revokedElsewhere = elsewhere.create(QStringLiteral("gone"), Scope::Read);
        QVERIFY(revokedElsewhere && elsewhere.revoke(revokedElsewhere->second.id));
        QVERIFY(!server.authenticate(revokedElsewhere->first));
        QVERIFY(!server.authenticate(QByteArray("fazt_").append(QByteArray(43, 'A'))));
    }

    void tokenNeedsANameAndAScope() {
        TokenStore tokens(db());
        QVERIFY(tokens.load());
        QVERIFY(tokens.create(QString(100, u'n'), Scope::Read));
        for (const QString &bad : {QString(), QStringLiteral("   "), QString(101, u'n')}) {
            const auto created = tokens.create(bad, Scope::Read);
            QVERIFY(!created);
            QCOMPARE(created.error().code, Error::Code::Invalid);
        }
        const auto noScope = tokens.create(QStringLiteral("none"), Scopes());
        QVERIFY(!noScope);
        QCOMPARE(noScope.error().code, Error::Code::Invalid);
        QCOMPARE(*db().reader().queryInt("SELECT count(*) FROM api_tokens"), 1);
    }

    void scopesParseAndFormat_data() {
        QTest::addColumn<QString>("text");
        QTest::addColumn<int>("scopes");
        QTest::addColumn<QString>("formatted");
        QTest::newRow("read") << QStringLiteral("read") << int(Scope::Read)
                              << QStringLiteral("read");
        QTest::newRow("two") << QStringLiteral("deploy,read") << int(Scope::Read | Scope::Deploy)
                             << QStringLiteral("read,deploy");
        QTest::newRow("spaces") << QStringLiteral(" read , deploy ")
                                << int(Scope::Read | Scope::Deploy)
                                << QStringLiteral("read,deploy");
        QTest::newRow("repeated") << QStringLiteral("read,read") << int(Scope::Read)
                                  << QStringLiteral("read");
        QTest::newRow("all") << QStringLiteral("admin,deploy,read")
                             << int(Scope::Read | Scope::Deploy | Scope::Admin)
                             << QStringLiteral("read,deploy,admin");
    }
    void scopesParseAndFormat() {
        QFETCH(QString, text);
        QFETCH(int, scopes);
        QFETCH(QString, formatted);
        const Result<Scopes> parsed = parseScopes(text);
        QVERIFY(parsed);
        QCOMPARE(parsed->toInt(), scopes);
        QCOMPARE(formatScopes(*parsed), formatted);
    }

    void unknownScopeIsNamedInTheError() {
        const Result<Scopes> unknown = parseScopes(u"read,delete");
        QVERIFY(!unknown);
        QCOMPARE(unknown.error().code, Error::Code::Invalid);
        QVERIFY2(unknown.error().message.contains(u"'delete'"),
                 qPrintable(unknown.error().message));
        QVERIFY(!parseScopes(u"Read"));  // names are lowercase
        QVERIFY(!parseScopes(u""));      // at least one
        QVERIFY(!parseScopes(u"read,")); // no empty names
    }

    void scopesAreOrderedReadDeployAdmin() {
        QVERIFY(TokenStore::allows(Scope::Read, Scope::Read));
        QVERIFY(!TokenStore::allows(Scope::Read, Scope::Deploy));
        QVERIFY(!TokenStore::allows(Scope::Read, Scope::Admin));
        QVERIFY(TokenStore::allows(Scope::Deploy, Scope::Deploy));
        QVERIFY(TokenStore::allows(Scope::Deploy, Scope::Read)); // deploy includes read
        QVERIFY(!TokenStore::allows(Scope::Deploy, Scope::Admin));
        QVERIFY(!TokenStore::allows(Scope::Read | Scope::Deploy, Scope::Admin));
        QVERIFY(TokenStore::allows(Scope::Admin, Scope::Read));
        QVERIFY(TokenStore::allows(Scope::Admin, Scope::Deploy));
        QVERIFY(TokenStore::allows(Scope::Admin, Scope::Admin));
        QVERIFY(!TokenStore::allows(Scopes(), Scope::Read));
    }

    void lastUseIsWrittenAtMostOncePerMinute() {
        qint64 now = 1'700'000'000;
        TokenStore tokens(db(), [&now] { return now; });
        QVERIFY(tokens.load());
        const auto created = tokens.create(QStringLiteral("t"), Scope::Read);
        QVERIFY(created);
        const auto lastUsedInDatabase = [this, id = created->second.id]() -> qint64 {
            waitForWrites(db());
            auto row = db().reader().prepare("SELECT last_used_at FROM api_tokens WHERE id = ?");
            row->bindAll(id);
            row->next();
            return row->isNull(0) ? 0 : row->int64(0);
        };
        const qint64 first = now;
        QVERIFY(tokens.authenticate(created->first));
        QCOMPARE(lastUsedInDatabase(), first);

        now += 30;
        const auto second = tokens.authenticate(created->first);
        QVERIFY(second);
        QCOMPARE(second->lastUsedAt, now);     // RAM knows
        QCOMPARE(lastUsedInDatabase(), first); // the database was spared

        now += 30;
        QVERIFY(tokens.authenticate(created->first));
        QCOMPARE(lastUsedInDatabase(), now); // a minute after the last write
        QCOMPARE(tokens.list().first().lastUsedAt, now);
    }

    // A revoke forgets the token in RAM, then writes revoked_at. A use of the token in between
    // finds it missing from RAM and reads the database, where it is still active: it must not
    // come back, neither then nor after the write.
    void aTokenReadBackDuringItsRevocationStaysRevoked() {
        TokenStore tokens(db());
        QVERIFY(tokens.load());
        const auto victim = tokens.create(QStringLiteral("victim"), Scope::Read);
        QVERIFY(victim);
        QVERIFY(tokens.authenticate(victim->first));
        // Hold the writer, so the revocation's write waits behind this job.
        std::promise<void> release;
        std::shared_future<void> released = release.get_future().share();
        std::atomic<bool> isHeld{false};
        (void)db().writer().submit([released, &isHeld](db::Connection &) -> Status {
            isHeld = true;
            released.wait();
            return {};
        });
        QTRY_VERIFY(isHeld.load());
        std::atomic<bool> isRevoked{false};
        std::thread revoking([&] { isRevoked = bool(tokens.revoke(victim->second.id)); });
        // Forgotten in RAM, still active in the database: the use reads it.
        QElapsedTimer timer;
        timer.start();
        while (!tokens.list().isEmpty() && timer.elapsed() < 5000)
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        const bool isForgotten = tokens.list().isEmpty();
        const bool cameBack = tokens.authenticate(victim->first).has_value();
        release.set_value();
        revoking.join();
        QVERIFY(isForgotten);
        QVERIFY(!cameBack);
        QVERIFY(isRevoked.load());
        QVERIFY(!tokens.authenticate(victim->first));
        TokenStore reloaded(db());
        QVERIFY(reloaded.load());
        QVERIFY(!reloaded.authenticate(victim->first));
    }

    void tokensAuthenticateInParallelWhileOthersChange() {
        TokenStore tokens(db());
        QVERIFY(tokens.load());
        const auto stable = tokens.create(QStringLiteral("stable"), Scope::Deploy);
        const auto victim = tokens.create(QStringLiteral("victim"), Scope::Read);
        QVERIFY(stable && victim);

        std::atomic<int> wrong{0};
        std::atomic<int> victimAfterRevoke{0};
        std::atomic<bool> isVictimRevoked{false};
        std::vector<std::thread> threads;
        for (int t = 0; t < 8; ++t) {
            threads.emplace_back([&] {
                bool sawVictimGone = false;
                for (int i = 0; i < 10000; ++i) {
                    const auto info = tokens.authenticate(stable->first);
                    if (!info || info->id != stable->second.id || info->scopes != Scope::Deploy)
                        ++wrong;
                    const bool revokedBefore = isVictimRevoked.load();
                    const bool victimWorks = tokens.authenticate(victim->first).has_value();
                    if (victimWorks && (sawVictimGone || revokedBefore))
                        ++victimAfterRevoke; // once gone, gone for good
                    sawVictimGone = sawVictimGone || !victimWorks;
                }
            });
        }
        // Meanwhile: create and revoke (no QVERIFY here: it would return with threads running).
        int created = 0, changeFailures = 0;
        for (int i = 0; i < 20; ++i) {
            const auto extra = tokens.create(QStringLiteral("extra %1").arg(i), Scope::Read);
            if (!extra || !tokens.authenticate(extra->first)) {
                ++changeFailures;
                continue;
            }
            ++created;
            if (i % 2 == 0 && !tokens.revoke(extra->second.id))
                ++changeFailures;
            if (i == 10) {
                changeFailures += tokens.revoke(victim->second.id) ? 0 : 1;
                isVictimRevoked = true;
            }
        }
        for (std::thread &thread : threads)
            thread.join();
        QCOMPARE(changeFailures, 0);
        QCOMPARE(wrong.load(), 0);
        QCOMPARE(victimAfterRevoke.load(), 0);
        QVERIFY(!tokens.authenticate(victim->first));
        QCOMPARE(tokens.list().size(), 1 + created / 2); // stable + the odd extras
        waitForWrites(db());
        QCOMPARE(
            *db().reader().queryInt("SELECT count(*) FROM api_tokens WHERE revoked_at IS NULL"),
            qint64(tokens.list().size()));
    }

    // --- Login rate limit -------------------------------------------------------------------

    void loginLimiterAllowsABurstThenOneEvery12Seconds() {
        qint64 now = 1'000'000;
        LoginLimiter limiter(LoginLimiter::Options{}, [&now] { return now; });
        const QString peer = QStringLiteral("192.0.2.7");
        for (int i = 0; i < 5; ++i) {
            QVERIFY2(!limiter.retryAfterSeconds(peer), qPrintable(QString::number(i)));
            limiter.recordFailure(peer);
        }
        QCOMPARE(limiter.retryAfterSeconds(peer), std::optional<int>(12));
        QVERIFY(!limiter.retryAfterSeconds(QStringLiteral("192.0.2.8"))); // per address

        now += 5;
        QCOMPARE(limiter.retryAfterSeconds(peer), std::optional<int>(7));
        now += 7;
        QVERIFY(!limiter.retryAfterSeconds(peer)); // one attempt refilled
        limiter.recordFailure(peer);
        QCOMPARE(limiter.retryAfterSeconds(peer), std::optional<int>(12));

        // Failures recorded while refused do not make the wait longer than one interval.
        limiter.recordFailure(peer);
        limiter.recordFailure(peer);
        QCOMPARE(limiter.retryAfterSeconds(peer), std::optional<int>(12));

        now += 5 * 12; // a full bucket again
        for (int i = 0; i < 5; ++i) {
            QVERIFY(!limiter.retryAfterSeconds(peer));
            limiter.recordFailure(peer);
        }
        QVERIFY(limiter.retryAfterSeconds(peer));
    }

    void loginSuccessClearsTheAddress() {
        qint64 now = 1'000'000;
        LoginLimiter limiter(LoginLimiter::Options{}, [&now] { return now; });
        const QString peer = QStringLiteral("2001:db8::");
        for (int i = 0; i < 5; ++i)
            limiter.recordFailure(peer);
        QVERIFY(limiter.retryAfterSeconds(peer));
        limiter.recordSuccess(peer);
        QVERIFY(!limiter.retryAfterSeconds(peer));
        QCOMPARE(limiter.count(), 0);
        limiter.recordSuccess(QStringLiteral("never seen"));
    }

    void loginLimiterMemoryIsBounded() {
        QCOMPARE(LoginLimiter().options().maxAddresses, 100000);
        qint64 now = 1'000'000;
        LoginLimiter::Options options;
        options.maxAddresses = 3;
        LoginLimiter limiter(options, [&now] { return now; });
        const auto block = [&](const QString &peer) {
            for (int i = 0; i < 5; ++i)
                limiter.recordFailure(peer);
        };
        block(QStringLiteral("a"));
        block(QStringLiteral("b"));
        block(QStringLiteral("c"));
        limiter.recordFailure(QStringLiteral("a")); // a failed most recently: b is the oldest
        block(QStringLiteral("d"));
        QCOMPARE(limiter.count(), 3);
        QVERIFY(!limiter.retryAfterSeconds(QStringLiteral("b"))); // forgotten
        QVERIFY(limiter.retryAfterSeconds(QStringLiteral("a")));
        QVERIFY(limiter.retryAfterSeconds(QStringLiteral("c")));
        QVERIFY(limiter.retryAfterSeconds(QStringLiteral("d")));

        LoginLimiter big(LoginLimiter::Options{}, [&now] { return now; });
        for (int i = 0; i < 100'010; ++i)
            big.recordFailure(QString::number(i));
        QCOMPARE(big.count(), 100000);
    }
};

QTEST_GUILESS_MAIN(TestAuth)
#include "tst_auth.moc"
