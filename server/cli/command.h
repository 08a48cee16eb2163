#pragma once

#include "result.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QList>
#include <QString>
#include <QTextStream>

#include <functional>
#include <memory>

namespace fazt::client {
class ApiClient;
}
namespace fazt::db {
class Database;
}

namespace fazt::cli {

// One `fazt` command: `fazt GROUP NAME [options] [ARGUMENTS]` (or `fazt GROUP ...` when name
// is empty). Every command gets --help from its options.
struct Command {
    QString group;     // "server", "db", "deploy"
    QString name;      // "init"; empty for a top-level command such as `fazt deploy`
    QString summary;   // one line for the command list
    QString arguments; // positional arguments for the usage line, e.g. "OUT"
    std::function<void(QCommandLineParser &)> options;
    std::function<int(const QCommandLineParser &)> run;
};

// --db, and the database path it names (else $FAZT_DB, else ./fazt.db).
const QCommandLineOption &databaseOption();
QString databasePath(const QCommandLineParser &p);
// Opens an existing database; a missing file is an error that says how to create one.
Result<std::unique_ptr<db::Database>> openExisting(const QString &path);

// --server and --token, for commands that talk to a server's admin API.
void addConnectionOptions(QCommandLineParser &p);
// The client for --server/--token (or FAZT_SERVER/FAZT_TOKEN). Errors are usage errors.
Result<std::unique_ptr<client::ApiClient>> clientFor(const QCommandLineParser &p);

QTextStream &out();
QTextStream &err();
// "1.5 MB": sizes as people read them.
QString humanBytes(qint64 bytes);
// Prints "fazt: message" to stderr and returns the failure exit code (1).
int fail(const QString &message);

// `fazt db vacuum|backup|restore|prune`.
QList<Command> databaseCommands();
// Commands that talk to a running server over the admin API (deploy, sites, deploys).
QList<Command> remoteCommands();
// `fazt probe` and `fazt simulate`: the limits Capacity gives this machine or another.
QList<Command> systemCommands();
// `fazt env`, `fazt egress` and `fazt logs`: a site's functions (over the admin API).
QList<Command> functionCommands();
// `fazt server status`: the database's facts and whether a server answers.
QList<Command> statusCommands();
// `fazt service install|uninstall|status|logs`: the systemd service (systemctl, journalctl).
QList<Command> serviceCommands();
// `fazt server reset-admin`: the built-in admin dashboard stored again.
QList<Command> dashboardCommands();

} // namespace fazt::cli
