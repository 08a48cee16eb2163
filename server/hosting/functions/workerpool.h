#pragma once

#include "hosting/functions/job.h"
#include "hosting/functions/workerprocess.h"
#include "metrics/latencyhistogram.h"

#include <QByteArray>
#include <QHash>
#include <QJsonArray>
#include <QMutex>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <thread>
#include <vector>

namespace fazt::functions {
class FunctionStore;
}
namespace fazt::db {
class Database;
}

namespace fazt::hosting::functions {

// The function worker processes and the threads that talk to them.
//
// There is one slot per allowed concurrent invocation (Limits::maxConcurrentJs); each slot is
// a server thread and the worker process it owns. The thread hands the worker a job, then
// serves what the worker asks while it runs (fazt.kv, fazt.fetch, the bundle), and enforces
// the deadline: at the deadline the worker is interrupted (SIGUSR1: the engine stops between
// two JS steps and the worker lives on); if it has not answered 250 ms later (stuck inside a
// builtin, or converting a hostile answer) it is killed. A worker that dies (a crash, the
// kernel's memory limit, a kill) costs only its request: a 500 (504 for the deadline), and a
// fresh worker is started at once in its place. A site whose scripts keep killing workers is
// answered with 503 for a while instead of costing a process start per request.
//
// A worker serves one site for its whole life, so no other site's code or secrets are ever in
// a process that runs this site's scripts: a job for another site replaces the worker. A slot
// takes a queued job for its worker's site before others, and a parked slot whose worker
// already serves the site is woken before one that would have to be replaced.
//
// A request that finds every slot taken waits in a short, bounded waiting room: at most
// `maxQueued` requests, each for at most `maxQueueWaitMs`. Past either bound the answer is
// 429 with Retry-After (at once when the room is full), never an unbounded queue.
//
// Under load a slot pipelines: with the job it takes, it sends its worker up to three more
// queued jobs for the same bundle, which the worker keeps and runs next, one after the other,
// without waiting to be woken for each (on a VM a wake-up costs more than a small function).
// Only small requests go ahead, and only behind a worker whose last jobs answered within 2 ms,
// so a slow script holds up no queue behind it. If the worker dies or is replaced before it
// gets to them, they never started, and go back to the front of the queue.
//
// Only as many slots run at once as the machine has cores: the others stay parked, so a
// burst does not turn into context switches between more workers than cores, and busy
// threads take the next job without a wake-up. A parked slot is woken when, with jobs
// waiting, fewer slots than cores are making progress (the others wait on fazt.fetch, or
// have been inside one invocation for 50 ms). The slot woken is the one parked last.
class WorkerPool {
public:
    struct Options {
        int slots = 4;
        int maxQueued = 32;
        int maxQueueWaitMs = 250;
        qint64 memoryBytes = 64 << 20; // a worker's address space beyond what it needs idle
        qint64 maxResponseBytes = 8 << 20;
        qint64 fetchMaxBytes = 4 << 20;
        int fetchTimeoutMs = 5000;
        int maxLogLinesPerCall = 100;
        int crashLimit = 5; // worker deaths a site may cause in a minute before it is backed off
    };

    struct Counters {
        quint64 invocations = 0;
        quint64 errors = 0;   // script errors, bad answers, crashes (500)
        quint64 timeouts = 0; // 504
        quint64 memoryStops = 0;
        quint64 rejected = 0; // 429
        quint64 crashes = 0;  // workers that died by a signal or an unexpected exit
        quint64 memoryKills = 0;
        quint64 deadlineKills = 0;
        quint64 restarts = 0; // workers started after the first one of each slot
        quint64 backedOff = 0; // 503s to a site whose scripts kept killing workers
        quint64 pipelined = 0; // jobs sent to a worker behind the one it was running
        quint64 requeued = 0;  // of those, put back in the queue: their worker died first
        quint64 running = 0;
        quint64 waiting = 0;
        int workers = 0; // live worker processes
        metrics::LatencyHistogram::Snapshot latency;
    };

    // `database`: its per-thread readers (fazt.kv reads) are released when a slot thread ends.
    WorkerPool(fazt::functions::FunctionStore &store, db::Database &database, Options options);
    ~WorkerPool();
    WorkerPool(const WorkerPool &) = delete;
    WorkerPool &operator=(const WorkerPool &) = delete;

    const Options &options() const { return m_options; }
    // Changes the number of slots while serving (recalibration). New slots start their
    // worker at once if functions have run; a retired slot finishes its job first, then its
    // worker and thread end: no request fails. At most MaxSlots are ever created.
    void setSlots(int count);
    int slots() const;
    static constexpr int MaxSlots = 256;
    // True when a request would be refused now (every slot busy, the waiting room full).
    bool isFull() const { return m_busy.load(std::memory_order_relaxed) >= m_maxAdmitted; }
    // Takes a place (running or waiting) for a job; false: refused, nothing taken.
    bool admit();
    // Runs an admitted job; its responder is called exactly once.
    void submit(std::shared_ptr<Job> job);
    // The 429 for a job that found no place (counted, and by the job's counter).
    http::Response refusal(const Job &job);
    // Seconds a site is still backed off for (its scripts kept killing workers), else 0.
    int backoffSeconds(const QString &site);
    void countBackedOff() { ++m_backedOff; }

    Counters counters() const;
    QJsonArray workersJson() const; // pid, site, busy, memory of each live worker
    QByteArray prometheus() const;

    struct Slot;

private:
    Slot *unpark(const Bundle *preferred); // with m_queueMutex held; notify after unlocking
    void notify(Slot *slot);
    void runThread(int index);
    void watch();
    void finish(std::shared_ptr<Job> job, http::Response response,
                std::chrono::nanoseconds elapsed);
    std::shared_ptr<Job> takeJob(Slot &slot); // with m_queueMutex held, queue not empty
    static bool isSmall(const Job &job);
    // Puts jobs[from...] back at the front of the queue, in order (they never started).
    void requeue(std::vector<std::shared_ptr<Job>> &jobs, size_t from);
    // invocation.cpp: one job on the slot's worker, start to answer. `behind`: jobs whose Run
    // frames go with this one's (pipelined); `isRunSent`: this job's went with an earlier one.
    http::Response run(Slot &slot, Job &job, bool isRunSent,
                       std::span<const std::shared_ptr<Job>> behind);
    Status ensureWorker(Slot &slot, const QString &site);
    void startWorker(Slot &slot); // a fresh worker for the slot, not waited for
    void noteDeath(const QString &site);

    fazt::functions::FunctionStore &m_store;
    db::Database &m_database;
    Options m_options; // slots changes with setSlots (under m_queueMutex)

    mutable std::mutex m_queueMutex;
    std::condition_variable m_watchdogWake;
    std::deque<std::shared_ptr<Job>> m_queue;
    bool m_isStopping = false;
    int m_awake = 0;
    std::vector<Slot *> m_parked; // the most recently parked last
    int m_runningTarget = 1;
    int m_maxAdmitted = 0;
    std::atomic<int> m_busy{0};
    std::atomic<int> m_running{0};
    std::atomic<int> m_queued{0};
    void addSlot(); // with m_queueMutex held
    // Every slot ever created, retired ones included; never reallocated (runThread and the
    // readers below index it without the lock up to m_slotCount).
    std::array<std::unique_ptr<Slot>, MaxSlots> m_slots;
    std::atomic<int> m_slotCount{0};
    int m_activeSlots = 0;              // under m_queueMutex
    std::vector<std::thread> m_threads; // under m_queueMutex
    std::thread m_watchdog;
    bool m_isWatchdogIdle = false;
    bool m_isWarm = false; // a function request came: every slot starts its worker

    QMutex m_healthMutex;
    struct SiteHealth {
        std::deque<qint64> deathsMs;
        qint64 backedOffUntilMs = 0;
        int strikes = 0;
    };
    QHash<QString, SiteHealth> m_health;

    std::atomic<quint64> m_invocations{0}, m_errors{0}, m_timeouts{0}, m_memoryStops{0},
        m_rejected{0}, m_crashes{0}, m_memoryKills{0}, m_deadlineKills{0}, m_restarts{0},
        m_backedOff{0}, m_pipelined{0}, m_requeued{0};
    metrics::LatencyHistogram m_latency;
};

} // namespace fazt::hosting::functions
