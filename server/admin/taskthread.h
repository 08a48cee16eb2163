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
    // Favoured: the thread runs at a lower nice value where the process may set one
    // (system::favourThisThread), for the admin's short requests, which must not wait for a
    // time slice behind busy user workers.
    enum class Scheduling { Normal, Favoured };

    TaskThread(QString name, int maxQueued, Scheduling scheduling = Scheduling::Normal);
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
