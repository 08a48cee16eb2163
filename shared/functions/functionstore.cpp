#include "functions/functionstore.h"

#include "crypto/secretbox.h"
#include "db/database.h"
#include "system/logtext.h"

#include <QRegularExpression>

#include <array>
#include <atomic>

namespace fazt::functions {

using db::Connection;

QString EnvVar::shownValue() const {
    if (!isSecret)
        return value;
    return QStringLiteral("********"); // not even its length or its last characters
}

namespace {

std::atomic<quint64> g_stores{0};

// The fazt.kv entries this thread read last. One stays valid while the database has
// committed no transaction since it was read (and until it expires): a busy function reading
// the same keys then costs no query. Large values are not kept.
struct CachedEntry {
    quint64 store = 0; // FunctionStore::m_instance; 0: empty
    quint64 committed = 0;
    qint64 siteId = 0;
    QString key;
    std::optional<QString> value; // nullopt: absent (or expired)
    qint64 expiresAt = 0;         // Unix seconds; 0: never
};
constexpr qsizetype MaxCachedValueChars = 4096;
thread_local std::array<CachedEntry, 64> t_kvCache;

} // namespace

FunctionStore::FunctionStore(db::Database &database)
    : m_database(database)
    , m_instance(++g_stores) {}

Status FunctionStore::validateKey(const QString &key) const {
    if (key.isEmpty())
        return Error::invalid(QStringLiteral("A key may not be empty."));
    if (key.toUtf8().size() > MaxKeyBytes)
        return Error::invalid(QStringLiteral("A key is at most %1 bytes.").arg(MaxKeyBytes));
    return {};
}

Result<std::optional<QString>> FunctionStore::kvGet(qint64 siteId, const QString &key,
                                                    qint64 nowSeconds) {
    auto entry = kvEntry(siteId, key, nowSeconds);
    if (!entry)
        return entry.error();
    return std::move(entry->value);
}

Result<FunctionStore::KvEntry> FunctionStore::kvEntry(qint64 siteId, const QString &key,
                                                      qint64 nowSeconds) {
    // Read before the query: a commit after this read makes the entry stale at once.
    const quint64 committed = m_database.writer().committed();
    CachedEntry &cached = t_kvCache[qHashMulti(0, siteId, key) % t_kvCache.size()];
    if (cached.store == m_instance && cached.committed == committed && cached.siteId == siteId &&
        cached.key == key && (cached.expiresAt == 0 || cached.expiresAt > nowSeconds))
        return KvEntry{cached.value, cached.expiresAt};
    auto statement = m_database.reader().prepare(
        "SELECT value, expires_at FROM function_kv WHERE site_id = ?1 AND key = ?2 "
        "AND (expires_at IS NULL OR expires_at > ?3)");
    if (!statement)
        return statement.error();
    statement->bindAll(siteId, key, nowSeconds);
    std::optional<QString> value;
    qint64 expiresAt = 0;
    if (statement->next()) {
        value = statement->text(0);
        expiresAt = statement->isNull(1) ? 0 : statement->int64(1);
    } else if (statement->error()) {
        return *statement->error();
    }
    if (!value || value->size() <= MaxCachedValueChars)
        cached = {m_instance, committed, siteId, key, value, expiresAt};
    else
        cached.store = 0;
    return KvEntry{std::move(value), expiresAt};
}

Status FunctionStore::kvSet(qint64 siteId, const QString &key, const QString &jsonValue,
                            qint64 ttlSeconds, qint64 nowSeconds) {
    if (Status s = validateKey(key); !s)
        return s;
    if (jsonValue.toUtf8().size() > MaxValueBytes)
        return Error::invalid(
            QStringLiteral("A value is at most %1 bytes as JSON.").arg(MaxValueBytes));
    return m_database.writer().run([=](Connection &c) -> Status {
        auto purge = c.prepare("DELETE FROM function_kv WHERE site_id = ?1 AND expires_at <= ?2");
        if (!purge)
            return purge.error();
        if (Status s = purge->bindAll(siteId, nowSeconds).exec(); !s)
            return s;
        auto insert = c.prepare("INSERT OR REPLACE INTO function_kv (site_id, key, value, "
                                "expires_at) VALUES (?1, ?2, ?3, ?4)");
        if (!insert)
            return insert.error();
        insert->bindAll(siteId, key, jsonValue);
        if (ttlSeconds > 0)
            insert->bind(4, nowSeconds + ttlSeconds);
        else
            insert->bindNull(4);
        return insert->exec();
    });
}

Status FunctionStore::kvDelete(qint64 siteId, const QString &key) {
    if (Status s = validateKey(key); !s)
        return s;
    return m_database.writer().run([=](Connection &c) -> Status {
        auto remove = c.prepare("DELETE FROM function_kv WHERE site_id = ?1 AND key = ?2");
        if (!remove)
            return remove.error();
        return remove->bindAll(siteId, key).exec();
    });
}

Result<QStringList> FunctionStore::kvList(qint64 siteId, const QString &prefix, qint64 nowSeconds) {
    auto statement = m_database.reader().prepare(
        "SELECT key FROM function_kv WHERE site_id = ?1 AND substr(key, 1, length(?2)) = ?2 "
        "AND (expires_at IS NULL OR expires_at > ?3) ORDER BY key LIMIT ?4");
    if (!statement)
        return statement.error();
    statement->bindAll(siteId, prefix, nowSeconds, qint64(MaxListKeys));
    QStringList keys;
    while (statement->next())
        keys.append(statement->text(0));
    if (statement->error())
        return *statement->error();
    return keys;
}

Status FunctionStore::validateEnvName(const QString &name) {
    static const QRegularExpression valid(QStringLiteral("^[A-Za-z_][A-Za-z0-9_]{0,127}$"));
    if (!valid.match(name).hasMatch())
        return Error::invalid(QStringLiteral("A variable name is 1-128 letters, digits and '_', "
                                             "not starting with a digit."));
    return {};
}

Result<QList<EnvVar>> FunctionStore::env(qint64 siteId) {
    auto statement = m_database.reader().prepare(
        "SELECT name, value, is_secret FROM function_env WHERE site_id = ?1 ORDER BY name");
    if (!statement)
        return statement.error();
    statement->bindAll(siteId);
    QList<EnvVar> vars;
    while (statement->next()) {
        // Secret values may be sealed (crypto::SecretBox); others are stored as they are.
        auto value = crypto::SecretBox::openStored(statement->blob(1));
        if (!value)
            return Error{value.error().code, QStringLiteral("The variable %1: %2")
                                                 .arg(statement->text(0), value.error().message)};
        vars.append({statement->text(0), QString::fromUtf8(*value), statement->int64(2) != 0});
    }
    if (statement->error())
        return *statement->error();
    return vars;
}

Status FunctionStore::setEnv(qint64 siteId, const EnvVar &variable) {
    if (Status s = validateEnvName(variable.name); !s)
        return s;
    if (variable.value.toUtf8().size() > MaxEnvValueBytes)
        return Error::invalid(
            QStringLiteral("A variable's value is at most %1 bytes.").arg(MaxEnvValueBytes));
    const Result<QByteArray> stored =
        variable.isSecret ? crypto::SecretBox::sealIfConfigured(variable.value.toUtf8())
                          : Result<QByteArray>(variable.value.toUtf8());
    if (!stored)
        return stored.error();
    return m_database.writer().run([=, value = *stored](Connection &c) -> Status {
        auto count = c.prepare("SELECT count(*) FROM function_env WHERE site_id = ?1 AND name "
                               "!= ?2");
        if (!count)
            return count.error();
        count->bindAll(siteId, variable.name);
        if (count->next() && count->int64(0) >= MaxEnvVars)
            return Error::invalid(
                QStringLiteral("A site has at most %1 variables.").arg(MaxEnvVars));
        auto insert = c.prepare("INSERT OR REPLACE INTO function_env (site_id, name, value, "
                                "is_secret) VALUES (?1, ?2, ?3, ?4)");
        if (!insert)
            return insert.error();
        return insert->bindAll(siteId, variable.name)
            .bindText(3, value)
            .bind(4, qint64(variable.isSecret ? 1 : 0))
            .exec();
    });
}

Status FunctionStore::removeEnv(qint64 siteId, const QString &name) {
    return m_database.writer().run([=](Connection &c) -> Status {
        auto remove = c.prepare("DELETE FROM function_env WHERE site_id = ?1 AND name = ?2");
        if (!remove)
            return remove.error();
        if (Status s = remove->bindAll(siteId, name).exec(); !s)
            return s;
        if (c.changes() == 0)
            return Error::notFound(QStringLiteral("The site has no variable '%1'.").arg(name));
        return {};
    });
}

Result<QString> FunctionStore::normalizeHost(const QString &host) {
    static const QRegularExpression valid(
        QStringLiteral("^(\\[[0-9a-f:.]+\\]|[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?)(:[0-9]{1,5})?$"));
    const QString normalized = host.trimmed().toLower();
    if (!valid.match(normalized).hasMatch())
        return Error::invalid(QStringLiteral("'%1' is not a host name or address (with an "
                                             "optional :port).")
                                  .arg(host.left(100)));
    return normalized;
}

Result<QStringList> FunctionStore::egress(qint64 siteId) {
    auto statement = m_database.reader().prepare(
        "SELECT host FROM function_egress WHERE site_id = ?1 ORDER BY host");
    if (!statement)
        return statement.error();
    statement->bindAll(siteId);
    QStringList hosts;
    while (statement->next())
        hosts.append(statement->text(0));
    if (statement->error())
        return *statement->error();
    return hosts;
}

Status FunctionStore::setEgress(qint64 siteId, const QStringList &hosts) {
    if (hosts.size() > MaxEgressHosts)
        return Error::invalid(
            QStringLiteral("The allowlist holds at most %1 hosts.").arg(MaxEgressHosts));
    QStringList normalized;
    for (const QString &host : hosts) {
        auto h = normalizeHost(host);
        if (!h)
            return h.error();
        if (!normalized.contains(*h))
            normalized.append(*h);
    }
    return m_database.writer().run([=](Connection &c) -> Status {
        auto clear = c.prepare("DELETE FROM function_egress WHERE site_id = ?1");
        if (!clear)
            return clear.error();
        if (Status s = clear->bindAll(siteId).exec(); !s)
            return s;
        for (const QString &host : normalized) {
            auto insert = c.prepare("INSERT INTO function_egress (site_id, host) VALUES (?1, ?2)");
            if (!insert)
                return insert.error();
            if (Status s = insert->bindAll(siteId, host).exec(); !s)
                return s;
        }
        return {};
    });
}

QFuture<Status> FunctionStore::appendLog(qint64 siteId, QList<LogEntry> entries) {
    return m_database.writer().submit([siteId,
                                       entries = std::move(entries)](Connection &c) -> Status {
        for (const LogEntry &entry : entries) {
            auto insert = c.prepare("INSERT INTO function_logs (site_id, at, level, message) "
                                    "VALUES (?1, ?2, ?3, ?4)");
            if (!insert)
                return insert.error();
            // Read later in a terminal (`fazt logs`): no raw control character gets stored.
            const QByteArray message =
                system::LogText::escaped(entry.message).toUtf8().left(MaxLogMessageBytes);
            insert->bindAll(siteId, entry.atMs, entry.level).bindText(4, message);
            if (Status s = insert->exec(); !s)
                return s;
        }
        auto trim = c.prepare(
            "DELETE FROM function_logs WHERE site_id = ?1 AND id <= (SELECT id FROM function_logs "
            "WHERE site_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2)");
        if (!trim)
            return trim.error();
        return trim->bindAll(siteId, qint64(KeptLogEntries)).exec();
    });
}

Result<QList<LogEntry>> FunctionStore::logs(qint64 siteId, qint64 afterId, int limit) {
    auto statement =
        afterId < 0
            ? m_database.reader().prepare(
                  "SELECT id, at, level, message FROM (SELECT * FROM function_logs WHERE site_id "
                  "= ?1 ORDER BY id DESC LIMIT ?2) ORDER BY id")
            : m_database.reader().prepare(
                  "SELECT id, at, level, message FROM function_logs WHERE site_id = ?1 AND id > ?3 "
                  "ORDER BY id LIMIT ?2");
    if (!statement)
        return statement.error();
    statement->bindAll(siteId, qint64(limit));
    if (afterId >= 0)
        statement->bind(3, afterId);
    QList<LogEntry> entries;
    while (statement->next())
        entries.append(
            {statement->int64(0), statement->int64(1), statement->text(2), statement->text(3)});
    if (statement->error())
        return *statement->error();
    return entries;
}

} // namespace fazt::functions
