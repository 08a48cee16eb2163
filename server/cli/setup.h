#pragma once

#include "result.h"

#include <QString>
#include <QStringList>

namespace fazt::db {
class Database;
}

namespace fazt::cli {

// What `fazt server init` does, also done by `server start` on a database that is new: store
// the base domain and seed the system sites (the landing site `root` and a `demo` site) from
// the resources built into the binary. Sites that exist are left alone, except the admin
// dashboard, replaced when this binary's differs (AdminSite). Returns one line per thing it
// created, for the user.
Result<QStringList> initialize(db::Database &database, const QString &domain);

// The base domain is a hostname (`example.com`, `localhost`): letters, digits, '-' and '.'.
Status validateDomain(const QString &domain);

} // namespace fazt::cli
