#pragma once

#include "result.h"

#include <QByteArray>
#include <QFuture>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QString>
#include <QTimer>

#include <array>
#include <atomic>
#include <deque>
#include <memory>
#include <mutex>

namespace fazt::db {
class Connection;
class Database;
} // namespace fazt::db

namespace fazt::stats {

// A browser class, from the User-Agent header.
enum class Agent : quint8 { Desktop, Mobile, Tablet, Bot, Other };
QString agentName(Agent agent);
Agent classifyAgent(QByteArrayView userAgent);
// The host of a Referer header if it is another site's ("news.example.org"); empty for none,
// a malformed one, or a link from `ownHost` itself (navigation inside a site is not a referral).
QString referrerHost(QByteArrayView referer, QByteArrayView ownHost);

// A visitor: a hash of the client address and user agent with a salt that changes every day
// (UTC). 0 means "not counted".
using VisitorId = quint64;

// One request a site answered, as the HTTP layer saw it.
struct RequestRecord {
    QString site;
    QByteArray path; // as requested (UTF-8, percent-encoding kept), without the query
    int status = 0;
    qint64 bytes = 0;        // body bytes sent
    bool isPageView = false; // an HTML document answered 200
    QString referrerHost;    // page views only
    Agent agent = Agent::Other;
    VisitorId visitor = 0; // page views only
    qint64 at = 0;         // Unix seconds
};

// One explicit event (POST /track, GET /pixel.gif). Its texts are UTF-8 packed into one
// buffer: one allocation per event, and the writer binds them where they lie.
struct Event {
    qint64 atMs = 0;
    QString site;
    Agent agent = Agent::Other;
    VisitorId visitor = 0;

    // The path ("/pricing"), the event's name, its properties (a compact JSON object, or
    // empty) and the referrer's host (or empty). Copied: none may point into this event.
    void setTexts(QByteArrayView path, QByteArrayView name, QByteArrayView properties = {},
                  QByteArrayView referrerHost = {});
    QByteArrayView path() const { return text(0); }
    QByteArrayView name() const { return text(1); }
    QByteArrayView properties() const { return text(2); }
    QByteArrayView referrerHost() const { return text(3); }
    qsizetype textBytes() const { return m_texts.size(); }

private:
    QByteArrayView text(size_t i) const {
        const quint32 begin = i == 0 ? 0 : m_ends[i - 1];
        return QByteArrayView(m_texts.constData() + begin, qsizetype(m_ends[i] - begin));
    }
    QByteArray m_texts;
    std::array<quint32, 4> m_ends{};
};

// Counts every request and event in memory and writes them to the database in one
// transaction per flush, as rollups (per site, hour and path; per dimension; unique visitors)
// plus the raw explicit events. The original failure this exists to prevent: one INSERT per
// event, which under traffic took the database down before anything else.
//
// record() is thread-safe and cheap (a lock and a few hash updates); the StatsBuffer itself
// lives on a thread with an event loop, which runs the flushes. A flush happens every
// `flushIntervalMs` or as soon as `flushThreshold` rows are waiting to be written: each raw
// event is one, and so is each new rollup key (a path, referrer or visitor not yet counted
// this hour). A request that only raises a count adds no row and brings no flush nearer, so
// a busy page costs the database nothing more than a quiet one. If a flush fails it
// is retried once after `retryDelayMs`; if that fails too the records go back into the
// buffer, which then drops its oldest raw events to stay within `budgetBytes` (logged and
// counted). Counts of requests are never dropped: past the budget, new paths and referrers
// are folded into "(other)".
class StatsBuffer : public QObject {
    Q_OBJECT
public:
    enum class Mode {
        Buffered,
        // One INSERT (its own transaction) per record, on the calling thread: what this class
        // replaces. Only for the benchmark that measures the difference. NaiveInsert runs on a
        // connection with SQLite's defaults (synchronous=FULL: every event durable, as a
        // straightforward implementation gets); NaiveInsertTuned with the server's own
        // settings (synchronous=NORMAL under WAL), which isolates the pattern from durability.
        NaiveInsert,
        NaiveInsertTuned,
    };
    struct Options {
        qint64 budgetBytes = 8 << 20;
        int flushIntervalMs = 30000;
        int flushThreshold = 1000;
        int retryDelayMs = 5000;
        Mode mode = Mode::Buffered;
    };
    struct Counters {
        quint64 accepted = 0;      // requests and events recorded
        quint64 flushed = 0;       // of those, written to the database
        quint64 dropped = 0;       // raw events dropped to stay within the budget
        quint64 flushes = 0;       // transactions that committed
        quint64 flushFailures = 0; // flush attempts that failed
        qint64 pending = 0;        // records waiting for the next flush
        qint64 pendingRows = 0;    // the rows writing them takes
        qint64 pendingBytes = 0;   // their estimated memory
        qint64 budgetBytes = 0;
        QJsonObject toJson() const;
    };

    StatsBuffer(db::Database &database, Options options, QObject *parent = nullptr);
    ~StatsBuffer() override;

    void record(const RequestRecord &request);
    void record(const Event &event);

    // Who a client is today: its visitor id and browser class. Thread-safe, and cheap for a
    // client seen a moment ago (a small per-thread cache spares the digest and the agent scan).
    struct Visit {
        VisitorId visitor = 0;
        Agent agent = Agent::Other;
    };
    Visit visit(QByteArrayView clientAddress, QByteArrayView userAgent);
    VisitorId visitor(QByteArrayView clientAddress, QByteArrayView userAgent) {
        return visit(clientAddress, userAgent).visitor;
    }

    // Starts the flush timer (call on the buffer's thread).
    void start();
    // Writes everything pending now and waits for it, retrying once on failure (SIGTERM and
    // tests). Call on the buffer's thread.
    Status flushAll();

    Counters counters() const;
    const Options &options() const { return m_options; }
    void setFlushInterval(int milliseconds);
    void setFlushThreshold(int records);
    void setBudget(qint64 bytes);

    // Deletes raw events older than `keepSeconds` and visitor hashes of closed periods (older
    // than two days); the rollups stay. Runs on the writer; returns the events removed.
    static Result<qint64> prune(db::Connection &writer, qint64 nowSeconds, qint64 keepSeconds);

public Q_SLOTS:
    // Starts writing what is pending (no-op while a flush is in flight or nothing is pending).
    void flush();

private:
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

    // What one flush writes.
    struct Batch {
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
        void absorb(Batch &&other, Place place);
    };
    struct InFlight {
        std::shared_ptr<Batch> batch;
        QFuture<Status> result;
    };
    // Threads record into shards of their own, so HTTP workers never wait for each other: a
    // thread takes the same shard each time, and a flush collects them all.
    static constexpr int ShardCount = 8;
    struct alignas(64) Shard {
        mutable std::mutex mutex;
        Batch batch;
        quint64 accepted = 0;
    };
    Shard &shardOfThisThread();

    // Each returns the rows it added to the batch (a new key; 0 for a count that went up).
    int addDimension(Batch &batch, const QString &site, qint64 hour, quint8 kind,
                     const QString &value);
    int addVisitor(Batch &batch, const QString &site, qint64 hour, VisitorId visitor);
    bool isOverBudget() const {
        return m_pendingBytes.load(std::memory_order_relaxed) >
               m_budgetBytes.load(std::memory_order_relaxed);
    }
    void noteRecorded(qint64 rowsAdded);
    void requestFlushIfDue();
    void dropOldestEvents();
    void reportDrops();
    static Status write(db::Connection &writer, const Batch &batch);
    void finishFlush(const std::shared_ptr<InFlight> &flight, const Status &status);
    void insertNaive(const QString &site, QByteArrayView path, QByteArrayView name, qint64 atMs);
    QByteArray saltForDay(qint64 day);

    db::Database &m_database;
    Options m_options;
    QTimer m_timer;
    QTimer m_retryTimer;

    std::array<Shard, ShardCount> m_shards;
    std::atomic<int> m_nextShard{0};
    std::atomic<qint64> m_pendingRecords{0}; // in the shards, not in a flush in flight
    std::atomic<qint64> m_pendingRows{0};    // what writing them takes (Batch::rows)
    std::atomic<qint64> m_pendingBytes{0};
    std::atomic<qint64> m_flushThreshold;
    std::atomic<qint64> m_budgetBytes;

    mutable std::mutex m_mutex; // guards the counters below
    quint64 m_naiveAccepted = 0;
    quint64 m_flushed = 0;
    quint64 m_dropped = 0;
    quint64 m_flushes = 0;
    quint64 m_flushFailures = 0;
    qint64 m_droppedUnreported = 0;
    std::atomic<bool> m_isFlushRequested{false};

    std::shared_ptr<InFlight> m_inFlight; // the buffer's thread only
    int m_failedAttempts = 0;             // likewise

    std::mutex m_saltMutex;
    qint64 m_saltDay = -1;
    QByteArray m_salt;

    std::mutex m_naiveMutex;
    std::unique_ptr<db::Connection> m_naiveConnection;
};

} // namespace fazt::stats
