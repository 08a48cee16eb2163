#include "admin/taskthread.h"

#include "system/threadpriority.h"

#include <csignal>
#include <pthread.h>

namespace fazt::admin {

TaskThread::TaskThread(QString name, int maxQueued, Scheduling scheduling)
    : m_name(std::move(name))
    , m_maxQueued(maxQueued) {
    m_thread = std::thread([this, scheduling] {
        if (scheduling == Scheduling::Favoured)
            (void)system::favourThisThread(system::CockpitNice);
        sigset_t all; // signals are the main thread's business
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        pthread_setname_np(pthread_self(), m_name.left(15).toLatin1().constData());
        run();
    });
}

TaskThread::~TaskThread() {
    {
        std::lock_guard lock(m_mutex);
        m_isStopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
}

bool TaskThread::post(std::function<void()> task) {
    {
        std::lock_guard lock(m_mutex);
        if (m_isStopping || int(m_tasks.size()) >= m_maxQueued)
            return false;
        m_tasks.push_back(std::move(task));
    }
    m_wake.notify_one();
    return true;
}

int TaskThread::queued() const {
    std::lock_guard lock(m_mutex);
    return int(m_tasks.size());
}

void TaskThread::run() {
    for (;;) {
        std::function<void()> task;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [this] { return m_isStopping || !m_tasks.empty(); });
            if (m_tasks.empty())
                return;
            task = std::move(m_tasks.front());
            m_tasks.pop_front();
        }
        task();
    }
}

} // namespace fazt::admin
