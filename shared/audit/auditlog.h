#pragma once

#include "result.h"

#include <QFuture>
#include <QJsonObject>
#include <QList>
#include <QString>

namespace fazt::db {
class Connection;
class Database;
} // namespace fazt::db

namespace fazt::audit {

// One admin action: who did what, when, to which site, from where.
struct AuditEntry {
    qint64 id = 0;
    qint64 atMs = 0;    // Unix milliseconds; 0: now
    QString actor;      // "token laptop", "password login", "system", "command line"
    qint64 tokenId = 0; // the API token that acted, if one did
    QString client;     // the client's address; empty for the server itself
    QString action;     // "login", "login.failed", "deploy", "token.create", ...
    QString site;       // the site it concerns, if one
    QString target;     // what else it names: a deploy id, a token id, a hostname
    int status = 0;     // the HTTP status of the call (0: not an API call)
    QString detail;     // a short description, e.g. the JSON of the settings changed

    QJsonObject toJson() const;
};

// Which entries to read, newest first.
struct AuditFilter {
    QString site;
    QString action; // "deploy", or a prefix ending in '.': "token." for all token actions
    QString actor;
    qint64 sinceMs = 0;  // at >= sinceMs (0: no bound)
    qint64 untilMs = 0;  // at < untilMs (0: no bound)
    qint64 beforeId = 0; // paging: entries with a smaller id (0: from the newest)
    int limit = 100;     // 1..1000
};

// The audit log in fazt.db (table audit_log). Writes go through the WriteQueue and never wait
// for it: an admin call or a worker thread that records an action does not block on the
// database. Text fields are cut to 512 characters and their control characters escaped (a
// client chose some of them: a username tried at login, a hostname).
class AuditLog {
public:
    explicit AuditLog(db::Database &database);

    // Queues the row; the future resolves once it is committed (or why it was not: a full
    // queue, a full disk). Callers on a request path drop the future; a failure is logged.
    QFuture<Status> record(AuditEntry entry);

    static Result<QList<AuditEntry>> list(db::Connection &c, const AuditFilter &filter);
    // Deletes the entries older than `olderThanMs` (Unix ms); returns how many went.
    static Result<qint64> prune(db::Connection &c, qint64 olderThanMs);
    // Deletes the entries older than `retentionDays` days from now.
    static Result<qint64> pruneExpired(db::Connection &c, qint64 retentionDays);

private:
    db::Database &m_database;
};

} // namespace fazt::audit
