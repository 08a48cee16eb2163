#pragma once

#include "result.h"

#include <QByteArray>
#include <QString>
#include <QStringList>

namespace fazt::db {
class Database;
}

namespace fazt::certs {

// The `certificates` and `locks` tables: the storage contract an ACME client needs. Values
// are opaque bytes under a path-like key ("certs/example.com/chain.pem"); reads use the
// calling thread's reader, every write goes through the WriteQueue. Private keys are stored
// here and nowhere else (no files), so a backup of fazt.db carries them and nothing on disk
// leaks them.
//
// Locks are leases: lock() takes `name` for `owner` until now + ttl unless another owner
// holds an unexpired lease. Two processes sharing the database (the old and the new one
// during a restart) therefore never work on the same name at once, and a crashed holder
// blocks it only until its lease runs out.
class CertStore {
public:
    struct Stat {
        qint64 size = 0;
        qint64 modified = 0; // Unix seconds
    };

    // The keys, built here and nowhere else.
    static QString certificatePrefix();                           // "certs/": every name's pair
    static QString chainKey(const QString &name);                 // "certs/NAME/chain.pem"
    static QString privateKeyKey(const QString &name);            // "certs/NAME/key.pem"
    static QString nameOfChainKey(const QString &key);            // NAME, or "" for another key
    static QString challengeKey(QByteArrayView token);            // "acme-challenges/TOKEN"
    static QString localCaKeyKey();                               // "local-ca/key.pem"
    static QString localCaCertificateKey();                       // "local-ca/cert.pem"
    static QString acmeAccountKey(const QString &host, int port); // "acme/HOST-PORT/account.key"

    explicit CertStore(db::Database &database);

    Status store(const QString &key, const QByteArray &value);
    // Several values in one transaction: all are stored, or (on any error) none is, so a key
    // and the certificate that goes with it never get out of step.
    Status storeAll(const QList<QPair<QString, QByteArray>> &values);
    // A name's private key and chain, together.
    Status storeCertificate(const QString &name, const QByteArray &privateKeyPem,
                            const QByteArray &chainPem);
    // NotFound if there is no such key.
    Result<QByteArray> load(const QString &key) const;
    // Deleting a missing key is not an error.
    Status remove(const QString &key);
    // Keys starting with `prefix`, sorted.
    Result<QStringList> list(const QString &prefix) const;
    Result<Stat> stat(const QString &key) const;

    // True if `owner` now holds `name` (taken, renewed, or an expired lease taken over).
    Result<bool> lock(const QString &name, const QString &owner, qint64 ttlSeconds);
    // Releases `name` if `owner` holds it; someone else's lease is left alone.
    Status unlock(const QString &name, const QString &owner);

private:
    db::Database &m_database;
};

} // namespace fazt::certs
