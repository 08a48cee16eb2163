#pragma once

// What the StatsBuffer replaced, kept as the peer bench_stats measures it against: one INSERT,
// in its own transaction, per record, on the caller's thread, behind one lock. Benchmarks
// only (naivestatsserver); tst_statsbuffer checks that it stores each record.

#include "db/connection.h"
#include "db/database.h"

#include <QByteArrayView>

#include <memory>
#include <mutex>

namespace fazt::bench {

class NaiveWriter {
public:
    // SqliteDefaults: synchronous=FULL, a sync per record, as a straightforward implementation
    // gets. ServerPragmas: the server's own (WAL, synchronous=NORMAL), which isolates the
    // pattern from durability.
    enum class Pragmas { SqliteDefaults, ServerPragmas };

    static Result<std::unique_ptr<NaiveWriter>> open(db::Database &database, Pragmas pragmas) {
        auto connection = db::Connection::open(database.path(), db::OpenMode::ReadWrite);
        if (!connection)
            return connection.error();
        const Status configured = pragmas == Pragmas::ServerPragmas
                                      ? database.applyPragmas(**connection, 2048)
                                      : (*connection)->exec("PRAGMA busy_timeout = 5000");
        if (!configured)
            return configured.error();
        return std::unique_ptr<NaiveWriter>(new NaiveWriter(std::move(*connection)));
    }

    bool insert(QByteArrayView site, QByteArrayView path, QByteArrayView name, qint64 atMs) {
        std::lock_guard lock(m_mutex);
        auto insert = m_connection->prepare(
            "INSERT INTO stats_events (at, site, path, name) VALUES (?, ?, ?, ?)");
        if (!insert)
            return false;
        insert->bind(1, atMs);
        insert->bindText(2, site).bindText(3, path).bindText(4, name);
        if (!insert->exec())
            return false;
        ++m_written;
        return true;
    }

    // Records written, each in a transaction of its own.
    quint64 written() {
        std::lock_guard lock(m_mutex);
        return m_written;
    }

private:
    explicit NaiveWriter(std::unique_ptr<db::Connection> connection)
        : m_connection(std::move(connection)) {}

    std::mutex m_mutex;
    std::unique_ptr<db::Connection> m_connection;
    quint64 m_written = 0;
};

} // namespace fazt::bench
