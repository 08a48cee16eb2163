// Where the console keeps its API tokens, and the tokens it makes on servers: the keychain or,
// without one, a private file that outlives the console; adding a server again replaces its
// token; a password re-add leaves one console token on the server; the Tokens panel's model
// lists and revokes. Against a real `fazt` on loopback.

#include "client/apiclient.h"
#include "consoleserver.h"
#include "secretstore.h"
#include "serverlistmodel.h"
#include "tokensmodel.h"

#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonArray>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

using namespace fazt;
using namespace fazt::console;
using fazt::test::ConsoleServer;

class TestConsoleTokens : public QObject {
    Q_OBJECT

    ConsoleServer m_server;
    QTemporaryDir m_scratch;

    // The tokens on the server, as GET /api/tokens lists them.
    QJsonArray serverTokens() {
        client::ApiClient api;
        if (!api.setServer(m_server.url()))
            return {};
        api.setToken(m_server.token());
        const auto listed = client::waitFor<QJsonObject>([&](auto done) {
            api.call("GET", QStringLiteral("/api/tokens"), QString(), {}, done);
        });
        return listed ? listed->value(QStringLiteral("tokens")).toArray() : QJsonArray();
    }

    qsizetype consoleTokenCount() {
        qsizetype count = 0;
        for (const QJsonValue &t : serverTokens())
            count += t.toObject().value(QStringLiteral("name")).toString() ==
                     ServerListModel::consoleTokenName();
        return count;
    }

    static QByteArray readSecret(SecretStore &store, const QString &key) {
        std::optional<QByteArray> secret;
        store.read(key, [&](Result<QByteArray> r) { secret = r ? *r : QByteArray(); });
        if (!QTest::qWaitFor([&] { return secret.has_value(); }, 10000))
            return {};
        return *secret;
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        qunsetenv("DBUS_SESSION_BUS_ADDRESS"); // no secret service, as on servers and CI
        QVERIFY(m_scratch.isValid());
        QVERIFY2(m_server.start(), "the fazt server did not start");
    }

    void init() {
        QSettings().clear();
        QFile::remove(FileSecretStore::defaultPath());
    }

    void loginObtainsATokenAndForgetsThePassword() {
        MemorySecretStore store;
        ServerListModel servers;
        servers.setSecretStore(&store);
        QSignalSpy added(&servers, &ServerListModel::serverAdded);
        QSignalSpy failed(&servers, &ServerListModel::addFailed);
        servers.addServerWithLogin(QStringLiteral("By password"), m_server.url(),
                                   QStringLiteral("admin"), QStringLiteral("wrong password"));
        QVERIFY(failed.wait(10000));
        QCOMPARE(failed.first().first().toString(), QStringLiteral("Wrong username or password."));

        servers.addServerWithLogin(QStringLiteral("By password"), m_server.url(),
                                   QStringLiteral("admin"),
                                   QString::fromLatin1(ConsoleServer::password));
        QVERIFY(added.wait(10000));
        QByteArray token;
        store.read(ServerListModel::secretKeyFor(m_server.url()),
                   [&](Result<QByteArray> r) { token = r ? *r : QByteArray(); });
        QTRY_VERIFY(!token.isEmpty());
        QVERIFY(token != ConsoleServer::password);
        // The stored secret is a working API token.
        client::ApiClient api;
        QVERIFY(api.setServer(m_server.url()));
        api.setToken(token);
        const auto sites =
            client::waitFor<QList<client::Site>>([&](auto done) { api.sites(done); });
        QVERIFY2(sites, qPrintable(sites ? QString() : sites.error().message));
        QTRY_COMPARE(servers.index(0).data(ServerListModel::StateRole).toInt(),
                     int(ServerListModel::State::Ready));
    }

    // Each password re-add used to leave one more admin token on the server: the console now
    // revokes the ones it made before, and the row keeps working with the new one.
    void passwordAddedAgainReplacesTheConsolesToken() {
        MemorySecretStore store;
        ServerListModel servers;
        servers.setSecretStore(&store);
        QSignalSpy added(&servers, &ServerListModel::serverAdded);
        QSignalSpy failed(&servers, &ServerListModel::addFailed);
        for (int i = 0; i < 3; ++i) {
            servers.addServerWithLogin(QString(), m_server.url(), QStringLiteral("admin"),
                                       QString::fromLatin1(ConsoleServer::password));
            QVERIFY(added.wait(10000));
            QCOMPARE(added.last().first().toInt(), 0);
        }
        QCOMPARE(failed.size(), 0);
        QCOMPARE(servers.rowCount(), 1);
        QCOMPARE(consoleTokenCount(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(servers.index(0).data(ServerListModel::StateRole).toInt(),
                                  int(ServerListModel::State::Ready), 15000);
    }

    // A console restarted without its token (a keychain that lost it) shows the server as
    // "No token"; adding it again fills the token in on the same row instead of refusing.
    void aServerWithoutItsTokenCanBeAddedAgain() {
        {
            MemorySecretStore store;
            ServerListModel servers;
            servers.setSecretStore(&store);
            QSignalSpy added(&servers, &ServerListModel::serverAdded);
            servers.addServer(QStringLiteral("Mine"), m_server.url(),
                              QString::fromLatin1(m_server.token()));
            QVERIFY(added.wait(10000));
        }
        MemorySecretStore empty; // the token is gone
        ServerListModel servers;
        servers.setSecretStore(&empty);
        QSignalSpy loaded(&servers, &ServerListModel::loaded);
        servers.load();
        QVERIFY(loaded.wait(5000));
        QCOMPARE(servers.rowCount(), 1);
        QCOMPARE(servers.index(0).data(ServerListModel::StateRole).toInt(),
                 int(ServerListModel::State::NoToken));
        QObject *client = servers.currentClient();

        QSignalSpy added(&servers, &ServerListModel::serverAdded);
        QSignalSpy failed(&servers, &ServerListModel::addFailed);
        servers.addServer(QString(), m_server.url(), QString::fromLatin1(m_server.token()));
        QVERIFY(added.wait(10000));
        QCOMPARE(failed.size(), 0);
        QCOMPARE(servers.rowCount(), 1);
        QCOMPARE(servers.currentClient(), client); // the pages keep their client
        QCOMPARE(servers.index(0).data(ServerListModel::NameRole).toString(),
                 QStringLiteral("Mine"));
        QTRY_COMPARE(servers.index(0).data(ServerListModel::StateRole).toInt(),
                     int(ServerListModel::State::Ready));
        QCOMPARE(readSecret(empty, ServerListModel::secretKeyFor(m_server.url())),
                 m_server.token());
    }

    // Without a secret service (as here) tokens go to a file only the user can read, and a
    // restarted console finds them there.
    void withoutAKeychainTokensOutliveTheConsoleInAPrivateFile() {
        const QString path = m_scratch.filePath(QStringLiteral("config/fazt/tokens.json"));
        {
            KeychainSecretStore keychain(QStringLiteral("Fazt Console tests"), path);
            QSignalSpy unavailable(&keychain, &KeychainSecretStore::keychainUnavailable);
            std::optional<Status> written;
            keychain.write(QStringLiteral("k"), "secret", [&](Status s) { written = s; });
            QTRY_VERIFY_WITH_TIMEOUT(written.has_value(), 30000);
            QVERIFY2(written->ok(),
                     qPrintable(written->ok() ? QString() : written->error().message));
            QCOMPARE(unavailable.size(), 1);
            QVERIFY(keychain.isPersistent());
        }
        const QFileDevice::Permissions others = QFileDevice::ReadGroup | QFileDevice::WriteGroup |
                                                QFileDevice::ExeGroup | QFileDevice::ReadOther |
                                                QFileDevice::WriteOther | QFileDevice::ExeOther;
        QCOMPARE(QFileInfo(path).permissions() & ~(QFileDevice::ReadUser | QFileDevice::WriteUser),
                 QFileDevice::ReadOwner | QFileDevice::WriteOwner); // 0600
        QCOMPARE(QFileInfo(QFileInfo(path).absolutePath()).permissions() & others,
                 QFileDevice::Permissions()); // 0700
        KeychainSecretStore restarted(QStringLiteral("Fazt Console tests"), path);
        QCOMPARE(readSecret(restarted, QStringLiteral("k")), QByteArray("secret"));

        // The console itself: the message names the file, and a restart finds the server ready.
        {
            ServerListModel servers;
            QSignalSpy added(&servers, &ServerListModel::serverAdded);
            servers.addServer(QString(), m_server.url(), QString::fromLatin1(m_server.token()));
            QVERIFY(added.wait(30000));
            QVERIFY(servers.keychainMessage().contains(FileSecretStore::defaultPath()));
        }
        ServerListModel again;
        QSignalSpy loaded(&again, &ServerListModel::loaded);
        again.load();
        QVERIFY(loaded.wait(30000));
        QCOMPARE(again.rowCount(), 1);
        QTRY_COMPARE_WITH_TIMEOUT(again.index(0).data(ServerListModel::StateRole).toInt(),
                                  int(ServerListModel::State::Ready), 10000);

        // A damaged file is an error that says what to do, not an empty list.
        QVERIFY(test::writeFile(path, "{not json"));
        FileSecretStore damaged(path);
        std::optional<Result<QByteArray>> read;
        damaged.read(QStringLiteral("k"), [&](Result<QByteArray> r) { read = r; });
        QTRY_VERIFY(read.has_value());
        QVERIFY(!*read);
        QVERIFY(read->error().message.contains(u"damaged"));
    }

    void tokensAreListedAndRevokedFromTheConsole() {
        client::ApiClient api;
        QVERIFY(api.setServer(m_server.url()));
        api.setToken(m_server.token());
        const auto created = client::waitFor<client::CreatedToken>([&](auto done) {
            api.createToken(QStringLiteral("ci-to-revoke"), {QStringLiteral("deploy")}, done);
        });
        QVERIFY(created);

        TokensModel tokens;
        QSignalSpy changed(&tokens, &TokensModel::tokensChanged);
        tokens.setClient(&api);
        const auto names = [&] {
            QStringList list;
            for (const QVariant &t : tokens.tokens())
                list.append(t.toMap().value(QStringLiteral("name")).toString());
            return list;
        };
        QTRY_VERIFY(names().contains(u"ci-to-revoke"));
        QVERIFY(names().contains(u"console-test"));
        for (const QVariant &t : tokens.tokens()) {
            const QVariantMap token = t.toMap();
            QVERIFY(!token.contains(QStringLiteral("token"))); // never a secret
            if (token.value(QStringLiteral("name")).toString() == u"ci-to-revoke")
                QCOMPARE(token.value(QStringLiteral("scopes")).toString(),
                         QStringLiteral("deploy"));
        }

        QSignalSpy revoked(&tokens, &TokensModel::revoked);
        tokens.revoke(created->id);
        QVERIFY(revoked.wait(10000));
        QTRY_VERIFY(!names().contains(u"ci-to-revoke"));
        QVERIFY(names().contains(u"console-test"));
        QVERIFY(tokens.error().isEmpty());

        tokens.revoke(987654); // no such token: the server's words
        QTRY_VERIFY(!tokens.error().isEmpty());
    }
};

QTEST_MAIN(TestConsoleTokens)
#include "tst_consoletokens.moc"
