#include "auth/credentials.h"

#include "auth/password.h"
#include "auth/securerandom.h"
#include "db/database.h"

#include <QDateTime>

#include <algorithm>

namespace fazt::auth {

namespace {

// The hash an unknown username is checked against: same parameters as a real one, for a
// random password nobody knows, made once per process.
const QByteArray &dummyHash() {
    static const QByteArray hash = hashPassword(secureRandomToken());
    return hash;
}

} // namespace

Credentials::Credentials(db::Database &database)
    : m_database(database) {
    dummyHash();
}

Status Credentials::load() {
    auto stmt = m_database.reader().prepare("SELECT username, password_hash FROM users");
    if (!stmt)
        return stmt.error();
    QHash<QString, QByteArray> hashes;
    while (stmt->next())
        hashes.insert(stmt->text(0), stmt->text(1).toUtf8());
    if (stmt->error())
        return *stmt->error();
    QWriteLocker lock(&m_lock);
    m_hashes = std::move(hashes);
    return {};
}

Status Credentials::validateUsername(const QString &username) {
    const auto isAllowed = [](QChar ch) {
        return (ch >= u'a' && ch <= u'z') || (ch >= u'0' && ch <= u'9') || ch == u'.' ||
               ch == u'_' || ch == u'-';
    };
    if (username.isEmpty() || username.size() > 64 ||
        !std::all_of(username.begin(), username.end(), isAllowed))
        return Error::invalid(QStringLiteral("A username must have 1 to 64 characters, each a "
                                             "lowercase letter, a digit, '.', '_' or '-'."));
    return {};
}

Result<QByteArray> Credentials::writePassword(db::Database &database, const QString &username,
                                              QByteArrayView password) {
    if (Status s = validateUsername(username); !s)
        return s.error();
    if (Status s = validatePassword(password); !s)
        return s.error();
    QByteArray hash = hashPassword(password);
    if (hash.isEmpty())
        return Error::internal(
            QStringLiteral("Could not hash the password (out of memory?). Try again."));
    Status stored = database.writer().run([username, hash](db::Connection &c) -> Status {
        auto stmt =
            c.prepare("INSERT INTO users(username, password_hash, created_at, updated_at) "
                      "VALUES (?, ?, ?, ?) ON CONFLICT(username) DO UPDATE SET "
                      "password_hash = excluded.password_hash, updated_at = excluded.updated_at");
        if (!stmt)
            return stmt.error();
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        return stmt->bind(1, username).bindText(2, hash).bind(3, now).bind(4, now).exec();
    });
    if (!stored)
        return stored.error();
    return hash;
}

Status Credentials::storePassword(db::Database &database, const QString &username,
                                  QByteArrayView password) {
    if (auto written = writePassword(database, username, password); !written)
        return written.error();
    return {};
}

Status Credentials::setPassword(const QString &username, QByteArrayView password) {
    auto written = writePassword(m_database, username, password);
    if (!written)
        return written.error();
    QWriteLocker lock(&m_lock);
    m_hashes.insert(username, *written);
    return {};
}

bool Credentials::hasUsers() const {
    QReadLocker lock(&m_lock);
    return !m_hashes.isEmpty();
}

bool Credentials::verify(const QString &username, QByteArrayView password) const {
    if (!validatePassword(password))
        return false;
    m_passwordChecks.fetch_add(1, std::memory_order_relaxed);
    QByteArray hash;
    {
        QReadLocker lock(&m_lock);
        hash = m_hashes.value(username);
    }
    if (hash.isEmpty()) {
        verifyPassword(dummyHash(), password);
        return false;
    }
    return verifyPassword(hash, password);
}

} // namespace fazt::auth
