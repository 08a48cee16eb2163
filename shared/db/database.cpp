#include "db/database.h"

#include "system/privatefiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>

#include <atomic>
#include <sqlite3.h>

namespace fazt::db {

namespace {

std::atomic<quint64> nextDatabaseId{1};

// The reader cache of the calling thread: one slot, checked before taking the mutex, so the
// hot path costs a thread-local compare.
struct ThreadReader {
    quint64 databaseId = 0;
    Connection *connection = nullptr;
    qint64 cacheSizeKiB = -1; // as last applied to the connection (-1: not known)
};
thread_local ThreadReader threadReader;

struct Migration {
    int version;
    QString file;
};

// Migrations are resources named NNNN_description.sql, applied in order of NNNN.
QList<Migration> migrations() {
    static const QList<Migration> list = [] {
        QList<Migration> found;
        static const QRegularExpression name(QStringLiteral("^(\\d{4})_.*\\.sql$"));
        const QDir dir(QStringLiteral(":/migrations"));
        for (const QString &file : dir.entryList(QDir::Files, QDir::Name)) {
            if (auto m = name.match(file); m.hasMatch())
                found.append({m.captured(1).toInt(), dir.filePath(file)});
        }
        return found;
    }();
    return list;
}

} // namespace

int Database::latestSchemaVersion() {
    const auto list = migrations();
    return list.isEmpty() ? 0 : list.last().version;
}

Database::Database(QString path, Options options)
    : m_path(std::move(path))
    , m_options(options)
    , m_id(nextDatabaseId++)
    , m_readerCacheSizeKiB(options.cacheSizeKiB) {}

Database::~Database() {
    m_writer.reset();
    std::lock_guard lock(m_readersMutex);
    m_readers.clear();
    if (threadReader.databaseId == m_id)
        threadReader = {};
}

Result<std::unique_ptr<Database>> Database::open(const QString &path) {
    return open(path, Options());
}

Result<std::unique_ptr<Database>> Database::open(const QString &path, const Options &options) {
    const QFileInfo info(path);
    if (!info.absoluteDir().exists())
        return Error::io(QStringLiteral("Cannot open database %1: the directory %2 does not "
                                        "exist. Create it first.")
                             .arg(path, info.absolutePath()));
    std::unique_ptr<Database> database(new Database(info.absoluteFilePath(), options));
    if (Status s = database->makePrivate(); !s)
        return s.error();
    auto connection = Connection::open(database->m_path, OpenMode::ReadWrite);
    if (!connection)
        return connection.error();
    Connection &c = **connection;

    // auto_vacuum can only be chosen before the first table exists.
    auto pages = c.queryInt("PRAGMA page_count");
    if (!pages)
        return Error{pages.error().code,
                     QStringLiteral("Cannot read %1: %2").arg(path, pages.error().message)};
    if (*pages == 0) {
        if (Status s = c.exec("PRAGMA auto_vacuum=INCREMENTAL"); !s)
            return s.error();
    }
    if (Status s = c.exec("PRAGMA journal_mode=WAL"); !s)
        return s.error();
    if (Status s = database->applyPragmas(c, options.writerCacheSizeKiB); !s)
        return s.error();
    if (Status s = database->migrate(c); !s)
        return s.error();
    database->m_writer = std::make_unique<WriteQueue>(std::move(*connection), options.writeQueue);
    return database;
}

// The database holds private keys and secrets: it is created 0600 (SQLite gives -wal and
// -shm the database's own mode), and one found readable by others is closed to them, loudly.
Status Database::makePrivate() const {
    if (Status s = system::PrivateFiles::createFile(m_path); !s)
        return s;
    for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")}) {
        const Result<int> was = system::PrivateFiles::restrict(m_path + suffix);
        if (!was) // not ours to change (another user's file): say so, and go on
            qWarning("fazt: %s", qPrintable(was.error().message));
        else if (*was != 0)
            qWarning("fazt: %s was readable by other users (mode %s); it is now %s.",
                     qPrintable(m_path + suffix), qPrintable(QString::number(*was, 8)),
                     qPrintable(QString::number(*was & ~077, 8)));
    }
    return {};
}

Status Database::applyPragmas(Connection &c, qint64 cacheSizeKiB) const {
    // journal_size_limit: a WAL that grew while readers held old snapshots (a big deploy
    // while files are served, Litestream's long read) is cut back to 32 MiB when it next
    // starts over, instead of keeping its largest size for good. SQLite only starts a WAL over
    // when no reader needs it, so this never gets in a reader's (or Litestream's) way.
    const std::string pragmas = "PRAGMA busy_timeout=5000; PRAGMA synchronous=NORMAL; "
                                "PRAGMA foreign_keys=ON; PRAGMA mmap_size=0; "
                                "PRAGMA journal_size_limit=33554432; "
                                "PRAGMA cache_size=-" +
                                std::to_string(cacheSizeKiB) + ";";
    return c.exec(pragmas);
}

Status Database::migrate(Connection &c) {
    auto version = c.queryInt("PRAGMA user_version");
    if (!version)
        return version.error();
    const int latest = latestSchemaVersion();
    if (*version > latest)
        return Error{Error::Code::Unsupported,
                     QStringLiteral("%1 was written by a newer Fazt (schema version %2; this "
                                    "fazt knows up to %3). Upgrade fazt, or open a backup made "
                                    "with this version.")
                         .arg(m_path)
                         .arg(*version)
                         .arg(latest)};
    if (*version > 0 && *version < latest)
        if (Status s = keepUpgradeBackup(c, int(*version)); !s)
            return s;
    for (const Migration &migration : migrations()) {
        if (migration.version <= *version)
            continue;
        QFile file(migration.file);
        if (!file.open(QIODevice::ReadOnly))
            return Error::internal(QStringLiteral("Missing migration %1").arg(migration.file));
        const std::string sql = file.readAll().toStdString() +
                                "\nPRAGMA user_version=" + std::to_string(migration.version) + ";";
        if (Status s = c.exec("BEGIN IMMEDIATE"); !s)
            return s.error();
        if (Status s = c.exec(sql); !s) {
            c.rollback();
            return Error{
                s.error().code,
                QStringLiteral("Migration %1 failed: %2").arg(migration.file, s.error().message)};
        }
        if (Status s = c.exec("COMMIT"); !s) {
            c.rollback();
            return s.error();
        }
    }
    m_schemaVersion = std::max(int(*version), latest);
    return {};
}

QString Database::upgradeBackupPath(const QString &path, int schemaVersion) {
    return path + QStringLiteral(".schema-%1.bak").arg(schemaVersion);
}

// Before a newer fazt migrates the schema forward, a consistent copy of the file as it was
// (VACUUM INTO: one transaction, 0600 like every file fazt creates), so an upgrade that goes
// wrong can be undone with `fazt db restore`. Only the latest is kept: the copies of earlier
// upgrades go.
Status Database::keepUpgradeBackup(Connection &c, int schemaVersion) const {
    const QString target = upgradeBackupPath(m_path, schemaVersion);
    const QFileInfo info(m_path);
    const QString pattern = info.fileName() + QStringLiteral(".schema-*.bak");
    for (const QString &old : info.dir().entryList({pattern}, QDir::Files))
        QFile::remove(info.dir().filePath(old));
    // An empty file made 0600 first (VACUUM INTO takes an empty file, and keeps its mode).
    if (Status s = system::PrivateFiles::createFile(target); !s)
        return s;
    std::string sql =
        "VACUUM INTO '" + QString(target).replace(u'\'', QLatin1String("''")).toStdString() + "'";
    if (Status s = c.exec(sql); !s)
        return Error{s.error().code,
                     QStringLiteral("Cannot keep a copy of %1 before upgrading it (%2); nothing "
                                    "was changed. Free some disk space and start fazt again.")
                         .arg(m_path, s.error().message)};
    qInfo("fazt: upgrading %s from schema version %d; the previous file is kept as %s",
          qPrintable(m_path), schemaVersion, qPrintable(target));
    return {};
}

Connection &Database::reader() {
    if (threadReader.databaseId == m_id) {
        const qint64 wanted = m_readerCacheSizeKiB.load(std::memory_order_relaxed);
        if (threadReader.cacheSizeKiB != wanted) { // resized while running: apply on next use
            (void)threadReader.connection->exec("PRAGMA cache_size=-" + std::to_string(wanted));
            threadReader.cacheSizeKiB = wanted;
        }
        return *threadReader.connection;
    }
    std::lock_guard lock(m_readersMutex);
    auto &slot = m_readers[std::this_thread::get_id()];
    if (!slot) {
        auto opened = Connection::open(m_path, OpenMode::ReadOnly);
        // The file was opened read-write a moment ago by this process; failing now means the
        // system is out of file descriptors or memory, which we cannot serve around.
        if (!opened)
            qFatal("Cannot open a read connection to %s: %s", qPrintable(m_path),
                   qPrintable(opened.error().message));
        slot = std::move(*opened);
        (void)applyPragmas(*slot, m_readerCacheSizeKiB); // the writer applied the same fine
        threadReader = {m_id, slot.get(), m_readerCacheSizeKiB};
        return *slot;
    }
    threadReader = {m_id, slot.get(), -1};
    return *slot;
}

void Database::releaseReader() {
    std::lock_guard lock(m_readersMutex);
    m_readers.erase(std::this_thread::get_id());
    if (threadReader.databaseId == m_id)
        threadReader = {};
}

Status Database::backup(const QString &destination) {
    const QFileInfo target(destination);
    if (!target.absoluteDir().exists())
        return Error::io(QStringLiteral("Cannot write backup: the directory %1 does not exist.")
                             .arg(target.absolutePath()));
    if (target.absoluteFilePath() == m_path)
        return Error::invalid(QStringLiteral("The backup must not overwrite the database itself."));
    const QString partial = target.absoluteFilePath() + QStringLiteral(".partial");
    QFile::remove(partial);

    auto source = Connection::open(m_path, OpenMode::ReadOnly);
    if (!source)
        return source.error();
    if (Status s = system::PrivateFiles::createFile(partial); !s)
        return s;
    auto copy = Connection::open(partial, OpenMode::ReadWrite);
    if (!copy)
        return copy.error();
    // One step of -1 copies every page inside a single read transaction: a consistent snapshot
    // even while the WriteQueue commits (WAL readers never block the writer).
    sqlite3_backup *backup =
        sqlite3_backup_init((*copy)->handle(), "main", (*source)->handle(), "main");
    if (!backup)
        return (*copy)->lastError(QStringLiteral("Cannot start backup"));
    const int rc = sqlite3_backup_step(backup, -1);
    sqlite3_backup_finish(backup);
    if (rc != SQLITE_DONE) {
        Error error =
            Connection::errorFromCode(rc, QStringLiteral("Backup failed"), sqlite3_errstr(rc));
        copy->reset();
        QFile::remove(partial);
        return error;
    }
    // Fold the copy's WAL into the file so the backup is one self-contained file.
    (void)(*copy)->exec("PRAGMA wal_checkpoint(TRUNCATE)");
    copy->reset();
    QFile::remove(partial + QStringLiteral("-wal"));
    QFile::remove(partial + QStringLiteral("-shm"));
    QFile::remove(target.absoluteFilePath());
    if (!QFile::rename(partial, target.absoluteFilePath())) {
        QFile::remove(partial);
        return Error::io(QStringLiteral("Cannot move the backup into place at %1.")
                             .arg(target.absoluteFilePath()));
    }
    return {};
}

Status Database::checkIntegrity(const QString &path) {
    auto c = Connection::open(path, OpenMode::ReadOnly);
    if (!c)
        return c.error();
    auto stmt = (*c)->prepare("PRAGMA integrity_check");
    if (!stmt)
        return stmt.error();
    QStringList problems;
    while (stmt->next()) {
        const QString line = stmt->text(0);
        if (line != QLatin1String("ok"))
            problems.append(line);
    }
    if (stmt->error())
        return *stmt->error();
    if (!problems.isEmpty())
        return Error{Error::Code::Database, QStringLiteral("Integrity check of %1 failed: %2")
                                                .arg(path, problems.join(QStringLiteral("; ")))};
    return {};
}

} // namespace fazt::db
