#pragma once

#include "result.h"

#include <QByteArray>
#include <QFuture>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace fazt::db {
class Database;
}

namespace fazt::functions {

struct EnvVar {
    QString name;
    QString value;
    bool isSecret = false;

    // The value as the admin API shows it: a secret as "********", nothing of it shown.
    QString shownValue() const;
};

struct LogEntry {
    qint64 id = 0;
    qint64 atMs = 0;
    QString level; // "info" or "error"
    QString message;
};

// What a site's functions keep in fazt.db: the key-value store (fazt.kv), environment
// variables (fazt.env), the egress allowlist (fazt.fetch) and the function log (fazt.log).
// Reads use the calling thread's read connection; every write goes through the WriteQueue.
// Usable from any thread.
class FunctionStore {
public:
    static constexpr qsizetype MaxKeyBytes = 512;
    static constexpr qsizetype MaxValueBytes = 256 * 1024;
    static constexpr int MaxListKeys = 1000;
    static constexpr qsizetype MaxEnvNameBytes = 128;
    static constexpr qsizetype MaxEnvValueBytes = 16 * 1024;
    static constexpr int MaxEnvVars = 200;
    static constexpr int MaxEgressHosts = 100;
    static constexpr int KeptLogEntries = 1000; // per site; older entries are dropped
    static constexpr qsizetype MaxLogMessageBytes = 4096;

    explicit FunctionStore(db::Database &database);
    FunctionStore(const FunctionStore &) = delete;
    FunctionStore &operator=(const FunctionStore &) = delete;

    // fazt.kv. Values are JSON text; expired entries read as absent. `nowSeconds` is Unix time.
    // Each thread keeps the entries it read last (small values) while nothing is committed.
    Result<std::optional<QString>> kvGet(qint64 siteId, const QString &key, qint64 nowSeconds);
    // The same, with when the value expires (Unix seconds; 0: never), for a cache of it.
    struct KvEntry {
        std::optional<QString> value;
        qint64 expiresAt = 0;
    };
    Result<KvEntry> kvEntry(qint64 siteId, const QString &key, qint64 nowSeconds);
    // Waits until written. `ttlSeconds` <= 0: no expiry.
    Status kvSet(qint64 siteId, const QString &key, const QString &jsonValue, qint64 ttlSeconds,
                 qint64 nowSeconds);
    Status kvDelete(qint64 siteId, const QString &key);
    // Keys starting with `prefix`, sorted, at most MaxListKeys.
    Result<QStringList> kvList(qint64 siteId, const QString &prefix, qint64 nowSeconds);

    Result<QList<EnvVar>> env(qint64 siteId);
    Status setEnv(qint64 siteId, const EnvVar &variable);
    Status removeEnv(qint64 siteId, const QString &name);
    static Status validateEnvName(const QString &name);

    Result<QStringList> egress(qint64 siteId);
    // Replaces the allowlist. Entries are host names or addresses, optionally with ":port".
    Status setEgress(qint64 siteId, const QStringList &hosts);
    // Lower-cased and checked ("Example.COM:443" -> "example.com:443"); an error says why not.
    static Result<QString> normalizeHost(const QString &host);

    // Appends entries (without waiting) and keeps the newest KeptLogEntries of the site.
    QFuture<Status> appendLog(qint64 siteId, QList<LogEntry> entries);
    // Entries with id > afterId, oldest first, at most `limit`; with afterId < 0, the newest
    // `limit` entries.
    Result<QList<LogEntry>> logs(qint64 siteId, qint64 afterId, int limit);

private:
    Status validateKey(const QString &key) const;
    db::Database &m_database;
    const quint64 m_instance; // tells the stores apart in the per-thread kv cache
};

} // namespace fazt::functions
