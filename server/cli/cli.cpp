#include "cli/cli.h"

#include "cli/setup.h"
#include "db/database.h"
#include "vfs/vfs.h"

#include <QCommandLineParser>
#include <QDir>
#include <QFileInfo>
#include <QTextStream>

#include <functional>

namespace fazt::cli {

namespace {

QTextStream &out() {
    static QTextStream stream(stdout);
    return stream;
}

QTextStream &err() {
    static QTextStream stream(stderr);
    return stream;
}

int fail(const QString &message) {
    err() << "fazt: " << message << Qt::endl;
    return Failure;
}

struct Command {
    QString group;   // "server", "db"
    QString name;    // "init"
    QString summary; // one line for the command list
    QString arguments; // positional arguments for the usage line, e.g. "OUT"
    std::function<void(QCommandLineParser &)> options;
    std::function<int(const QCommandLineParser &)> run;
};

const QCommandLineOption dbOption(QStringList{QStringLiteral("db")},
                                  QStringLiteral("The database file (default: $FAZT_DB, or "
                                                 "./fazt.db)."),
                                  QStringLiteral("PATH"));

QString databasePath(const QCommandLineParser &parser) {
    if (parser.isSet(dbOption))
        return parser.value(dbOption);
    const QString fromEnv = qEnvironmentVariable("FAZT_DB");
    return fromEnv.isEmpty() ? QStringLiteral("fazt.db") : fromEnv;
}

// Opens an existing database; a missing file is an error that says how to create one.
Result<std::unique_ptr<db::Database>> openExisting(const QString &path) {
    if (!QFileInfo::exists(path))
        return Error::notFound(QStringLiteral("There is no database at %1. Create one with "
                                              "'fazt server init --domain example.com --db %1'.")
                                   .arg(path));
    return db::Database::open(path);
}

Result<std::unique_ptr<db::Database>> openOrCreate(const QString &path) {
    const QDir dir = QFileInfo(path).absoluteDir();
    if (!dir.exists() && !QDir().mkpath(dir.absolutePath()))
        return Error::io(QStringLiteral("Cannot create the directory %1.").arg(dir.absolutePath()));
    return db::Database::open(path);
}

QString humanBytes(qint64 bytes) {
    return QLocale::c().formattedDataSize(bytes, 1, QLocale::DataSizeTraditionalFormat);
}

int serverInit(const QCommandLineParser &parser) {
    const QString path = databasePath(parser);
    const bool isNew = !QFileInfo::exists(path);
    auto database = openOrCreate(path);
    if (!database)
        return fail(database.error().message);
    auto done = initialize(**database, parser.value(QStringLiteral("domain")));
    if (!done)
        return fail(done.error().message);
    out() << (isNew ? "Created " : "Updated ") << QFileInfo(path).absoluteFilePath()
          << " (schema version " << (*database)->schemaVersion() << ")" << Qt::endl;
    for (const QString &line : *done)
        out() << "  " << line << Qt::endl;
    if (done->isEmpty())
        out() << "  nothing to do: already initialized" << Qt::endl;
    return Ok;
}

int serverStart(const QCommandLineParser &parser) {
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
    vfs::Vfs vfs(**database);
    auto sites = vfs.sites();
    if (!sites)
        return fail(sites.error().message);
    out() << "Database " << QFileInfo(path).absoluteFilePath() << ": " << sites->size()
          << " sites" << Qt::endl;
    for (const vfs::SiteInfo &site : *sites) {
        out() << "  " << site.name;
        if (site.activeDeployId == 0) {
            out() << " (nothing deployed)" << Qt::endl;
            continue;
        }
        auto deploy = vfs.deploy(site.activeDeployId);
        if (deploy)
            out() << ": deploy " << deploy->id << ", " << deploy->fileCount << " files, "
                  << humanBytes(deploy->bytes);
        out() << Qt::endl;
    }
    out() << "The HTTP server is not part of this build yet; the database is ready." << Qt::endl;
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

int dbPrune(const QCommandLineParser &parser) {
    auto database = openExisting(databasePath(parser));
    if (!database)
        return fail(database.error().message);
    vfs::Vfs vfs(**database);
    auto report = vfs.collectGarbage();
    if (!report)
        return fail(report.error().message);
    out() << "Removed " << report->blobsRemoved << " unreferenced blobs ("
          << humanBytes(report->bytesFreed) << ") and " << report->deploysRemoved
          << " abandoned deploys. Run 'fazt db vacuum' to shrink the file." << Qt::endl;
    return Ok;
}

const QList<Command> &commands() {
    static const QList<Command> list = {
        {QStringLiteral("server"), QStringLiteral("init"),
         QStringLiteral("Create (or update) the database and seed the system sites."), QString(),
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("domain"),
                          QStringLiteral("The base domain; sites live at NAME.DOMAIN (required)."),
                          QStringLiteral("DOMAIN")});
             p.addOption(dbOption);
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
                          QStringLiteral("The base domain for a new database (default: "
                                         "localhost)."),
                          QStringLiteral("DOMAIN"), QStringLiteral("localhost")});
             p.addOption(dbOption);
         },
         serverStart},
        {QStringLiteral("db"), QStringLiteral("vacuum"),
         QStringLiteral("Return free pages to the filesystem (incremental vacuum)."), QString(),
         [](QCommandLineParser &p) { p.addOption(dbOption); }, dbVacuum},
        {QStringLiteral("db"), QStringLiteral("backup"),
         QStringLiteral("Write a consistent copy of the database, also while the server runs."),
         QStringLiteral("OUT"),
         [](QCommandLineParser &p) {
             p.addOption(dbOption);
             p.addPositionalArgument(QStringLiteral("OUT"), QStringLiteral("The file to write."));
         },
         dbBackup},
        {QStringLiteral("db"), QStringLiteral("prune"),
         QStringLiteral("Delete blobs no deploy uses and abandoned deploys."), QString(),
         [](QCommandLineParser &p) { p.addOption(dbOption); }, dbPrune},
    };
    return list;
}

QString overview(const QString &group = QString()) {
    QString text = QStringLiteral("Usage: fazt COMMAND [options]\n\nFazt hosts many websites "
                                  "from one executable and one SQLite file.\n\nCommands:\n");
    for (const Command &c : commands()) {
        if (!group.isEmpty() && c.group != group)
            continue;
        text += QStringLiteral("  %1 %2 %3\n")
                    .arg(c.group, QString(c.name + u' ' + c.arguments).trimmed().leftJustified(14), c.summary);
    }
    text += QStringLiteral("\nRun 'fazt COMMAND --help' for a command's options.\n");
    return text;
}

} // namespace

int run(const QStringList &arguments) {
    const QStringList args = arguments.mid(1);
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
    const QString name = args.value(1);
    if (name.isEmpty() || name.startsWith(u'-')) {
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
    QStringList parsed = args.mid(2);
    parsed.prepend(QStringLiteral("fazt %1 %2").arg(group, name));
    if (!parser.parse(parsed)) {
        err() << "fazt: " << parser.errorText() << "\nRun 'fazt " << group << ' ' << name
              << " --help' for usage." << Qt::endl;
        return Usage;
    }
    if (parser.isSet(help)) {
        out() << parser.helpText().replace(QStringLiteral("Usage: fazt %1 %2").arg(group, name),
                                           QStringLiteral("Usage: fazt %1 %2").arg(group, name));
        return Ok;
    }
    if (command->arguments.isEmpty() && !parser.positionalArguments().isEmpty()) {
        err() << "fazt: '" << group << ' ' << name << "' takes no argument '"
              << parser.positionalArguments().first() << "'." << Qt::endl;
        return Usage;
    }
    return command->run(parser);
}

} // namespace fazt::cli
