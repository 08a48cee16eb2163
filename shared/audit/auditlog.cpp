#include "audit/auditlog.h"

#include "db/database.h"
#include "system/logtext.h"

#include <QDateTime>

#include <functional>

namespace fazt::audit {

namespace {

constexpr qsizetype MaxFieldLength = 512;

QString bounded(const QString &text) {
    return system::LogText::escaped(QStringView(text).left(MaxFieldLength));
}

QString iso(qint64 ms) {
    return QDateTime::fromMSecsSinceEpoch(ms, Qt::UTC).toString(Qt::ISODateWithMs);
}

} // namespace

QJsonObject AuditEntry::toJson() const {
    QJsonObject json{{QStringLiteral("id"), id},         {QStringLiteral("at"), iso(atMs)},
                     {QStringLiteral("actor"), actor},   {QStringLiteral("client"), client},
                     {QStringLiteral("action"), action}, {QStringLiteral("site"), site},
                     {QStringLiteral("target"), target}, {QStringLiteral("status"), status},
                     {QStringLiteral("detail"), detail}};
    json.insert(QStringLiteral("tokenId"), tokenId ? QJsonValue(tokenId) : QJsonValue());
    return json;
}

AuditLog::AuditLog(db::Database &database)
    : m_database(database) {}

QFuture<Status> AuditLog::record(AuditEntry entry) {
    if (entry.atMs == 0)
        entry.atMs = QDateTime::currentMSecsSinceEpoch();
    for (QString *field :
         {&entry.actor, &entry.client, &entry.action, &entry.site, &entry.target, &entry.detail})
        *field = bounded(*field);
    QFuture<Status> written = m_database.writer().submit([entry](db::Connection &c) -> Status {
        auto stmt = c.prepare("INSERT INTO audit_log(at, actor, token_id, client, action, site, "
                              "target, status, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)");
        if (!stmt)
            return stmt.error();
        stmt->bindAll(entry.atMs, entry.actor);
        if (entry.tokenId)
            stmt->bind(3, entry.tokenId);
        else
            stmt->bindNull(3);
        stmt->bind(4, entry.client)
            .bind(5, entry.action)
            .bind(6, entry.site)
            .bind(7, entry.target)
            .bind(8, entry.status)
            .bind(9, entry.detail);
        return stmt->exec();
    });
    // Resolved on the writer thread: only a log line, nothing that could wait.
    return written.then([action = entry.action](Status s) {
        if (!s)
            qWarning("fazt: the audit log lost an entry (%s): %s", qPrintable(action),
                     qPrintable(s.error().message));
        return s;
    });
}

Result<QList<AuditEntry>> AuditLog::list(db::Connection &c, const AuditFilter &filter) {
    std::string sql = "SELECT id, at, actor, token_id, client, action, site, target, status, "
                      "detail FROM audit_log WHERE 1";
    QList<std::function<void(db::Statement &, int)>> binds;
    const auto where = [&](const std::string &condition, auto value) {
        sql += condition;
        binds.append([value](db::Statement &s, int index) { s.bind(index, value); });
    };
    if (!filter.site.isEmpty())
        where(" AND site = ?", filter.site);
    if (filter.action.endsWith(u'.')) // a prefix: its length is ours, the text is bound
        where((" AND substr(action, 1, " + std::to_string(filter.action.size()) + ") = ?"),
              filter.action);
    else if (!filter.action.isEmpty())
        where(" AND action = ?", filter.action);
    if (!filter.actor.isEmpty())
        where(" AND actor = ?", filter.actor);
    if (filter.sinceMs > 0)
        where(" AND at >= ?", filter.sinceMs);
    if (filter.untilMs > 0)
        where(" AND at < ?", filter.untilMs);
    if (filter.beforeId > 0)
        where(" AND id < ?", filter.beforeId);
    sql += " ORDER BY id DESC LIMIT ?";
    binds.append([limit = qint64(std::clamp(filter.limit, 1, 1000))](db::Statement &s, int index) {
        s.bind(index, limit);
    });
    auto stmt = c.prepare(sql);
    if (!stmt)
        return stmt.error();
    for (int i = 0; i < binds.size(); ++i)
        binds[i](*stmt, i + 1);
    QList<AuditEntry> entries;
    while (stmt->next()) {
        AuditEntry e;
        e.id = stmt->int64(0);
        e.atMs = stmt->int64(1);
        e.actor = stmt->text(2);
        e.tokenId = stmt->isNull(3) ? 0 : stmt->int64(3);
        e.client = stmt->text(4);
        e.action = stmt->text(5);
        e.site = stmt->text(6);
        e.target = stmt->text(7);
        e.status = int(stmt->int64(8));
        e.detail = stmt->text(9);
        entries.append(std::move(e));
    }
    if (stmt->error())
        return *stmt->error();
    return entries;
}

Result<qint64> AuditLog::prune(db::Connection &c, qint64 olderThanMs) {
    auto stmt = c.prepare("DELETE FROM audit_log WHERE at < ?");
    if (!stmt)
        return stmt.error();
    if (Status s = stmt->bindAll(olderThanMs).exec(); !s)
        return s.error();
    return qint64(c.changes());
}

Result<qint64> AuditLog::pruneExpired(db::Connection &c, qint64 retentionDays) {
    return prune(c, QDateTime::currentMSecsSinceEpoch() -
                        std::max<qint64>(1, retentionDays) * 86'400'000);
}

} // namespace fazt::audit
