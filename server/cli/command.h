#pragma once

#include "result.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QJsonObject>
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
// is empty). Every command gets --help and --quiet; its options come from QCommandLineParser,
// and this one table serves the dispatch, the help overview and shell completion (a library
// such as CLI11 would replace the table and every command's options, not shorten them).
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

// --server, --token and --insecure, for commands that talk to a server's admin API.
void addConnectionOptions(QCommandLineParser &p);
// The client for the server these options name (see connection.cpp for the order: flags,
// then FAZT_SERVER/FAZT_TOKEN, then what `fazt login` saved). Errors are usage errors.
Result<std::unique_ptr<client::ApiClient>> clientFor(const QCommandLineParser &p);
// One admin API call, waited for: the answer's JSON object (empty for 204).
Result<QJsonObject> callApi(client::ApiClient &api, const QByteArray &verb, const QString &path,
                            const QJsonObject &body = {}, const QString &query = {});

// What a command that shows something does: calls the admin API (`verb` `path`), then prints
// the answer as JSON with --json, else with `print`. Returns the exit code.
int showRemote(const QCommandLineParser &p, const QByteArray &verb, const QString &path,
               const std::function<void(const QJsonObject &)> &print, const QString &query = {});
// A site command's positional arguments: SITE (checked) first, then `minimum` to `maximum`
// more (-1: any). The error is the usage line, or what is wrong with the name.
Result<QStringList> siteArguments(const QCommandLineParser &p, const QString &usageLine,
                                  qsizetype minimum, qsizetype maximum);
// The admin API path of a site, e.g. /api/sites/blog/domains (`rest` may be empty).
QString sitePath(const QString &site, const QString &rest = {});
// What most remote site commands start with: their checked arguments and a client.
struct RemoteCall {
    QStringList args;
    std::unique_ptr<client::ApiClient> api;
};
Result<RemoteCall> remoteCallFor(const QCommandLineParser &p, const QString &usageLine,
                                 qsizetype minimum, qsizetype maximum);

// Output (output.cpp). out() carries what a command is asked for (a table, JSON, a token);
// note() carries messages for people ("Created site blog."), silenced by --quiet.
QTextStream &out();
QTextStream &note();
QTextStream &err();
void setQuiet(bool isQuiet);
bool isQuiet();
// --json, for every command that lists or shows: it prints the admin API's answer.
const QCommandLineOption &jsonOption();
void printJson(const QJsonObject &object);
// Rows as left-aligned columns, the first row being the header (bold on a terminal).
void printTable(const QList<QStringList> &rows);
// ANSI colour, only when stdout is a terminal and NO_COLOR is not set.
enum class Colour { Bold, Green, Red, Yellow };
QString coloured(const QString &text, Colour colour);
// The first line of FILE ('-': standard input), without its line break; empty is an error.
Result<QByteArray> readPasswordFile(const QString &path);
// Reads a line from the terminal without echoing it (a password), after `prompt` on stderr.
QByteArray askHidden(const char *prompt);
// "512M", "1.5G", "20GB", "300000000": bytes (K/M/G/T are powers of 1024). `option` names
// the option or value in the error.
Result<qint64> parseSize(const QString &text, const QString &option);
// Prints "fazt: message" to stderr and returns the failure exit code (1).
int fail(const QString &message);
// Prints "fazt: message" to stderr and returns the usage exit code (2).
int usageError(const QString &message);

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
// `fazt login`, `fazt logout`, `fazt servers list|use`: the servers this user works with.
QList<Command> loginCommands();
// `fazt sites list|show|create|delete|settings` and `fazt domains list|add|remove`.
QList<Command> siteCommands();
// `fazt tokens list|create|revoke`.
QList<Command> tokenCommands();
// `fazt config get|set`, `fazt limits show|set|recalibrate`, `fazt maintenance on|off`.
QList<Command> settingsCommands();
// `fazt stats` and `fazt certificates list|renew`.
QList<Command> reportCommands();
// `fazt completion bash|zsh`, written from the command table `commands`.
QList<Command> completionCommands(const std::function<const QList<Command> &()> &commands);
// `fazt audit`: the admin actions the server recorded (over the admin API).
QList<Command> auditCommands();
// `fazt server reset-admin`: the built-in admin dashboard stored again.
QList<Command> dashboardCommands();

} // namespace fazt::cli
