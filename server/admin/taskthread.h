#pragma once

#include <QString>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace fazt::admin {

// A thread that runs posted tasks in order. Bounded: post() refuses when `maxQueued` tasks
// wait, so a flood of requests cannot grow memory. Its database reads use its own
// connection (Database::reader() is per thread): the admin never competes with the sites.
class TaskThread {
public:
    TaskThread(QString name, int maxQueued);
    // Runs what is queued, then stops.
    ~TaskThread();

    bool post(std::function<void()> task);
    int queued() const;

private:
    void run();

    const QString m_name;
    const int m_maxQueued;
    mutable std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<std::function<void()>> m_tasks;
    bool m_isStopping = false;
    std::thread m_thread;
};

} // namespace fazt::admin
