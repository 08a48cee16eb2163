#pragma once

#include "admin/api.h"
#include "audit/auditlog.h"

#include <optional>

namespace fazt::db {
class Database;
}

namespace fazt::admin {

class AdminService;

// The audit log's side of the admin API.
//
// What is recorded: every call that changes something (POST, PUT, DELETE) made by an
// authenticated caller, when it succeeded or was refused for lack of rights (403), and every
// login whose password was checked (good: "login", bad: "login.failed"), with the client's
// address. Logins refused by the rate limiter before any check and calls with an unknown
// token are not: a stranger must not be able to fill the log. Secrets never are: a
// variable's value, a password, a token.
//
//   GET /api/audit?site=blog&action=deploy&actor=...&since=...&until=...&before=ID&limit=100
//       -> {"entries": [...newest first...], "next": "before=ID"} (admin scope)
void addAuditRoutes(AdminService &service, db::Database &database);

// The entry a finished call leaves in the audit log, if it leaves one.
std::optional<audit::AuditEntry> auditEntryFor(const Route &route, const ApiRequest &request,
                                               const http::Response &response);

} // namespace fazt::admin
