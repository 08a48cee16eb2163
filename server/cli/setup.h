#pragma once

#include "result.h"

#include <QString>
#include <QStringList>

namespace fazt::db {
class Database;
}

namespace fazt::cli {

// Which system sites initialize() seeds: the landing site `root` always, the `demo` site when
// asked (`server init --demo`) or when trying it locally (domain localhost).
enum class SystemSites { LandingOnly, WithDemo };
// What a domain gets unless told: the demo for localhost only.
SystemSites systemSitesFor(const QString &domain);

// What `fazt server init` does, also done by `server start` on a database that is new: store
// the base domain and seed the system sites from the resources built into the binary. Sites
// that exist are left alone, except the admin dashboard, replaced when this binary's differs
// (AdminSite). Returns one line per thing it did, for the user.
Result<QStringList> initialize(db::Database &database, const QString &domain, SystemSites sites);

// The base domain is a hostname (`example.com`, `localhost`): letters, digits, '-' and '.'.
Status validateDomain(const QString &domain);

} // namespace fazt::cli
