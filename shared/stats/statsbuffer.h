#pragma once

#include "result.h"
#include "stats/statsbatch.h"
#include "stats/statsrecord.h"

#include <QByteArray>
#include <QFuture>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QTimer>

#include <array>
#include <atomic>
#include <memory>
#include <mutex>

namespace fazt::db {
class Connection;
class Database;
} // namespace fazt::db

namespace fazt::stats {

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
    struct Options {
        qint64 budgetBytes = 8 << 20;
        int flushIntervalMs = 30000;
        int flushThreshold = 1000;
        int retryDelayMs = 5000;
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
    static Result<qint64> prune(db::Connection &c, qint64 nowSeconds, qint64 keepSeconds);

public Q_SLOTS:
    // Starts writing what is pending (no-op while a flush is in flight or nothing is pending).
    void flush();

private:
    struct InFlight {
        std::shared_ptr<StatsBatch> batch;
        QFuture<Status> result;
    };
    // Threads record into shards of their own, so HTTP workers never wait for each other: a
    // thread takes the same shard each time, and a flush collects them all.
    static constexpr int ShardCount = 8;
    struct alignas(64) Shard {
        mutable std::mutex mutex;
        StatsBatch batch;
        quint64 accepted = 0;
    };
    Shard &shardOfThisThread();

    // Each returns the rows it added to the batch (a new key; 0 for a count that went up).
    int addDimension(StatsBatch &batch, const QString &site, qint64 hour, quint8 kind,
                     const QString &value);
    int addVisitor(StatsBatch &batch, const QString &site, qint64 hour, VisitorId visitor);
    bool isOverBudget() const {
        return m_pendingBytes.load(std::memory_order_relaxed) >
               m_budgetBytes.load(std::memory_order_relaxed);
    }
    void noteRecorded(qint64 rowsAdded);
    void requestFlushIfDue();
    void dropOldestEvents();
    void reportDrops();
    void finishFlush(const std::shared_ptr<InFlight> &flight, const Status &status);
    QByteArray saltForDay(qint64 day);

    db::Database &m_database;
    Options m_options;
    QTimer m_timer;
    QTimer m_retryTimer;

    std::array<Shard, ShardCount> m_shards;
    std::atomic<int> m_nextShard{0};
    std::atomic<qint64> m_pendingRecords{0}; // in the shards, not in a flush in flight
    std::atomic<qint64> m_pendingRows{0};    // what writing them takes (StatsBatch::rows)
    std::atomic<qint64> m_pendingBytes{0};
    std::atomic<qint64> m_flushThreshold;
    std::atomic<qint64> m_budgetBytes;

    mutable std::mutex m_mutex; // guards the counters below
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
};

} // namespace fazt::stats
