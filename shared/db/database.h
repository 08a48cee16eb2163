#pragma once

#include "db/connection.h"
#include "db/writequeue.h"

#include <QString>

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <unordered_map>

namespace fazt::db {

// fazt.db: opens or creates it with our pragmas, brings its schema up to date from the
// migrations in resources/migrations (one transaction each; a database written by a newer
// Fazt is refused), owns the WriteQueue (the only writer) and hands every thread its own
// read-only connection.
class Database {
public:
    struct Options {
        qint64 cacheSizeKiB = 16 * 1024; // SQLite page cache per read connection (from Capacity)
        // The writer mostly appends (chunks, rows) and finds its index pages in the OS page
        // cache: a large cache of its own would only fill with pages of big uploads and stay.
        qint64 writerCacheSizeKiB = 2 * 1024;
        WriteQueue::Options writeQueue;
    };

    static Result<std::unique_ptr<Database>> open(const QString &path);
    static Result<std::unique_ptr<Database>> open(const QString &path, const Options &options);
    // Stops the writer after the queued writes ran, then closes every connection: no thread may
    // still be using a reader.
    ~Database();

    const QString &path() const { return m_path; }
    WriteQueue &writer() { return *m_writer; }
    // The calling thread's read-only connection, opened on first use.
    Connection &reader();
    // Closes the calling thread's reader (for threads that end before the Database).
    void releaseReader();
    // Resizes the page cache of every read connection, live: each applies it on its next use.
    void setReaderCacheSizeKiB(qint64 kib) { m_readerCacheSizeKiB = std::max<qint64>(64, kib); }
    qint64 readerCacheSizeKiB() const { return m_readerCacheSizeKiB.load(); }

    int schemaVersion() const { return m_schemaVersion; }
    static int latestSchemaVersion();

    // A consistent copy of the database as it is now, taken while writes go on. Written to a
    // temporary file next to `destination` and renamed into place: there is never a half
    // backup at `destination`.
    Status backup(const QString &destination);
    // Runs PRAGMA integrity_check on a fresh connection; the error lists what is wrong.
    static Status checkIntegrity(const QString &path);
    // Where opening a database of an older schema keeps the file as it was before migrating
    // ("fazt.db.schema-6.bak"), until the next upgrade.
    static QString upgradeBackupPath(const QString &path, int schemaVersion);

    // The settings every connection of the server runs with (busy timeout, synchronous=NORMAL
    // under WAL, foreign keys, a page cache of `cacheSizeKiB`).
    Status applyPragmas(Connection &c, qint64 cacheSizeKiB) const;
    Status makePrivate() const;

private:
    Database(QString path, Options options);
    Status migrate(Connection &c);
    Status keepUpgradeBackup(Connection &c, int schemaVersion) const;

    const QString m_path;
    const Options m_options;
    const quint64 m_id;
    int m_schemaVersion = 0;
    std::atomic<qint64> m_readerCacheSizeKiB;
    std::unique_ptr<WriteQueue> m_writer;
    std::mutex m_readersMutex;
    std::unordered_map<std::thread::id, std::unique_ptr<Connection>> m_readers;
};

} // namespace fazt::db
