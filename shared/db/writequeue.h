#pragma once

#include "db/connection.h"

#include <QFuture>
#include <QPromise>

#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <type_traits>

namespace fazt::db {

// The only writer of the database: one thread, one connection. Callers submit a job (a
// function of the write connection returning a Result) and get a QFuture of that result,
// resolved only after the job's transaction committed. Queued jobs are batched into one
// transaction; each runs inside its own SAVEPOINT, so a failing job is rolled back alone and
// the rest of the batch commits. The queue is bounded: when full, submit() answers Busy
// at once instead of letting memory grow.
//
// A job must not wait on the WriteQueue itself (it runs on the writer thread).
class WriteQueue {
public:
    struct Options {
        int maxDepth = 10000; // queued jobs before submit() answers Busy
        int maxBatch = 64;    // jobs per transaction
        // After this long without a write, the WAL is checkpointed and truncated to zero bytes
        // if no reader holds it (never waiting for one); 0: only SQLite's own checkpoints.
        int idleCheckpointMs = 1000;
    };
    struct Counters {
        quint64 jobs = 0;         // jobs run (committed or failed)
        quint64 failedJobs = 0;   // jobs that returned an error or whose commit failed
        quint64 transactions = 0; // transactions committed
        quint64 rejected = 0;     // submits refused because the queue was full
        quint64 checkpoints = 0;  // idle checkpoints that emptied the WAL
    };

    explicit WriteQueue(std::unique_ptr<Connection> connection);
    WriteQueue(std::unique_ptr<Connection> connection, Options options);
    // Runs everything already queued, then stops.
    ~WriteQueue();

    template <typename F> auto submit(F &&job) -> QFuture<std::invoke_result_t<F &, Connection &>>;
    // submit() and wait for the result.
    template <typename F> auto run(F &&job) -> std::invoke_result_t<F &, Connection &> {
        return submit(std::forward<F>(job)).result();
    }
    // One or more SQL statements as a job.
    QFuture<Status> submitSql(std::string sql);

    int depth() const;
    Counters counters() const;
    // Transactions committed so far, counted after each COMMIT and before its jobs' results
    // are delivered. What a reader read after seeing N stays true while this is still N
    // (every write goes through this queue), so a cache may keep it that long.
    quint64 committed() const { return m_transactions.load(); }
    const Options &options() const { return m_options; }

private:
    struct Item {
        std::function<bool(Connection &)> run;           // true if the job succeeded
        std::function<void(const Error *commit)> finish; // deliver the result
    };
    bool enqueue(Item item);
    Error busyError() const;
    void loop();
    void runBatch(std::deque<Item> &batch);
    void runAlone(Item &item);
    bool truncateWal();

    std::unique_ptr<Connection> m_connection;
    const Options m_options;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<Item> m_queue;
    bool m_isStopping = false;
    std::atomic<quint64> m_jobs{0}, m_failedJobs{0}, m_transactions{0}, m_rejected{0},
        m_checkpoints{0};
    std::thread m_thread;
};

template <typename F>
auto WriteQueue::submit(F &&job) -> QFuture<std::invoke_result_t<F &, Connection &>> {
    using R = std::invoke_result_t<F &, Connection &>;
    struct State {
        QPromise<R> promise;
        std::optional<R> result;
    };
    auto state = std::make_shared<State>();
    state->promise.start();
    QFuture<R> future = state->promise.future();
    Item item;
    item.run = [job = std::forward<F>(job), state](Connection &c) mutable {
        try {
            state->result.emplace(job(c));
        } catch (const std::exception &e) {
            state->result.emplace(R(Error::internal(
                QStringLiteral("Write failed unexpectedly: %1").arg(QString::fromUtf8(e.what())))));
        }
        return state->result->ok();
    };
    item.finish = [state](const Error *commitError) {
        if (commitError && (!state->result || state->result->ok()))
            state->promise.addResult(R(*commitError));
        else
            state->promise.addResult(std::move(*state->result));
        state->promise.finish();
    };
    if (!enqueue(std::move(item))) {
        state->promise.addResult(R(busyError()));
        state->promise.finish();
    }
    return future;
}

} // namespace fazt::db
