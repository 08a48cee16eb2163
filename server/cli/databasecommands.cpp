// `fazt db vacuum|backup|restore|prune`: the database file itself, with no server needed.

#include "audit/auditlog.h"
#include "cli/cli.h"
#include "cli/command.h"
#include "config/config.h"
#include "config/settings.h"
#include "db/connection.h"
#include "db/database.h"
#include "stats/statsbuffer.h"
#include "system/privatefiles.h"
#include "system/units.h"
#include "vfs/vfs.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFileInfo>

#include <sys/stat.h>
#include <unistd.h>

namespace fazt::cli {

namespace {

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
        out() << "Returned " << system::humanBytes(*before * *pageSize) << " of free pages to the "
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
          << system::humanBytes(QFileInfo(args.first()).size()) << ")." << Qt::endl;
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
            : QString::number(config.intSetting(settings::StatsRetentionDays)) + u'd';
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
    const qint64 auditDays = config.intSetting(settings::AuditRetentionDays);
    auto auditEntries = (*database)->writer().run(
        [auditDays](db::Connection &c) { return audit::AuditLog::pruneExpired(c, auditDays); });
    if (!auditEntries)
        return fail(auditEntries.error().message);
    vfs::Vfs vfs(**database);
    auto report = vfs.collectGarbage();
    if (!report)
        return fail(report.error().message);
    out() << "Removed " << *events << " analytics events older than " << age
          << " (hourly and daily totals are kept), " << *auditEntries
          << " audit entries older than " << auditDays << " days, " << report->blobsRemoved
          << " unreferenced blobs (" << system::humanBytes(report->bytesFreed) << ") and "
          << report->deploysRemoved << " abandoned deploys. Run 'fazt db vacuum' to shrink the "
          << "file." << Qt::endl;
    return Ok;
}

} // namespace

QList<Command> databaseCommands() {
    return {
        {QStringLiteral("db"), QStringLiteral("vacuum"),
         QStringLiteral("Return free pages to the filesystem (incremental vacuum)."), QString(),
         [](QCommandLineParser &p) { p.addOption(databaseOption()); }, dbVacuum},
        {QStringLiteral("db"), QStringLiteral("backup"),
         QStringLiteral("Write a consistent copy of the database, also while the server runs."),
         QStringLiteral("OUT"),
         [](QCommandLineParser &p) {
             p.addOption(databaseOption());
             p.addPositionalArgument(QStringLiteral("OUT"), QStringLiteral("The file to write."));
         },
         dbBackup},
        {QStringLiteral("db"), QStringLiteral("restore"),
         QStringLiteral("Replace the database with a backup (server stopped); the old file "
                        "is kept."),
         QStringLiteral("BACKUP"),
         [](QCommandLineParser &p) {
             p.addOption(databaseOption());
             p.addPositionalArgument(QStringLiteral("BACKUP"),
                                     QStringLiteral("A file from 'fazt db backup' or an upgrade's "
                                                    "fazt.db.schema-N.bak."));
         },
         dbRestore},
        {QStringLiteral("db"), QStringLiteral("prune"),
         QStringLiteral("Delete old analytics events and audit entries, unused blobs and "
                        "abandoned deploys."),
         QString(),
         [](QCommandLineParser &p) {
             p.addOption(databaseOption());
             p.addOption({QStringLiteral("older-than"),
                          QStringLiteral("Delete raw analytics events older than AGE (30d, "
                                         "12h, 2w; default: config stats.retention_days, 30 "
                                         "days). Hourly and daily totals are kept."),
                          QStringLiteral("AGE")});
         },
         dbPrune},
    };
}

} // namespace fazt::cli
