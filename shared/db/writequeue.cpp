#include "db/writequeue.h"

#include <chrono>
#include <csignal>
#include <pthread.h>
#include <sqlite3.h>

namespace fazt::db {

WriteQueue::WriteQueue(std::unique_ptr<Connection> connection)
    : WriteQueue(std::move(connection), Options()) {}

WriteQueue::WriteQueue(std::unique_ptr<Connection> connection, Options options)
    : m_connection(std::move(connection)), m_options(options) {
    m_thread = std::thread([this] {
        // Process signals (SIGTERM, SIGINT) belong to the main thread, which shuts down in order.
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        loop();
    });
}

WriteQueue::~WriteQueue() {
    {
        std::lock_guard lock(m_mutex);
        m_isStopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

QFuture<Status> WriteQueue::submitSql(std::string sql) {
    return submit([sql = std::move(sql)](Connection &c) { return c.exec(sql); });
}

bool WriteQueue::enqueue(Item item) {
    {
        std::lock_guard lock(m_mutex);
        if (m_isStopping || int(m_queue.size()) >= m_options.maxDepth) {
            ++m_rejected;
            return false;
        }
        m_queue.push_back(std::move(item));
    }
    m_wake.notify_one();
    return true;
}

Error WriteQueue::busyError() const {
    return Error::busy(QStringLiteral("The database is busy: %1 writes are already queued. "
                                      "Retry in a moment.")
                           .arg(m_options.maxDepth));
}

int WriteQueue::depth() const {
    std::lock_guard lock(m_mutex);
    return int(m_queue.size());
}

WriteQueue::Counters WriteQueue::counters() const {
    return {m_jobs.load(), m_failedJobs.load(), m_transactions.load(), m_rejected.load(),
            m_checkpoints.load()};
}

// SQLite's automatic checkpoints (PASSIVE, after commits past 1000 WAL pages) copy pages
// back only as far as the oldest reader allows, and never shrink the file. An outside reader
// that holds a read transaction for long (Litestream does, to replicate the WAL) lets the WAL
// grow meanwhile; once it lets go, the first quiet moment folds the WAL into the database and
// truncates it, so it does not stay at its largest size. The checkpoint never waits for a
// reader (no busy handler): while one holds the WAL it fails at once, and is tried again
// later, backing off to every 8 s while nothing new is written.
void WriteQueue::loop() {
    using Clock = std::chrono::steady_clock;
    std::deque<Item> batch;
    const std::chrono::milliseconds idle(m_options.idleCheckpointMs);
    bool isWalDirty = false; // written to since the last truncating checkpoint
    auto retry = idle;
    Clock::time_point checkpointAt;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            const auto hasWork = [this] { return m_isStopping || !m_queue.empty(); };
            if (!isWalDirty) {
                m_wake.wait(lock, hasWork);
            } else if (!m_wake.wait_until(lock, checkpointAt, hasWork)) {
                lock.unlock();
                isWalDirty = !truncateWal();
                retry = std::min(retry * 2, std::chrono::milliseconds(8000));
                checkpointAt = Clock::now() + retry;
                continue;
            }
            if (m_queue.empty())
                return; // stopping, and everything queued has run
            const auto n = std::min<size_t>(m_queue.size(), size_t(m_options.maxBatch));
            std::move(m_queue.begin(), m_queue.begin() + qsizetype(n), std::back_inserter(batch));
            m_queue.erase(m_queue.begin(), m_queue.begin() + qsizetype(n));
        }
        if (batch.size() == 1)
            runAlone(batch.front());
        else
            runBatch(batch);
        batch.clear();
        if (idle.count() > 0) {
            isWalDirty = true;
            retry = idle;
            checkpointAt = Clock::now() + idle;
        }
    }
}

// A TRUNCATE checkpoint that gives up at once, rather than waiting busy_timeout, when a
// reader or another process holds the WAL. True if the WAL is now empty.
bool WriteQueue::truncateWal() {
    sqlite3 *db = m_connection->handle();
    const auto timeout = m_connection->queryInt("PRAGMA busy_timeout");
    sqlite3_busy_timeout(db, 0);
    const int rc =
        sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    sqlite3_busy_timeout(db, timeout ? int(*timeout) : 5000);
    if (rc != SQLITE_OK)
        return false;
    ++m_checkpoints;
    return true;
}

// One job in its own transaction: its error is its own, including a failed COMMIT.
void WriteQueue::runAlone(Item &item) {
    ++m_jobs;
    Connection &c = *m_connection;
    if (Status begun = c.exec("BEGIN IMMEDIATE"); !begun) {
        ++m_failedJobs;
        item.finish(&begun.error());
        return;
    }
    if (!item.run(c)) {
        c.rollback();
        ++m_failedJobs;
        item.finish(nullptr);
        return;
    }
    if (Status committed = c.exec("COMMIT"); !committed) {
        c.rollback();
        ++m_failedJobs;
        item.finish(&committed.error());
        return;
    }
    ++m_transactions;
    item.finish(nullptr);
}

// Many jobs in one transaction, each inside a savepoint so it can fail alone. If the
// transaction itself cannot begin or commit (disk full, I/O error, another process holding
// the lock), every job is rerun alone so each gets its own answer.
void WriteQueue::runBatch(std::deque<Item> &batch) {
    Connection &c = *m_connection;
    if (Status begun = c.exec("BEGIN IMMEDIATE"); !begun) {
        for (Item &item : batch)
            runAlone(item);
        return;
    }
    std::vector<bool> succeeded(batch.size(), false);
    bool isIntact = true;
    for (size_t i = 0; i < batch.size() && isIntact; ++i) {
        isIntact = bool(c.exec("SAVEPOINT job"));
        if (!isIntact)
            break;
        succeeded[i] = batch[i].run(c);
        if (!succeeded[i])
            isIntact = bool(c.exec("ROLLBACK TO job"));
        isIntact = isIntact && c.exec("RELEASE job");
    }
    Status committed = isIntact ? c.exec("COMMIT") : Status(Error::internal(QString()));
    if (!committed) {
        c.rollback();
        for (Item &item : batch)
            runAlone(item);
        return;
    }
    ++m_transactions;
    for (size_t i = 0; i < batch.size(); ++i) {
        ++m_jobs;
        if (!succeeded[i])
            ++m_failedJobs;
        batch[i].finish(nullptr);
    }
}

} // namespace fazt::db
