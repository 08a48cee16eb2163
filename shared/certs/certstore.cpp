#include "certs/certstore.h"

#include "crypto/secretbox.h"
#include "db/database.h"

#include <QDateTime>

namespace fazt::certs {

namespace {

qint64 now() {
    return QDateTime::currentSecsSinceEpoch();
}

Status checkKey(const QString &key) {
    if (key.isEmpty() || key.size() > 1024)
        return Error::invalid(QStringLiteral("A certificate storage key must have 1 to 1024 "
                                             "characters."));
    return {};
}

// Private keys are sealed when an encryption key is configured (crypto::SecretBox).
Result<QByteArray> sealedIfPrivate(const QByteArray &value) {
    return value.contains("PRIVATE KEY") ? crypto::SecretBox::sealIfConfigured(value)
                                         : Result<QByteArray>(value);
}

const QString CertificatePrefix = QStringLiteral("certs/");
const QString ChainSuffix = QStringLiteral("/chain.pem");

} // namespace

QString CertStore::certificatePrefix() {
    return CertificatePrefix;
}

QString CertStore::chainKey(const QString &name) {
    return CertificatePrefix + name + ChainSuffix;
}

QString CertStore::privateKeyKey(const QString &name) {
    return CertificatePrefix + name + QStringLiteral("/key.pem");
}

QString CertStore::nameOfChainKey(const QString &key) {
    if (!key.startsWith(CertificatePrefix) || !key.endsWith(ChainSuffix) ||
        key.size() <= CertificatePrefix.size() + ChainSuffix.size())
        return {};
    return key.mid(CertificatePrefix.size(),
                   key.size() - CertificatePrefix.size() - ChainSuffix.size());
}

QString CertStore::challengeKey(QByteArrayView token) {
    return QStringLiteral("acme-challenges/") + QString::fromLatin1(token);
}

QString CertStore::localCaKeyKey() {
    return QStringLiteral("local-ca/key.pem");
}

QString CertStore::localCaCertificateKey() {
    return QStringLiteral("local-ca/cert.pem");
}

QString CertStore::acmeAccountKey(const QString &host, int port) {
    // One account per CA: the directory's host and port name it.
    return QStringLiteral("acme/%1-%2/account.key").arg(host).arg(port);
}

CertStore::CertStore(db::Database &database)
    : m_database(database) {}

Status CertStore::store(const QString &key, const QByteArray &value) {
    return storeAll({{key, value}});
}

Status CertStore::storeAll(const QList<QPair<QString, QByteArray>> &values) {
    QList<QPair<QString, QByteArray>> rows;
    for (const auto &[key, value] : values) {
        if (Status s = checkKey(key); !s)
            return s;
        const Result<QByteArray> stored = sealedIfPrivate(value);
        if (!stored)
            return stored.error();
        rows.append({key, *stored});
    }
    // One job of the WriteQueue is one savepoint: if any row fails, none is kept.
    return m_database.writer().run([rows](db::Connection &c) -> Status {
        auto stmt = c.prepare("INSERT INTO certificates(key, value, updated_at) VALUES (?, ?, ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                              "updated_at = excluded.updated_at");
        if (!stmt)
            return stmt.error();
        for (const auto &[key, value] : rows) {
            if (Status s = stmt->bind(1, key).bindBlob(2, value).bind(3, now()).exec(); !s)
                return s;
        }
        return {};
    });
}

Status CertStore::storeCertificate(const QString &name, const QByteArray &privateKeyPem,
                                   const QByteArray &chainPem) {
    return storeAll({{privateKeyKey(name), privateKeyPem}, {chainKey(name), chainPem}});
}

Result<QByteArray> CertStore::load(const QString &key) const {
    auto stmt = m_database.reader().prepare("SELECT value FROM certificates WHERE key = ?");
    if (!stmt)
        return stmt.error();
    stmt->bind(1, key);
    if (stmt->next()) {
        auto value = crypto::SecretBox::openStored(stmt->blob(0));
        if (!value)
            return Error{value.error().code, key + QStringLiteral(": ") + value.error().message};
        return value;
    }
    if (stmt->error())
        return *stmt->error();
    return Error::notFound(QStringLiteral("No stored certificate data named %1.").arg(key));
}

Status CertStore::remove(const QString &key) {
    return m_database.writer().run([key](db::Connection &c) -> Status {
        auto stmt = c.prepare("DELETE FROM certificates WHERE key = ?");
        if (!stmt)
            return stmt.error();
        return stmt->bind(1, key).exec();
    });
}

Result<QStringList> CertStore::list(const QString &prefix) const {
    // A range scan on the primary key rather than LIKE, whose wildcards the prefix could hold.
    auto stmt = m_database.reader().prepare(
        "SELECT key FROM certificates WHERE key >= ?1 AND substr(key, 1, length(?1)) = ?1 "
        "ORDER BY key");
    if (!stmt)
        return stmt.error();
    stmt->bind(1, prefix);
    QStringList keys;
    while (stmt->next())
        keys.append(stmt->text(0));
    if (stmt->error())
        return *stmt->error();
    return keys;
}

Result<CertStore::Stat> CertStore::stat(const QString &key) const {
    auto stmt = m_database.reader().prepare(
        "SELECT length(value), updated_at FROM certificates WHERE key = ?");
    if (!stmt)
        return stmt.error();
    stmt->bind(1, key);
    if (stmt->next())
        return Stat{stmt->int64(0), stmt->int64(1)};
    if (stmt->error())
        return *stmt->error();
    return Error::notFound(QStringLiteral("No stored certificate data named %1.").arg(key));
}

Result<bool> CertStore::lock(const QString &name, const QString &owner, qint64 ttlSeconds) {
    if (name.isEmpty() || owner.isEmpty())
        return Error::invalid(QStringLiteral("A lock needs a name and an owner."));
    return m_database.writer().run([name, owner, ttlSeconds](db::Connection &c) -> Result<bool> {
        const qint64 t = now();
        // The upsert only overwrites a lease that expired or is already ours; SQLite runs it
        // inside the writer's transaction, so two processes cannot both see the row free.
        auto stmt = c.prepare("INSERT INTO locks(name, owner, expires_at) VALUES (?1, ?2, ?3) "
                              "ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, "
                              "expires_at = excluded.expires_at "
                              "WHERE locks.owner = excluded.owner OR locks.expires_at <= ?4");
        if (!stmt)
            return stmt.error();
        if (Status s = stmt->bind(1, name).bind(2, owner).bind(3, t + ttlSeconds).bind(4, t).exec();
            !s)
            return s.error();
        return c.changes() > 0;
    });
}

Status CertStore::unlock(const QString &name, const QString &owner) {
    return m_database.writer().run([name, owner](db::Connection &c) -> Status {
        auto stmt = c.prepare("DELETE FROM locks WHERE name = ? AND owner = ?");
        if (!stmt)
            return stmt.error();
        return stmt->bind(1, name).bind(2, owner).exec();
    });
}

} // namespace fazt::certs
