#include "cli/cli.h"

#include "auth/credentials.h"
#include "auth/password.h"
#include "auth/tokens.h"
#include "cli/command.h"
#include "cli/serving.h"
#include "cli/setup.h"
#include "config/config.h"
#include "db/connection.h"
#include "db/database.h"
#include "hosting/functions/sandbox.h"
#include "hosting/functions/scriptworker.h"
#include "stats/statsbuffer.h"
#include "system/limitstore.h"
#include "system/privatefiles.h"
#include "vfs/vfs.h"

#include <QCommandLineParser>
#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QTemporaryDir>
#include <QTextStream>
#include <QTimer>

#include <functional>
#include <sys/stat.h>
#include <termios.h>
#include <thread>
#include <unistd.h>

namespace fazt::cli {

QTextStream &out() {
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err() {
    static QTextStream stream(stderr);
    return stream;
}

QString humanBytes(qint64 bytes) {
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

int fail(const QString &message) {
    err() << "fazt: " << message << Qt::endl;
    return Failure;
}

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
    const QString fromEnv = qEnvironmentVariable("FAZT_DB");
    return fromEnv.isEmpty() ? QStringLiteral("fazt.db") : fromEnv;
}

namespace {

// Opens an existing database; a missing file is an error that says how to create one.
Result<std::unique_ptr<db::Database>> openExisting(const QString &path) {
    if (!QFileInfo::exists(path))
        return Error::notFound(QStringLiteral("There is no database at %1. Create one with "
                                              "'fazt server init --domain example.com --db %1'.")
                                   .arg(path));
    return db::Database::open(path);
}

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

QByteArray askHidden(const char *prompt) {
    err() << prompt << Qt::flush;
    termios saved{};
    const bool isTerminal = tcgetattr(STDIN_FILENO, &saved) == 0;
    if (isTerminal) {
        termios quiet = saved;
        quiet.c_lflag &= ~tcflag_t(ECHO);
        tcsetattr(STDIN_FILENO, TCSANOW, &quiet);
    }
    QTextStream in(stdin);
    const QByteArray line = in.readLine().toUtf8();
    if (isTerminal)
        tcsetattr(STDIN_FILENO, TCSANOW, &saved);
    err() << Qt::endl;
    return line;
}

// The admin password from --password-file, or asked twice on a terminal. An empty result
// without error means none was given (no terminal to ask on).
Result<QByteArray> readPassword(const QCommandLineParser &parser) {
    QByteArray password;
    if (parser.isSet(passwordFileOption)) {
        const QString path = parser.value(passwordFileOption);
        QFile file;
        const bool opened = path == QLatin1String("-")
                                ? file.open(stdin, QIODevice::ReadOnly)
                                : (file.setFileName(path), file.open(QIODevice::ReadOnly));
        if (!opened)
            return Error::io(QStringLiteral("Cannot read the password file %1: %2")
                                 .arg(path, file.errorString()));
        password = file.readLine(4096);
        while (password.endsWith('\n') || password.endsWith('\r'))
            password.chop(1);
        if (password.isEmpty())
            return Error::invalid(QStringLiteral("The password file %1 is empty.").arg(path));
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
    auto done = initialize(**database, parser.value(QStringLiteral("domain")));
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
    timeout("FAZT_HTTP_HEADER_TIMEOUT_MS", options.headerTimeoutMs);
    timeout("FAZT_HTTP_IDLE_TIMEOUT_MS", options.idleTimeoutMs);
    timeout("FAZT_HTTP_BODY_TIMEOUT_MS", options.bodyTimeoutMs);
    timeout("FAZT_HTTP_SEND_TIMEOUT_MS", options.sendTimeoutMs);
    timeout("FAZT_SHUTDOWN_GRACE_MS", options.shutdownGraceMs);
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
        auto done = initialize(**database, parser.value(QStringLiteral("domain")));
        if (!done)
            return fail(done.error().message);
        for (const QString &line : *done)
            out() << "  " << line << Qt::endl;
    }
    Config config(**database);
    if (Status s = config.load(); !s)
        return fail(s.error().message);
    ServeSettings settings;
    settings.http = *options;
    settings.domain = config.value(QStringLiteral("domain"), QStringLiteral("localhost"));
    // The limits stored by `server init` (or the last recalibration); the probe is fresh, for
    // the maintenance check and the memory breaker.
    settings.probe = system::Probe(system::Probe::defaultRoot()).run(path);
    auto limits = system::LimitStore::loadOrCalibrate(config, *settings.probe);
    if (!limits)
        return fail(limits.error().message);
    settings.limits = *limits;
    if (!parser.isSet(QStringLiteral("workers")))
        settings.http.workers = limits->workerThreads;
    auto https = tls::httpsSettings(parser, config);
    if (!https) {
        err() << "fazt: " << https.error().message << Qt::endl;
        return Usage;
    }
    settings.https = *https;
    settings.onListening = [&](quint16 port, vfs::Vfs &vfs) {
        out() << "Fazt is serving " << QFileInfo(path).absoluteFilePath() << Qt::endl;
        auto sites = vfs.sites();
        const bool isLocal = settings.domain == QLatin1String("localhost");
        out() << "  landing page: "
              << siteUrl(isLocal ? QStringLiteral("localhost") : settings.domain, port) << Qt::endl;
        if (sites) {
            for (const vfs::SiteInfo &site : *sites) {
                if (site.name != QLatin1String("root"))
                    out() << "  site " << site.name << ": "
                          << siteUrl(site.name + u'.' +
                                         (isLocal ? QStringLiteral("localhost") : settings.domain),
                                     port)
                          << Qt::endl;
            }
        }
        if (!isLocal)
            out() << "  (on this machine, NAME.localhost:" << port << " works too)" << Qt::endl;
        out() << "Press Ctrl+C to stop." << Qt::endl;
    };
    return serve(**database, settings);
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
    const QString folder = QFileInfo(args.first()).absoluteFilePath();
    if (!QFileInfo(folder).isDir())
        return fail(QStringLiteral("%1 is not a folder.").arg(args.first()));
    QTemporaryDir scratch;
    if (!scratch.isValid())
        return fail(
            QStringLiteral("Cannot create a temporary folder: %1").arg(scratch.errorString()));
    auto database = db::Database::open(scratch.filePath(QStringLiteral("preview.db")));
    if (!database)
        return fail(database.error().message);
    vfs::Vfs loader(**database);
    const QString site = QStringLiteral("preview");
    if (auto created = loader.createSite(site); !created)
        return fail(created.error().message);
    if (parser.isSet(QStringLiteral("spa"))) {
        if (Status s = loader.setSiteSettings(site, QStringLiteral("{\"spa\": true}")); !s)
            return fail(s.error().message);
    }
    auto deployed = loader.deployDirectory(site, folder);
    if (!deployed)
        return fail(deployed.error().message);

    ServeSettings settings;
    settings.http = *options;
    settings.domain = QStringLiteral("localhost");
    settings.fixedSite = site;
    // Redeploy when anything in the folder changes, after a short quiet period. Directories
    // report files added and removed; files report being rewritten in place.
    QFileSystemWatcher watcher;
    QTimer debounce;
    debounce.setSingleShot(true);
    debounce.setInterval(300);
    const auto watchAll = [&watcher, folder] {
        const QStringList watched = watcher.directories() + watcher.files();
        if (!watched.isEmpty())
            watcher.removePaths(watched);
        QStringList paths{folder};
        QDirIterator it(folder, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden,
                        QDirIterator::Subdirectories);
        while (it.hasNext())
            paths.append(it.next());
        watcher.addPaths(paths);
    };
    vfs::Vfs *serving = nullptr;
    QObject::connect(&watcher, &QFileSystemWatcher::directoryChanged, &debounce,
                     qOverload<>(&QTimer::start));
    QObject::connect(&watcher, &QFileSystemWatcher::fileChanged, &debounce,
                     qOverload<>(&QTimer::start));
    QObject::connect(&debounce, &QTimer::timeout, [&] {
        auto again = serving->deployDirectory(site, folder);
        if (again)
            out() << "Reloaded: " << again->fileCount << " files" << Qt::endl;
        else
            err() << "fazt: reload failed: " << again.error().message << Qt::endl;
        watchAll();
    });
    settings.onListening = [&](quint16 port, vfs::Vfs &vfs) {
        serving = &vfs; // the serving Vfs invalidates the cache when a deploy activates
        out() << "Previewing " << folder << " (" << deployed->fileCount << " files) at "
              << siteUrl(QStringLiteral("localhost"), port) << Qt::endl
              << "Changes are picked up as you save. Press Ctrl+C to stop." << Qt::endl;
        watchAll();
    };
    return serve(**database, settings);
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
    err() << "Token '" << created->second.name << "' ("
          << auth::formatScopes(created->second.scopes)
          << (sites->isEmpty() ? QString() : QStringLiteral("; only for %1").arg(sites->join(u',')))
          << ") created. It is shown once; store it now:" << Qt::endl;
    out() << created->first << Qt::endl;
    return Ok;
}

int dbVacuum(const QCommandLineParser &parser) {
    auto database = openExisting(databasePath(parser));
    if (!database)
        return fail(database.error().message);
    db::Database &d = **database;
    auto before = d.reader().queryInt("PRAGMA freelist_count");
    Status vacuumed = d.writer().run(
        [](db::Connection &c) -> Status { return c.exec("PRAGMA incremental_vacuum"); });
    if (!vacuumed)
        return fail(vacuumed.error().message);
    auto pageSize = d.reader().queryInt("PRAGMA page_size");
    if (before && pageSize)
        out() << "Returned " << humanBytes(*before * *pageSize) << " of free pages to the "
              << "filesystem." << Qt::endl;
    return Ok;
}

int dbBackup(const QCommandLineParser &parser) {
    const QStringList args = parser.positionalArguments();
    if (args.size() != 1) {
        err() << "fazt: 'db backup' takes one argument, the file to write. Example: fazt db "
                 "backup /var/backups/fazt.db"
              << Qt::endl;
        return Usage;
    }
    auto database = openExisting(databasePath(parser));
    if (!database)
        return fail(database.error().message);
    if (Status s = (*database)->backup(args.first()); !s)
        return fail(s.error().message);
    out() << "Backup written to " << QFileInfo(args.first()).absoluteFilePath() << " ("
          << humanBytes(QFileInfo(args.first()).size()) << ")." << Qt::endl;
    return Ok;
}

// The processes other than this one that have `path` open (from /proc/PID/fd; those of other
// users are seen only by root or their user).
QList<qint64> processesHolding(const QString &path) {
    const QString target = QFileInfo(path).canonicalFilePath();
    QList<qint64> holders;
    if (target.isEmpty())
        return holders;
    const QDir proc(QStringLiteral("/proc"));
    for (const QString &pid : proc.entryList(QDir::Dirs | QDir::NoDotAndDotDot)) {
        bool isNumber = false;
        const qint64 id = pid.toLongLong(&isNumber);
        if (!isNumber || id == QCoreApplication::applicationPid())
            continue;
        const QDir fds(proc.filePath(pid + QStringLiteral("/fd")));
        for (const QFileInfo &fd : fds.entryInfoList(QDir::Files | QDir::System)) {
            if (fd.symLinkTarget() == target) {
                holders << id;
                break;
            }
        }
    }
    return holders;
}

// `fazt db restore BACKUP`: the backup becomes the database; the file it replaces is kept.
int dbRestore(const QCommandLineParser &parser) {
    const QStringList args = parser.positionalArguments();
    if (args.size() != 1) {
        err() << "fazt: 'db restore' takes one argument, the backup. Example: fazt db restore "
                 "/var/backups/fazt.db --db /var/lib/fazt/fazt.db"
              << Qt::endl;
        return Usage;
    }
    const QString backup = args.first();
    const QString path = QFileInfo(databasePath(parser)).absoluteFilePath();
    if (!QFileInfo(backup).isFile())
        return fail(QStringLiteral("There is no backup at %1.").arg(backup));
    if (Status s = db::Database::checkIntegrity(backup); !s)
        return fail(QStringLiteral("%1 is not a sound database (%2); nothing was changed.")
                        .arg(backup, s.error().message));
    qint64 version = 0;
    if (auto c = db::Connection::open(backup, db::OpenMode::ReadOnly); c)
        if (auto v = (*c)->queryInt("PRAGMA user_version"); v)
            version = *v;
    if (version < 1 || version > db::Database::latestSchemaVersion())
        return fail(QStringLiteral("%1 is not a Fazt database this fazt can open (schema version "
                                   "%2; this fazt knows 1 to %3); nothing was changed.")
                        .arg(backup)
                        .arg(version)
                        .arg(db::Database::latestSchemaVersion()));
    if (const QList<qint64> holders = processesHolding(path); !holders.isEmpty())
        return fail(QStringLiteral("%1 is open in process %2 (a running server?). Stop it first "
                                   "(systemctl stop fazt); nothing was changed.")
                        .arg(path)
                        .arg(holders.first()));
    // The file it replaces, with its -wal and -shm (committed data may still be in the WAL),
    // moved aside under one name: SQLite opens the kept file whole.
    QString kept;
    struct stat owner {};
    const bool hasOwner = ::stat(QFile::encodeName(path).constData(), &owner) == 0;
    if (QFileInfo::exists(path)) {
        kept = path + QStringLiteral(".before-restore-") +
               QDateTime::currentDateTime().toString(QStringLiteral("yyyyMMdd-HHmmss"));
        for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
            if (QFileInfo::exists(path + suffix) && !QFile::rename(path + suffix, kept + suffix))
                return fail(QStringLiteral("Cannot move %1 aside to %2.").arg(path + suffix, kept));
    }
    const QString partial = path + QStringLiteral(".restoring");
    QFile::remove(partial);
    if (!QFile::copy(backup, partial) ||
        !QFile::setPermissions(partial, QFileDevice::ReadOwner | QFileDevice::WriteOwner))
        return fail(QStringLiteral("Cannot copy %1 to %2.").arg(backup, partial));
    // Root restoring the service's database: the file stays the fazt user's.
    if (hasOwner)
        (void)!::chown(QFile::encodeName(partial).constData(), owner.st_uid, owner.st_gid);
    if (!QFile::rename(partial, path))
        return fail(QStringLiteral("Cannot rename %1 to %2.").arg(partial, path));
    out() << "Restored " << path << " from " << backup << " (schema version " << version << ")."
          << Qt::endl;
    if (!kept.isEmpty())
        out() << "  the file it replaced is kept as " << kept << Qt::endl;
    if (version < db::Database::latestSchemaVersion())
        out() << "  the next start migrates it to schema version "
              << db::Database::latestSchemaVersion() << Qt::endl;
    return Ok;
}

// "30d", "12h", "2w" or a plain number of days, in seconds; -1 if malformed.
qint64 parseAge(const QString &text) {
    static const QList<QPair<QChar, qint64>> units{{u'h', 3600}, {u'd', 86400}, {u'w', 604800}};
    qint64 unit = 86400;
    QString number = text.trimmed();
    for (const auto &[suffix, seconds] : units)
        if (number.endsWith(suffix)) {
            unit = seconds;
            number.chop(1);
        }
    bool ok = false;
    const qint64 n = number.toLongLong(&ok);
    return ok && n >= 0 && n <= 100 * 365 ? n * unit : -1;
}

int dbPrune(const QCommandLineParser &parser) {
    auto database = openExisting(databasePath(parser));
    if (!database)
        return fail(database.error().message);
    Config config(**database);
    if (Status s = config.load(); !s)
        return fail(s.error().message);
    const QString age =
        parser.isSet(QStringLiteral("older-than"))
            ? parser.value(QStringLiteral("older-than"))
            : QString::number(config.intValue(QStringLiteral("stats.retention_days"), 30)) + u'd';
    const qint64 keepSeconds = parseAge(age);
    if (keepSeconds < 0) {
        err() << "fazt: --older-than takes an age such as 30d, 12h or 2w, not '" << age << "'."
              << Qt::endl;
        return Usage;
    }
    auto events = (*database)->writer().run([keepSeconds](db::Connection &c) {
        return stats::StatsBuffer::prune(c, QDateTime::currentSecsSinceEpoch(), keepSeconds);
    });
    if (!events)
        return fail(events.error().message);
    vfs::Vfs vfs(**database);
    auto report = vfs.collectGarbage();
    if (!report)
        return fail(report.error().message);
    out() << "Removed " << *events << " analytics events older than " << age
          << " (hourly and daily totals are kept), " << report->blobsRemoved
          << " unreferenced blobs (" << humanBytes(report->bytesFreed) << ") and "
          << report->deploysRemoved << " abandoned deploys. Run 'fazt db vacuum' to shrink the "
          << "file." << Qt::endl;
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
            {QStringLiteral("db"), QStringLiteral("vacuum"),
             QStringLiteral("Return free pages to the filesystem (incremental vacuum)."), QString(),
             [](QCommandLineParser &p) { p.addOption(dbOption); }, dbVacuum},
            {QStringLiteral("db"), QStringLiteral("backup"),
             QStringLiteral("Write a consistent copy of the database, also while the server runs."),
             QStringLiteral("OUT"),
             [](QCommandLineParser &p) {
                 p.addOption(dbOption);
                 p.addPositionalArgument(QStringLiteral("OUT"),
                                         QStringLiteral("The file to write."));
             },
             dbBackup},
            {QStringLiteral("db"), QStringLiteral("restore"),
             QStringLiteral("Replace the database with a backup (server stopped); the old file "
                            "is kept."),
             QStringLiteral("BACKUP"),
             [](QCommandLineParser &p) {
                 p.addOption(dbOption);
                 p.addPositionalArgument(
                     QStringLiteral("BACKUP"),
                     QStringLiteral("A file from 'fazt db backup' or an upgrade's "
                                    "fazt.db.schema-N.bak."));
             },
             dbRestore},
            {QStringLiteral("db"), QStringLiteral("prune"),
             QStringLiteral("Delete old analytics events, unused blobs and abandoned deploys."),
             QString(),
             [](QCommandLineParser &p) {
                 p.addOption(dbOption);
                 p.addOption({QStringLiteral("older-than"),
                              QStringLiteral("Delete raw analytics events older than AGE (30d, "
                                             "12h, 2w; default: config stats.retention_days, 30 "
                                             "days). Hourly and daily totals are kept."),
                              QStringLiteral("AGE")});
             },
             dbPrune},
        } +
        remoteCommands() + systemCommands() + functionCommands() + statusCommands() +
        serviceCommands();
    return list;
}

QString overview(const QString &group = QString()) {
    QString text = QStringLiteral("Usage: fazt COMMAND [options]\n\nFazt hosts many websites "
                                  "from one executable and one SQLite file.\n\nCommands:\n");
    for (const Command &c : commands()) {
        if (!group.isEmpty() && c.group != group)
            continue;
        const QString usage = QString(c.group + u' ' + c.name + u' ' + c.arguments).simplified();
        text += QStringLiteral("  %1 %2\n").arg(usage.leftJustified(22), c.summary);
    }
    text += QStringLiteral("\nRun 'fazt COMMAND --help' for a command's options.\n");
    return text;
}

} // namespace

namespace {

// `fazt __function-worker --memory BYTES`: what the server starts for its function pool (not
// for people: it speaks the pool's framing on fd 3). `--check-sandbox` enters the worker's
// sandbox and reports what it refuses.
int functionWorker(const QStringList &args) {
    if (args.contains(QLatin1String("--check-sandbox")))
        return hosting::functions::sandbox::check();
    const qsizetype at = args.indexOf(QLatin1String("--memory"));
    bool isNumber = false;
    const qint64 memory = args.value(at + 1).toLongLong(&isNumber);
    if (at < 0 || !isNumber || memory <= 0)
        return fail(QStringLiteral("__function-worker is started by the server, not by hand."));
    return hosting::functions::runScriptWorker(3, memory);
}

} // namespace

int run(const QStringList &arguments) {
    const QStringList args = arguments.mid(1);
    if (!args.isEmpty() && args.first() == QLatin1String("__function-worker"))
        return functionWorker(args);
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
    if (command->arguments.isEmpty() && !parser.positionalArguments().isEmpty()) {
        err() << "fazt: '" << commandName << "' takes no argument '"
              << parser.positionalArguments().first() << "'." << Qt::endl;
        return Usage;
    }
    return command->run(parser);
}

} // namespace fazt::cli
