#include "stats/statsbatch.h"

#include "db/connection.h"

#include <QtEndian>

#include <algorithm>
#include <array>
#include <vector>

namespace fazt::stats {

namespace {

constexpr qint64 DaySeconds = 86400;

// Dimension kinds as stored in stats_dimensions.kind, in the order of StatsBatch::Kind.
const char *const KindNames[] = {"referrer", "agent", "status", "event"};

// Agent names as bound to SQL.
QByteArrayView agentUtf8(Agent agent) {
    static const auto names = [] {
        std::array<QByteArray, 5> n;
        for (int i = 0; i < 5; ++i)
            n[size_t(i)] = agentName(Agent(i)).toUtf8();
        return n;
    }();
    return names[size_t(agent)];
}

// A visitor id as stored: 8 bytes, big-endian (bind it with bindBlob, which copies).
struct VisitorBlob {
    explicit VisitorBlob(VisitorId id) { qToBigEndian(id, bytes); }
    QByteArrayView view() const { return QByteArrayView(bytes, sizeof bytes); }
    char bytes[8];
};

} // namespace

size_t qHash(const StatsBatch::PathKey &key, size_t seed) {
    return qHashMulti(seed, key.site, key.hour, key.path);
}
size_t qHash(const StatsBatch::DimensionKey &key, size_t seed) {
    return qHashMulti(seed, key.site, key.hour, key.kind, key.value);
}
size_t qHash(const StatsBatch::VisitorKey &key, size_t seed) {
    return qHashMulti(seed, key.site, key.hour, key.visitor);
}

void StatsBatch::absorb(StatsBatch &&other, Place place) {
    // Into an empty batch (the first shard a flush collects) everything moves as it is.
    if (paths.isEmpty()) {
        paths = std::move(other.paths);
    } else {
        for (auto it = other.paths.cbegin(); it != other.paths.cend(); ++it) {
            PathCounts &c = paths[it.key()];
            c.hits += it->hits;
            c.views += it->views;
            c.bytes += it->bytes;
        }
    }
    if (dimensions.isEmpty()) {
        dimensions = std::move(other.dimensions);
    } else {
        for (auto it = other.dimensions.cbegin(); it != other.dimensions.cend(); ++it)
            dimensions[it.key()] += *it;
    }
    if (visitors.isEmpty())
        visitors = std::move(other.visitors);
    else
        visitors.unite(other.visitors);
    if (events.empty()) {
        events = std::move(other.events);
    } else if (place == Place::After) {
        events.insert(events.end(), std::make_move_iterator(other.events.begin()),
                      std::make_move_iterator(other.events.end()));
    } else {
        other.events.insert(other.events.end(), std::make_move_iterator(events.begin()),
                            std::make_move_iterator(events.end()));
        events = std::move(other.events);
    }
    records += other.records;
    bytes += other.bytes;
}

Status StatsBatch::write(db::Connection &c) const {
    auto pathRows = c.prepare(
        "INSERT INTO stats_hourly (site, hour, path, hits, views, bytes) VALUES (?, ?, ?, ?, ?, ?) "
        "ON CONFLICT (site, hour, path) DO UPDATE SET hits = hits + excluded.hits, "
        "views = views + excluded.views, bytes = bytes + excluded.bytes");
    if (!pathRows)
        return pathRows.error();
    for (auto it = paths.cbegin(); it != paths.cend(); ++it) {
        pathRows->bindAll(it.key().site, it.key().hour);
        pathRows->bindText(3, it.key().path);
        pathRows->bind(4, it->hits).bind(5, it->views).bind(6, it->bytes);
        if (Status s = pathRows->exec(); !s)
            return s;
    }
    auto dimensionRows = c.prepare(
        "INSERT INTO stats_dimensions (site, hour, kind, value, count) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (site, hour, kind, value) DO UPDATE SET count = count + excluded.count");
    if (!dimensionRows)
        return dimensionRows.error();
    for (auto it = dimensions.cbegin(); it != dimensions.cend(); ++it) {
        dimensionRows->bindAll(it.key().site, it.key().hour,
                               QString::fromLatin1(KindNames[it.key().kind]), it.key().value, *it);
        if (Status s = dimensionRows->exec(); !s)
            return s;
    }
    // A visitor is new in a period if its hash was not there yet; the counts per period go
    // up by the number of new hashes.
    auto seen = c.prepare("INSERT OR IGNORE INTO stats_visitors (site, period, start, visitor) "
                          "VALUES (?, ?, ?, ?)");
    auto uniques =
        c.prepare("INSERT INTO stats_uniques (site, period, start, visitors) VALUES (?, ?, ?, 1) "
                  "ON CONFLICT (site, period, start) DO UPDATE SET visitors = visitors + 1");
    if (!seen)
        return seen.error();
    if (!uniques)
        return uniques.error();
    const QString hourly = QStringLiteral("h"), daily = QStringLiteral("d");
    for (const VisitorKey &v : visitors) {
        const VisitorBlob id(v.visitor);
        for (const auto &[period, start] :
             {std::pair{hourly, v.hour}, std::pair{daily, v.hour - v.hour % DaySeconds}}) {
            seen->bindAll(v.site, period, start);
            seen->bindBlob(4, id.view());
            if (Status s = seen->exec(); !s)
                return s;
            if (c.changes() == 0)
                continue;
            uniques->bindAll(v.site, period, start);
            if (Status s = uniques->exec(); !s)
                return s;
        }
    }
    // Raw events go in 64 rows per statement: one step of a multi-row INSERT costs SQLite
    // much less per row than a step per row.
    constexpr int Columns = 8;
    constexpr int RowsPerInsert = 64;
    const auto sqlFor = [](int rows) {
        QByteArray sql = "INSERT INTO stats_events (at, site, path, name, properties, referrer, "
                         "agent, visitor) VALUES ";
        for (int row = 0; row < rows; ++row)
            sql += row == 0 ? "(?, ?, ?, ?, ?, ?, ?, ?)" : ", (?, ?, ?, ?, ?, ?, ?, ?)";
        return sql;
    };
    static const QByteArray oneRow = sqlFor(1), manyRows = sqlFor(RowsPerInsert);
    const auto insertFor = [&c](int rows) {
        const QByteArray &sql = rows == 1 ? oneRow : manyRows;
        return c.prepare(std::string_view(sql.constData(), size_t(sql.size())));
    };
    // The batch outlives the statements: its texts are bound where they lie.
    const auto bindEvent = [](db::Statement &st, int first, const Event &e) {
        st.bind(first, e.atMs).bind(first + 1, e.site);
        st.bindTextInPlace(first + 2, e.path()).bindTextInPlace(first + 3, e.name());
        if (e.properties().isEmpty())
            st.bindNull(first + 4);
        else
            st.bindTextInPlace(first + 4, e.properties());
        if (e.referrerHost().isEmpty())
            st.bindNull(first + 5);
        else
            st.bindTextInPlace(first + 5, e.referrerHost());
        st.bindTextInPlace(first + 6, agentUtf8(e.agent));
        if (e.visitor == 0)
            st.bindNull(first + 7);
        else
            st.bindBlob(first + 7, VisitorBlob(e.visitor).view());
    };
    // Shards interleave in time: raw events are written in the order they happened.
    std::vector<const Event *> inOrder;
    inOrder.reserve(events.size());
    for (const Event &e : events)
        inOrder.push_back(&e);
    std::stable_sort(inOrder.begin(), inOrder.end(),
                     [](const Event *a, const Event *b) { return a->atMs < b->atMs; });
    auto it = inOrder.cbegin();
    for (qsizetype left = qsizetype(inOrder.size()); left > 0;) {
        const int rows = left >= RowsPerInsert ? RowsPerInsert : 1;
        auto insert = insertFor(rows);
        if (!insert)
            return insert.error();
        for (int row = 0; row < rows; ++row, ++it)
            bindEvent(*insert, 1 + row * Columns, **it);
        if (Status s = insert->exec(); !s)
            return s;
        left -= rows;
    }
    return {};
}

} // namespace fazt::stats
