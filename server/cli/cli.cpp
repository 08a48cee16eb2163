#include "cli/cli.h"

#include "admin/adminsite.h"
#include "app/preview.h"
#include "audit/auditlog.h"
#include "auth/credentials.h"
#include "auth/password.h"
#include "auth/tokens.h"
#include "cli/command.h"
#include "cli/serving.h"
#include "cli/setup.h"
#include "config/config.h"
#include "config/settings.h"
#include "db/connection.h"
#include "db/database.h"
#include "hosting/functions/scriptworker.h"
#include "hosting/functions/workerprocess.h"
#include "stats/statsbuffer.h"
#include "system/limitstore.h"
#include "system/privatefiles.h"
#include "vfs/vfs.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QFileInfo>
#include <QTextStream>

#include <functional>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace fazt::cli {

namespace {

const QCommandLineOption dbOption(QStringList{QStringLiteral("db")},
                                  QStringLiteral("The database file (default: $FAZT_DB, or "
                                                 "./fazt.db)."),
                                  QStringLiteral("PATH"));

} // namespace

const QCommandLineOption &databaseOption() {
    return dbOption;
}

QString databasePath(const QCommandLineParser &parser) {
    if (parser.isSet(dbOption))
        return parser.value(dbOption);
    const QString fromEnv = qEnvironmentVariable(settings::DatabaseVariable);
    return fromEnv.isEmpty() ? QStringLiteral("fazt.db") : fromEnv;
}

Result<std::unique_ptr<db::Database>> openExisting(const QString &path) {
    if (!QFileInfo::exists(path))
        return Error::notFound(QStringLiteral("There is no database at %1. Create one with "
                                              "'fazt server init --domain example.com --db %1'.")
                                   .arg(path));
    return db::Database::open(path);
}

Result<QByteArray> readPasswordFile(const QString &path) {
    QFile file;
    const bool opened = path == QLatin1String("-")
                            ? file.open(stdin, QIODevice::ReadOnly)
                            : (file.setFileName(path), file.open(QIODevice::ReadOnly));
    if (!opened)
        return Error::io(
            QStringLiteral("Cannot read the password file %1: %2").arg(path, file.errorString()));
    QByteArray password = file.readLine(4096);
    while (password.endsWith('\n') || password.endsWith('\r'))
        password.chop(1);
    if (password.isEmpty())
        return Error::invalid(QStringLiteral("The password file %1 is empty.").arg(path));
    return password;
}

namespace {

Result<std::unique_ptr<db::Database>> openOrCreate(const QString &path) {
    if (Status s = system::PrivateFiles::makeFolder(QFileInfo(path).absolutePath()); !s)
        return s.error();
    return db::Database::open(path);
}

const QCommandLineOption passwordFileOption(
    QStringList{QStringLiteral("password-file")},
    QStringLiteral("Read the admin password from FILE's first line ('-': standard input). "
                   "Without it, the password is asked on the terminal."),
    QStringLiteral("FILE"));
const QCommandLineOption usernameOption(QStringList{QStringLiteral("username")},
                                        QStringLiteral("The admin's username (default: admin)."),
                                        QStringLiteral("NAME"), QStringLiteral("admin"));

// The admin password from --password-file, or asked twice on a terminal. An empty result
// without error means none was given (no terminal to ask on).
Result<QByteArray> readPassword(const QCommandLineParser &parser) {
    QByteArray password;
    if (parser.isSet(passwordFileOption)) {
        auto fromFile = readPasswordFile(parser.value(passwordFileOption));
        if (!fromFile)
            return fromFile.error();
        password = *fromFile;
    } else if (isatty(STDIN_FILENO)) {
        password = askHidden("Admin password: ");
        if (askHidden("Again: ") != password)
            return Error::invalid(QStringLiteral("The two passwords differ; nothing was changed."));
    } else {
        return QByteArray();
    }
    if (Status s = auth::validatePassword(password); !s)
        return s.error();
    return password;
}

int serverInit(const QCommandLineParser &parser) {
    const QString path = databasePath(parser);
    const bool isNew = !QFileInfo::exists(path);
    auto database = openOrCreate(path);
    if (!database)
        return fail(database.error().message);
    auto password = readPassword(parser);
    if (!password)
        return fail(password.error().message);
    const QString domain = parser.value(QStringLiteral("domain"));
    auto done = initialize(**database, domain,
                           parser.isSet(QStringLiteral("demo")) ? SystemSites::WithDemo
                                                                : systemSitesFor(domain));
    if (!done)
        return fail(done.error().message);
    const QString username = parser.value(usernameOption);
    if (!password->isEmpty()) {
        if (Status s = auth::Credentials::storePassword(**database, username, *password); !s)
            return fail(s.error().message);
        done->append(QStringLiteral("admin password set for '%1'").arg(username));
    }
    out() << (isNew ? "Created " : "Updated ") << QFileInfo(path).absoluteFilePath()
          << " (schema version " << (*database)->schemaVersion() << ")" << Qt::endl;
    for (const QString &line : *done)
        out() << "  " << line << Qt::endl;
    if (done->isEmpty())
        out() << "  nothing to do: already initialized" << Qt::endl;
    if (auth::Credentials credentials(**database); credentials.load() && !credentials.hasUsers())
        out() << "  no admin password yet: set one with 'fazt server set-credentials'" << Qt::endl;
    return Ok;
}

// --port, --listen and --workers, shared by `server start` and `preview`.
void addServingOptions(QCommandLineParser &p, const QString &defaultListen) {
    p.addOption({QStringLiteral("port"), QStringLiteral("The HTTP port (default: 8080)."),
                 QStringLiteral("PORT"), QStringLiteral("8080")});
    p.addOption({QStringLiteral("listen"),
                 QStringLiteral("The address to listen on (default: %1).").arg(defaultListen),
                 QStringLiteral("ADDRESS"), defaultListen});
    p.addOption({QStringLiteral("workers"),
                 QStringLiteral("HTTP worker threads (default: one per CPU core)."),
                 QStringLiteral("N")});
}

Result<http::ServerOptions> servingOptions(const QCommandLineParser &parser) {
    http::ServerOptions options;
    bool ok = false;
    const uint port = parser.value(QStringLiteral("port")).toUInt(&ok);
    if (!ok || port > 65535)
        return Error::invalid(QStringLiteral("--port takes a number from 0 to 65535."));
    options.port = quint16(port);
    const QString listen = parser.value(QStringLiteral("listen"));
    options.address = listen == QLatin1String("localhost") ? QHostAddress(QHostAddress::LocalHost)
                      : listen == QLatin1String("*")       ? QHostAddress(QHostAddress::Any)
                                                           : QHostAddress(listen);
    if (options.address.isNull())
        return Error::invalid(
            QStringLiteral("--listen takes an IP address, '*' or 'localhost', not '%1'.")
                .arg(listen));
    options.workers = int(std::max(1u, std::thread::hardware_concurrency()));
    // Timeouts can be shortened (tests) or lengthened (slow links) from the environment.
    const auto timeout = [](const char *name, int &target) {
        bool isNumber = false;
        const int value = qEnvironmentVariableIntValue(name, &isNumber);
        if (isNumber && value > 0)
            target = value;
    };
    timeout(settings::HeaderTimeoutVariable, options.headerTimeoutMs);
    timeout(settings::IdleTimeoutVariable, options.idleTimeoutMs);
    timeout(settings::BodyTimeoutVariable, options.bodyTimeoutMs);
    timeout(settings::SendTimeoutVariable, options.sendTimeoutMs);
    timeout(settings::ShutdownGraceVariable, options.shutdownGraceMs);
    if (parser.isSet(QStringLiteral("workers"))) {
        const int workers = parser.value(QStringLiteral("workers")).toInt(&ok);
        if (!ok || workers < 1 || workers > 256)
            return Error::invalid(QStringLiteral("--workers takes a number from 1 to 256."));
        options.workers = workers;
    }
    return options;
}

QString siteUrl(const QString &host, quint16 port) {
    return port == 80 ? QStringLiteral("http://%1/").arg(host)
                      : QStringLiteral("http://%1:%2/").arg(host).arg(port);
}

int serverStart(const QCommandLineParser &parser) {
    holdStopSignals();
    auto options = servingOptions(parser);
    if (!options) {
        err() << "fazt: " << options.error().message << Qt::endl;
        return Usage;
    }
    const QString path = databasePath(parser);
    const bool isNew = !QFileInfo::exists(path);
    auto database = openOrCreate(path);
    if (!database)
        return fail(database.error().message);
    if (isNew || parser.isSet(QStringLiteral("domain"))) {
        const QString domain = parser.value(QStringLiteral("domain"));
        auto done = initialize(**database, domain, systemSitesFor(domain));
        if (!done)
            return fail(done.error().message);
        for (const QString &line : *done)
            out() << "  " << line << Qt::endl;
    }
    // A newer (or other) binary brings its own dashboard, matching its API.
    auto dashboard = admin::AdminSite::install(**database, admin::AdminSite::Replace::IfOutdated);
    if (!dashboard)
        return fail(dashboard.error().message);
    if (!dashboard->isEmpty())
        out() << "  " << *dashboard << Qt::endl;
    Config config(**database);
    if (Status s = config.load(); !s)
        return fail(s.error().message);
    app::Server::Options settings;
    settings.http = *options;
    settings.domain = config.setting(settings::Domain);
    // The limits stored by `server init` (or the last recalibration); the probe is fresh, for
    // the maintenance check and the memory breaker.
    settings.probe = system::Probe(system::Probe::defaultRoot()).run(path);
    auto limits = system::LimitStore::loadOrCalibrate(config, *settings.probe);
    if (!limits)
        return fail(limits.error().message);
    settings.limits = *limits;
    if (!parser.isSet(QStringLiteral("workers"))) {
        settings.http.workers = limits->workerThreads;
        settings.workersFollowLimits = true;
    }
    auto https = tls::httpsSettings(parser, config);
    if (!https) {
        err() << "fazt: " << https.error().message << Qt::endl;
        return Usage;
    }
    settings.https = *https;
    const auto onListening = [&](quint16 port, vfs::Vfs &vfs) {
        out() << "Fazt is serving " << QFileInfo(path).absoluteFilePath() << Qt::endl;
        auto sites = vfs.sites();
        const bool isLocal = settings.domain == QLatin1String("localhost");
        out() << "  landing page: "
              << siteUrl(isLocal ? QStringLiteral("localhost") : settings.domain, port) << Qt::endl;
        if (sites) {
            for (const vfs::SiteInfo &site : *sites) {
                const QString label = site.name == admin::AdminSite::SiteName
                                          ? QStringLiteral("admin dashboard")
                                          : QString(QStringLiteral("site ") + site.name);
                if (site.name != QLatin1String("root"))
                    out() << "  " << label << ": "
                          << siteUrl(site.name + u'.' +
                                         (isLocal ? QStringLiteral("localhost") : settings.domain),
                                     port)
                          << Qt::endl;
            }
        }
        if (!isLocal)
            out() << "  (on this machine, NAME.localhost:" << port << " works too)" << Qt::endl;
        // The way into the admin: a password first, then `fazt login` on this machine.
        // The command as it was typed (build/server/fazt under `make run`), to copy as it is.
        const QString local = QStringLiteral("http://localhost:%1").arg(port);
        const QString program = QCoreApplication::arguments().value(0);
        const QString fazt = program.contains(u'/') ? program : QStringLiteral("fazt");
        if (auth::Credentials credentials(**database);
            credentials.load() && !credentials.hasUsers())
            out() << "  admin: no password yet: set one with '" << fazt
                  << " server set-credentials --db " << QFileInfo(path).absoluteFilePath()
                  << "', then '" << fazt << " login " << local << "'" << Qt::endl;
        else
            out() << "  admin: " << siteUrl(QStringLiteral("admin.localhost"), port)
                  << " (the API; '" << fazt << " login " << local << "' for the command line)"
                  << Qt::endl;
        out() << "Press Ctrl+C to stop." << Qt::endl;
    };
    return serve(**database, settings, onListening);
}

int preview(const QCommandLineParser &parser) {
    const QStringList args = parser.positionalArguments();
    if (args.size() != 1) {
        err() << "fazt: 'preview' takes one argument, the folder to serve. Example: fazt preview "
                 "./public"
              << Qt::endl;
        return Usage;
    }
    auto options = servingOptions(parser);
    if (!options) {
        err() << "fazt: " << options.error().message << Qt::endl;
        return Usage;
    }
    ServingProcess process;
    app::Preview preview;
    QObject::connect(&preview, &app::Preview::loaded, [&preview](qint64 fileCount, bool isReload) {
        if (isReload) {
            out() << "Reloaded: " << fileCount << " files" << Qt::endl;
            return;
        }
        out() << "Previewing " << preview.folder() << " (" << fileCount << " files) at "
              << siteUrl(QStringLiteral("localhost"), preview.port()) << Qt::endl
              << "Pages open in a browser reload as you save. Press Ctrl+C to stop." << Qt::endl;
    });
    QObject::connect(&preview, &app::Preview::loadFailed,
                     [](const QString &message, bool isReload) {
                         if (isReload) {
                             err() << "fazt: reload failed: " << message << Qt::endl;
                             return;
                         }
                         err() << "fazt: " << message << Qt::endl;
                         QCoreApplication::exit(Failure);
                     });
    app::Preview::Options previewOptions;
    previewOptions.folder = args.first();
    previewOptions.http = *options;
    previewOptions.isSpa = parser.isSet(QStringLiteral("spa"));
    // Open pages reload themselves after each redeploy; waiting ones are let go at Ctrl+C.
    previewOptions.isLiveReloading = !parser.isSet(QStringLiteral("no-live-reload"));
    if (Status s = preview.start(previewOptions); !s)
        return fail(s.error().message);
    const int code = process.run();
    preview.stop();
    if (code == Ok)
        qInfo("fazt: stopped");
    return code;
}

// What a command does to the database itself, not through a server, is audited too.
void auditCommandLine(db::Database &database, const QString &action, const QString &target,
                      const QString &detail = {}) {
    audit::AuditEntry entry;
    entry.actor = QStringLiteral("command line");
    entry.action = action;
    entry.target = target;
    entry.detail = detail;
    if (Status s = audit::AuditLog(database).record(std::move(entry)).result(); !s)
        err() << "fazt: the audit log could not record this: " << s.error().message << Qt::endl;
}

int setCredentials(const QCommandLineParser &parser) {
    if (!parser.isSet(passwordFileOption) && !isatty(STDIN_FILENO)) {
        err()
            << "fazt: give the new password with --password-file FILE (or '-' for standard input)."
            << Qt::endl;
        return Usage;
    }
    auto password = readPassword(parser);
    if (!password)
        return fail(password.error().message);
    auto database = openExisting(databasePath(parser));
    if (!database)
        return fail(database.error().message);
    const QString username = parser.value(usernameOption);
    if (Status s = auth::Credentials::storePassword(**database, username, *password); !s)
        return fail(s.error().message);
    auditCommandLine(**database, QStringLiteral("credentials.set"), username);
    out() << "Password set for '" << username << "'. A running server picks it up within seconds."
          << Qt::endl;
    return Ok;
}

int createToken(const QCommandLineParser &parser) {
    if (!parser.isSet(QStringLiteral("name"))) {
        err() << "fazt: 'server create-token' needs --name, e.g. --name ci --scopes deploy."
              << Qt::endl;
        return Usage;
    }
    auto scopes = auth::parseScopes(parser.value(QStringLiteral("scopes")));
    if (!scopes) {
        err() << "fazt: " << scopes.error().message << Qt::endl;
        return Usage;
    }
    const auto sites = auth::parseSiteList(parser.value(QStringLiteral("sites")));
    if (!sites || (parser.isSet(QStringLiteral("sites")) && sites->isEmpty())) {
        err() << "fazt: "
              << (sites ? QStringLiteral("--sites needs at least one site name, like blog,docs.")
                        : sites.error().message)
              << Qt::endl;
        return Usage;
    }
    auto database = openExisting(databasePath(parser));
    if (!database)
        return fail(database.error().message);
    auth::TokenStore tokens(**database);
    if (Status s = tokens.load(); !s)
        return fail(s.error().message);
    auto created = tokens.create(parser.value(QStringLiteral("name")), *scopes, *sites);
    if (!created)
        return fail(created.error().message);
    auditCommandLine(**database, QStringLiteral("token.create"),
                     QString::number(created->second.id),
                     QStringLiteral("%1 (%2)").arg(created->second.name,
                                                   auth::formatScopes(created->second.scopes)));
    err() << "Token '" << created->second.name << "' ("
          << auth::formatScopes(created->second.scopes)
          << (sites->isEmpty() ? QString() : QStringLiteral("; only for %1").arg(sites->join(u',')))
          << ") created. It is shown once; store it now:" << Qt::endl;
    out() << created->first << Qt::endl;
    return Ok;
}

const QList<Command> &commands() {
    static const QList<Command> list =
        QList<Command>{
            {QStringLiteral("server"), QStringLiteral("init"),
             QStringLiteral("Create (or update) the database and seed the system sites."),
             QString(),
             [](QCommandLineParser &p) {
                 p.addOption(
                     {QStringLiteral("domain"),
                      QStringLiteral("The base domain; sites live at NAME.DOMAIN (required)."),
                      QStringLiteral("DOMAIN")});
                 p.addOption(dbOption);
                 p.addOption(usernameOption);
                 p.addOption(passwordFileOption);
                 p.addOption({QStringLiteral("demo"),
                              QStringLiteral("Publish the demo site at demo.DOMAIN too (always "
                                             "for localhost).")});
             },
             [](const QCommandLineParser &p) {
                 if (!p.isSet(QStringLiteral("domain"))) {
                     err() << "fazt: 'server init' needs --domain, e.g. --domain example.com "
                              "(or --domain localhost to try it locally)."
                           << Qt::endl;
                     return int(Usage);
                 }
                 return serverInit(p);
             }},
            {QStringLiteral("server"), QStringLiteral("start"),
             QStringLiteral("Start the server (creating the database on first run)."), QString(),
             [](QCommandLineParser &p) {
                 p.addOption({QStringLiteral("domain"),
                              QStringLiteral("The base domain (default: the stored one, or "
                                             "localhost for a new database)."),
                              QStringLiteral("DOMAIN"), QStringLiteral("localhost")});
                 p.addOption(dbOption);
                 addServingOptions(p, QStringLiteral("*"));
                 tls::addHttpsOptions(p);
             },
             serverStart},
            {QStringLiteral("preview"), QString(),
             QStringLiteral("Serve a local folder as a site, reloading on changes."),
             QStringLiteral("DIR"),
             [](QCommandLineParser &p) {
                 addServingOptions(p, QStringLiteral("localhost"));
                 p.addOption({QStringLiteral("spa"),
                              QStringLiteral("Single-page app: unknown paths serve index.html.")});
                 p.addOption({QStringLiteral("no-live-reload"),
                              QStringLiteral("Serve pages as they are, with their usual caching: "
                                             "no reload script, no 'no-cache' (as deployed).")});
                 p.addPositionalArgument(QStringLiteral("DIR"),
                                         QStringLiteral("The folder to serve."));
             },
             preview},
            {QStringLiteral("server"), QStringLiteral("set-credentials"),
             QStringLiteral(
                 "Set the admin password (also while the server runs): the way back in."),
             QString(),
             [](QCommandLineParser &p) {
                 p.addOption(dbOption);
                 p.addOption(usernameOption);
                 p.addOption(passwordFileOption);
             },
             setCredentials},
            {QStringLiteral("server"), QStringLiteral("create-token"),
             QStringLiteral("Create an API token for the CLI, CI or the console; printed once."),
             QString(),
             [](QCommandLineParser &p) {
                 p.addOption(dbOption);
                 p.addOption({QStringLiteral("name"),
                              QStringLiteral("What the token is for, e.g. ci (required)."),
                              QStringLiteral("NAME")});
                 p.addOption(
                     {QStringLiteral("scopes"),
                      QStringLiteral("Comma-separated: read, deploy, create-sites, admin "
                                     "(default: deploy). A deploy token needs create-sites to "
                                     "deploy to a site that does not exist yet."),
                      QStringLiteral("SCOPES"), QStringLiteral("deploy")});
                 p.addOption({QStringLiteral("sites"),
                              QStringLiteral("Limit the token to these sites (comma-separated, "
                                             "e.g. blog,docs): it can touch nothing else."),
                              QStringLiteral("SITES")});
             },
             createToken},
        } +
        databaseCommands() + loginCommands() + remoteCommands() + siteCommands() + tokenCommands() +
        settingsCommands() + reportCommands() + functionCommands() + systemCommands() +
        statusCommands() + serviceCommands() + auditCommands() + dashboardCommands() + completionCommands(commands);
    return list;
}

QString overview(const QString &group = QString()) {
    QString text = QStringLiteral("Usage: fazt COMMAND [options]\n\nFazt hosts many websites "
                                  "from one executable and one SQLite file.\n\nCommands:\n");
    const auto usageOf = [](const Command &c) {
        return QString(c.group + u' ' + c.name + u' ' + c.arguments).simplified();
    };
    qsizetype width = 0;
    for (const Command &c : commands())
        width = std::max(width, usageOf(c).size());
    for (const Command &c : commands()) {
        if (!group.isEmpty() && c.group != group)
            continue;
        text += QStringLiteral("  %1  %2\n").arg(usageOf(c).leftJustified(width), c.summary);
    }
    text += QStringLiteral("\nRun 'fazt COMMAND --help' for a command's options.\n");
    return text;
}

} // namespace

int run(const QStringList &arguments) {
    const QStringList args = arguments.mid(1);
    // What the server starts for its function pool (not for people: it speaks the pool's
    // framing on fd 3).
    if (!args.isEmpty() && args.first() == hosting::functions::WorkerProcess::Command)
        return hosting::functions::runWorkerCommand(args);
    if (args.isEmpty() || args.first() == QLatin1String("help") ||
        args.first() == QLatin1String("--help") || args.first() == QLatin1String("-h")) {
        (args.isEmpty() ? err() : out()) << overview();
        return args.isEmpty() ? Usage : Ok;
    }
    if (args.first() == QLatin1String("--version") || args.first() == QLatin1String("-v")) {
        out() << "fazt " << FAZT_VERSION << Qt::endl;
        return Ok;
    }
    const QString group = args.first();
    const bool isGroup = std::any_of(commands().begin(), commands().end(),
                                     [&](const Command &c) { return c.group == group; });
    if (!isGroup) {
        err() << "fazt: unknown command '" << group << "'.\n\n" << overview();
        return Usage;
    }
    const bool isTopLevel =
        std::any_of(commands().begin(), commands().end(),
                    [&](const Command &c) { return c.group == group && c.name.isEmpty(); });
    const QString name = isTopLevel ? QString() : args.value(1);
    if (!isTopLevel && (name.isEmpty() || name.startsWith(u'-'))) {
        const bool wantsHelp = name == QLatin1String("--help") || name == QLatin1String("-h");
        (wantsHelp ? out() : err()) << overview(group);
        return wantsHelp ? Ok : Usage;
    }
    const auto command = std::find_if(commands().begin(), commands().end(), [&](const Command &c) {
        return c.group == group && c.name == name;
    });
    if (command == commands().end()) {
        err() << "fazt: unknown command '" << group << ' ' << name << "'.\n\n" << overview(group);
        return Usage;
    }

    QCommandLineParser parser;
    parser.setApplicationDescription(command->summary);
    const QCommandLineOption help(QStringList{QStringLiteral("h"), QStringLiteral("help")},
                                  QStringLiteral("Show this help."));
    parser.addOption(help);
    const QCommandLineOption quiet(QStringList{QStringLiteral("q"), QStringLiteral("quiet")},
                                   QStringLiteral("Print only results and errors."));
    parser.addOption(quiet);
    command->options(parser);
    const QString commandName = QString(group + u' ' + name).trimmed();
    QStringList parsed = args.mid(isTopLevel ? 1 : 2);
    parsed.prepend(QStringLiteral("fazt ") + commandName);
    if (!parser.parse(parsed)) {
        err() << "fazt: " << parser.errorText() << "\nRun 'fazt " << commandName
              << " --help' for usage." << Qt::endl;
        return Usage;
    }
    if (parser.isSet(help)) {
        QString text = parser.helpText();
        const qsizetype end = text.indexOf(u'\n');
        const QString usage = text.left(end);
        const qsizetype options = usage.indexOf(QLatin1String(" [options]"));
        if (usage.startsWith(QLatin1String("Usage: ")) && options > 0)
            text.replace(0, options, QStringLiteral("Usage: fazt ") + commandName);
        out() << text;
        return Ok;
    }
    setQuiet(parser.isSet(quiet));
    if (command->arguments.isEmpty() && !parser.positionalArguments().isEmpty()) {
        err() << "fazt: '" << commandName << "' takes no argument '"
              << parser.positionalArguments().first() << "'." << Qt::endl;
        return Usage;
    }
    return command->run(parser);
}

} // namespace fazt::cli
