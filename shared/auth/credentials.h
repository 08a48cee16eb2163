#pragma once

#include "result.h"

#include <QByteArrayView>
#include <QHash>
#include <QReadWriteLock>
#include <QString>

#include <atomic>

namespace fazt::db {
class Database;
}

namespace fazt::auth {

// The administrators' password hashes (the `users` table), held in RAM: a login never waits
// on the database, however busy its writer is. Thread-safe.
//
// After a password change the caller also ends that user's sessions
// (SessionStore::removeUser).
class Credentials {
public:
    // Computes the dummy hash used for unknown users (one argon2id hash: tens of ms).
    explicit Credentials(db::Database &database);

    // Reads every user into RAM (done once at start).
    Status load();

    // Validates the username and password, stores the new hash in the database (creating the
    // user if needed), then in RAM. On error nothing changed.
    Status setPassword(const QString &username, QByteArrayView password);

    // What setPassword() writes, without a Credentials object: for the CLI, which may run
    // beside a server on the same database. That server's RAM keeps the old hash until it
    // loads again.
    static Status storePassword(db::Database &database, const QString &username,
                                QByteArrayView password);

    bool hasUsers() const;

    // True if `username` exists and `password` is its password. An unknown user costs the
    // same argon2id verification as a wrong password, so timing does not tell which usernames
    // exist. Passwords outside the valid length are refused at once, whoever the user.
    bool verify(const QString &username, QByteArrayView password) const;
    // How many passwords verify() has hashed since the start (what a login limiter must keep
    // small under a burst of guesses).
    quint64 passwordChecks() const { return m_passwordChecks.load(std::memory_order_relaxed); }

    // 1 to 64 characters from [a-z0-9._-]; the error says so.
    static Status validateUsername(const QString &username);

private:
    static Result<QByteArray> writePassword(db::Database &database, const QString &username,
                                            QByteArrayView password);

    db::Database &m_database;
    mutable QReadWriteLock m_lock;
    QHash<QString, QByteArray> m_hashes; // username -> argon2id encoded string
    mutable std::atomic<quint64> m_passwordChecks{0};
};

} // namespace fazt::auth
