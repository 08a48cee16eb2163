#include "db/writequeue.h"

#include <csignal>
#include <pthread.h>

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
    return {m_jobs.load(), m_failedJobs.load(), m_transactions.load(), m_rejected.load()};
}

void WriteQueue::loop() {
    std::deque<Item> batch;
    for (;;) {
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_isStopping || !m_queue.empty(); });
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
    }
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
