#pragma once

#include "result.h"
#include "stats/statsrecord.h"

#include <QByteArray>
#include <QHash>
#include <QSet>
#include <QString>

#include <deque>

namespace fazt::db {
class Connection;
}

namespace fazt::stats {

// What one flush writes: the rollups counted since the last one (per site, hour and path; per
// dimension; unique visitors) and the raw explicit events. StatsBuffer fills batches in
// memory; write() puts one into the database.
struct StatsBatch {
    // Dimension kinds; stored in stats_dimensions.kind by name ("referrer", "agent", ...).
    enum Kind : quint8 { ReferrerKind, AgentKind, StatusKind, EventKind };

    struct PathKey {
        QString site;
        qint64 hour;
        QByteArray path;
        bool operator==(const PathKey &) const = default;
    };
    struct PathCounts {
        qint64 hits = 0, views = 0, bytes = 0;
    };
    struct DimensionKey {
        QString site;
        qint64 hour;
        quint8 kind;
        QString value;
        bool operator==(const DimensionKey &) const = default;
    };
    struct VisitorKey {
        QString site;
        qint64 hour;
        VisitorId visitor;
        bool operator==(const VisitorKey &) const = default;
    };
    friend size_t qHash(const PathKey &key, size_t seed);
    friend size_t qHash(const DimensionKey &key, size_t seed);
    friend size_t qHash(const VisitorKey &key, size_t seed);

    QHash<PathKey, PathCounts> paths;
    QHash<DimensionKey, qint64> dimensions;
    QSet<VisitorKey> visitors;
    std::deque<Event> events;
    qint64 records = 0;
    qint64 bytes = 0;
    // Rows a flush of this batch writes: raw events and distinct rollup keys.
    qint64 rows() const {
        return paths.size() + dimensions.size() + visitors.size() + qint64(events.size());
    }
    bool isEmpty() const { return records == 0; }
    // Adds `other`'s counts, and its raw events before or after these (dropping from the
    // front drops the oldest).
    enum class Place { Before, After };
    void absorb(StatsBatch &&other, Place place);

    // Adds the rollups to the database's counts and inserts the raw events, in time order. Run
    // it as a writer job: if a statement fails, the job's savepoint undoes what was written.
    Status write(db::Connection &c) const;
};

} // namespace fazt::stats
