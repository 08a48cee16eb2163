// `fazt server reset-admin`: the admin dashboard built into this binary, stored again.

#include "admin/adminsite.h"
#include "cli/cli.h"
#include "cli/command.h"
#include "db/database.h"

namespace fazt::cli {

namespace {

int resetAdmin(const QCommandLineParser &parser) {
    auto database = openExisting(databasePath(parser));
    if (!database)
        return fail(database.error().message);
    auto done = admin::AdminSite::install(**database, admin::AdminSite::Replace::Always);
    if (!done)
        return fail(done.error().message);
    out() << *done << Qt::endl
          << "A running server serves it from its next start (systemctl restart fazt)." << Qt::endl;
    return Ok;
}

} // namespace

QList<Command> dashboardCommands() {
    return {
        {QStringLiteral("server"), QStringLiteral("reset-admin"),
         QStringLiteral("Store this binary's admin dashboard again (admin.DOMAIN)."), QString(),
         [](QCommandLineParser &p) { p.addOption(databaseOption()); }, resetAdmin},
    };
}

} // namespace fazt::cli
