#include "hosting/functions/workerpool.h"

#include "db/database.h"
#include "hosting/functions/answerresponse.h"
#include "hosting/functions/slot.h"
#include "http/responses.h"
#include "metrics/prometheus.h"
#include "system/spin.h"

#include <QJsonDocument>
#include <QJsonObject>

#include <csignal>
#include <pthread.h>

namespace fazt::hosting::functions {

namespace {

constexpr int WatchIntervalMs = 5;
// A slot counts as held up, so that a parked one may run beside it, while its script waits on
// the host (fazt.fetch), or once one invocation has kept it this long: longer than a normal
// handler takes even while the cores are shared, so that a busy machine does not wake every
// slot at once and then spend its time switching between them.
constexpr qint64 HeldUpMs = 50;
// A slot thread that finds no job looks again for this long, yielding the core, before it
// parks: under load the next job usually comes within it, and taking it costs no futex
// wake-up and no context switch. Idle, it costs 50 µs once.
constexpr auto IdleSpin = std::chrono::microseconds(50);
// A slot takes a queued job for its worker's site before the one at the front if it is
// among this many: the worker stays warm, and no job waits long behind others for it.
constexpr int AffinityLookahead = 16;
// Pipelining (runThread): at most this many jobs in a worker at once, only behind a worker
// whose last jobs each answered within PipelineFastNs, and only requests this small.
constexpr int PipelineDepth = 4;
constexpr qint64 PipelineFastNs = 2'000'000;
constexpr qsizetype PipelineMaxRequestBytes = 8192;
// Backing off a site whose scripts keep killing workers: first for this long, doubling with
// each repeat up to the cap; the count of deaths is over the last minute.
constexpr qint64 BackoffMs = 10'000;
constexpr qint64 MaxBackoffMs = 300'000;
constexpr qint64 DeathWindowMs = 60'000;

// 429: every slot is busy (the body is made once: under a crowd most answers are this one).
http::Response busyResponse() {
    static const QByteArray body =
        QJsonDocument(
            QJsonObject{{QStringLiteral("error"),
                         QStringLiteral("Every function slot is busy. Retry in a second.")}})
            .toJson(QJsonDocument::Compact) +
        '\n';
    http::Response busy = http::makeResponse(429, "application/json", body);
    busy.retryAfterSeconds = 1;
    return busy;
}

} // namespace

WorkerPool::WorkerPool(fazt::functions::FunctionStore &store, db::Database &database,
                       Options options)
    : m_store(store)
    , m_database(database)
    , m_options(std::move(options)) {
    {
        std::lock_guard lock(m_queueMutex);
        const int slots = std::clamp(m_options.slots, 0, MaxSlots);
        for (int i = 0; i < slots; ++i)
            addSlot();
    }
    m_watchdog = std::thread([this] { watch(); });
}

void WorkerPool::addSlot() {
    const int index = m_slotCount.load();
    m_slots[size_t(index)] = std::make_unique<Slot>();
    m_slotCount.store(index + 1);
    ++m_activeSlots;
    ++m_awake; // it parks when it finds no job
    m_options.slots = m_activeSlots;
    m_runningTarget =
        std::clamp(int(std::thread::hardware_concurrency()), 1, std::max(1, m_activeSlots));
    m_maxAdmitted = m_activeSlots + std::max(0, m_options.maxQueued);
    m_threads.emplace_back([this, index] { runThread(index); });
}

void WorkerPool::setSlots(int count) {
    count = std::clamp(count, 0, MaxSlots);
    std::vector<Slot *> retired;
    {
        std::lock_guard lock(m_queueMutex);
        if (m_isStopping)
            return;
        while (m_activeSlots < count && m_slotCount.load() < MaxSlots)
            addSlot();
        for (int i = m_slotCount.load() - 1; i >= 0 && m_activeSlots > count; --i) {
            Slot &slot = *m_slots[size_t(i)];
            if (slot.isRetired)
                continue;
            slot.isRetired = true;
            --m_activeSlots;
            retired.push_back(&slot);
            if (std::erase(m_parked, &slot) > 0) { // woken as unpark() would: never picked
                slot.isWoken = true;
                ++m_awake;
            }
        }
        m_options.slots = m_activeSlots;
        m_runningTarget =
            std::clamp(int(std::thread::hardware_concurrency()), 1, std::max(1, m_activeSlots));
        m_maxAdmitted = m_activeSlots + std::max(0, m_options.maxQueued);
    }
    for (Slot *slot : retired)
        slot->wake.notify_one();
}

int WorkerPool::slots() const {
    std::lock_guard lock(m_queueMutex);
    return m_activeSlots;
}

WorkerPool::~WorkerPool() {
    {
        std::lock_guard lock(m_queueMutex);
        m_isStopping = true;
    }
    for (int i = 0; i < m_slotCount.load(); ++i) {
        Slot &slot = *m_slots[size_t(i)];
        slot.wake.notify_one();
        // A script still running is not waited for: its worker goes, its request gets a 500.
        // (The worker is not reaped until its slot thread does so, so the pid is still its.)
        if (slot.busySinceMs.load() != 0 && slot.pid.load() > 0)
            ::kill(slot.pid.load(), SIGKILL);
    }
    m_watchdogWake.notify_all();
    for (auto &thread : m_threads) // no slot is added once stopping
        thread.join();
    m_watchdog.join();
}

bool WorkerPool::admit() {
    if (m_busy.fetch_add(1) < m_maxAdmitted)
        return true;
    m_busy.fetch_sub(1);
    return false;
}

http::Response WorkerPool::refusal(const Job &job) {
    ++m_rejected;
    http::Response busy = busyResponse();
    if (job.counter)
        job.counter(busy);
    return busy;
}

int WorkerPool::backoffSeconds(const QString &site) {
    QMutexLocker lock(&m_healthMutex);
    const auto health = m_health.constFind(site);
    if (health == m_health.cend())
        return 0;
    const qint64 left = health->backedOffUntilMs - steadyMs();
    return left > 0 ? int((left + 999) / 1000) : 0;
}

void WorkerPool::submit(std::shared_ptr<Job> job) {
    Slot *woken = nullptr;
    bool wakeWatchdog = false;
    bool wakeAll = false;
    {
        std::lock_guard lock(m_queueMutex);
        // The first function request: every parked slot wakes to start its worker, so that
        // later requests find them ready instead of paying a cold start each.
        wakeAll = !m_isWarm;
        m_isWarm = true;
        const Bundle *bundle = job->bundle.get();
        m_queue.push_back(std::move(job));
        m_queued.store(int(m_queue.size()), std::memory_order_relaxed);
        // A running thread takes it when done with its job; wake one only while fewer run
        // than there are cores (the watchdog wakes more when the running ones are held up).
        if (m_awake < m_runningTarget)
            woken = unpark(bundle);
        wakeWatchdog = m_isWatchdogIdle;
    }
    notify(woken);
    if (wakeWatchdog)
        m_watchdogWake.notify_one();
    if (wakeAll)
        for (int i = 0; i < m_slotCount.load(); ++i)
            m_slots[size_t(i)]->wake.notify_one();
}

WorkerPool::Slot *WorkerPool::unpark(const Bundle *preferred) {
    if (m_parked.empty())
        return nullptr;
    // The slot whose worker serves the job's site; else one with a fresh worker (no site
    // yet: no process start on the request's path); else the one parked last.
    auto chosen = std::prev(m_parked.end());
    if (preferred && (*chosen)->site != preferred->site) {
        auto fresh = m_parked.end();
        for (auto it = m_parked.rbegin(); it != m_parked.rend(); ++it) {
            if ((*it)->site == preferred->site) {
                fresh = std::prev(it.base());
                break;
            }
            if ((*it)->site.isEmpty() && fresh == m_parked.end())
                fresh = std::prev(it.base());
        }
        if (fresh != m_parked.end())
            chosen = fresh;
    }
    Slot *slot = *chosen;
    m_parked.erase(chosen);
    slot->isWoken = true;
    ++m_awake;
    return slot;
}

void WorkerPool::notify(Slot *slot) {
    if (slot)
        slot->wake.notify_one();
}

std::shared_ptr<Job> WorkerPool::takeJob(Slot &slot) {
    auto chosen = m_queue.begin();
    if (!slot.site.isEmpty() && (*chosen)->bundle->site != slot.site) {
        const auto end = m_queue.begin() + std::min<qsizetype>(AffinityLookahead, m_queue.size());
        for (auto it = m_queue.begin(); it != end; ++it)
            if ((*it)->bundle->site == slot.site) {
                chosen = it;
                break;
            }
    }
    std::shared_ptr<Job> job = std::move(*chosen);
    m_queue.erase(chosen);
    m_queued.store(int(m_queue.size()), std::memory_order_relaxed);
    return job;
}

void WorkerPool::finish(std::shared_ptr<Job> job, http::Response response,
                        std::chrono::nanoseconds elapsed) {
    ++m_invocations;
    m_latency.record(elapsed);
    // The slot is free before the client hears back: one that asks again at once finds it.
    m_busy.fetch_sub(1);
    if (job->counter)
        job->counter(response);
    // The job goes with the answer: the worker allocated it, the worker frees it.
    const http::Responder responder = job->responder;
    responder.respond(std::move(response), std::move(job));
}

void WorkerPool::runThread(int index) {
    Slot &slot = *m_slots[size_t(index)];
    pthread_setname_np(pthread_self(), QByteArray("fazt-js-" + QByteArray::number(index)).constData());
    for (;;) {
        // The job taken, then those pipelined behind it.
        std::vector<std::shared_ptr<Job>> batch;
        bool isStopping = false;
        {
            std::unique_lock lock(m_queueMutex);
            if (m_queue.empty() && !m_isStopping) {
                lock.unlock();
                system::spinUntil(IdleSpin,
                                  [this] { return m_queued.load(std::memory_order_relaxed) != 0; });
                lock.lock();
            }
            while (m_queue.empty() && !m_isStopping && !slot.isRetired) {
                --m_awake;
                slot.isWoken = false;
                m_parked.push_back(&slot);
                slot.wake.wait(lock, [this, &slot] {
                    return m_isStopping || slot.isWoken || slot.isRetired ||
                           (m_isWarm && !slot.hasStarted);
                });
                if (!slot.isWoken) { // stopping, retired, or to start its first worker
                    std::erase(m_parked, &slot);
                    ++m_awake;
                    if (!m_isStopping && !slot.isRetired) {
                        // Only this thread touches its slot's worker, and never under the lock.
                        lock.unlock();
                        startWorker(slot);
                        lock.lock();
                    }
                }
            }
            if (slot.isRetired && !m_isStopping) {
                --m_awake;
                break;
            }
            if (m_queue.empty())
                break;
            batch.push_back(takeJob(slot));
            const Job &job = *batch.front();
            isStopping = m_isStopping;
            // Pipelining: the next few queued jobs for the same bundle go to the worker
            // behind this one, so that it takes each next job without waiting for the slot
            // (a wake-up saved per job). Only for a worker whose jobs answer fast (a slow one
            // would hold them up behind it) and for small requests (the frames must fit in the
            // socket's buffer at once).
            if (!isStopping && slot.isReady && slot.worker.isRunning() &&
                slot.site == job.bundle->site && slot.lastRunNs > 0 &&
                slot.lastRunNs < PipelineFastNs && isSmall(job)) {
                for (auto it = m_queue.begin();
                     it != m_queue.end() && int(batch.size()) < PipelineDepth;) {
                    if ((*it)->bundle->key == job.bundle->key && isSmall(**it)) {
                        batch.push_back(std::move(*it));
                        it = m_queue.erase(it);
                    } else {
                        ++it;
                    }
                }
                m_queued.store(int(m_queue.size()), std::memory_order_relaxed);
            }
        }
        if (isStopping) {
            finish(std::move(batch.front()),
                   jsonError(503, QStringLiteral("The server is stopping.")),
                   std::chrono::nanoseconds(0));
            continue;
        }
        m_running.fetch_add(int(batch.size()), std::memory_order_relaxed);
        m_pipelined += batch.size() - 1;
        const quint64 generation = slot.generation;
        qint64 slowestNs = 0;
        for (size_t i = 0; i < batch.size(); ++i) {
            if (slot.generation != generation) {
                // The worker that had these jobs is gone (it died or was killed during an
                // earlier one): they never started, and go back to the front of the queue.
                requeue(batch, i);
                break;
            }
            // The first job's Run frame goes with those of the jobs behind it.
            const std::span<const std::shared_ptr<Job>> behind =
                i == 0 ? std::span<const std::shared_ptr<Job>>(batch).subspan(1)
                       : std::span<const std::shared_ptr<Job>>();
            std::shared_ptr<Job> job = std::move(batch[i]);
            slot.busySinceMs = steadyMs();
            QElapsedTimer ran;
            ran.start();
            http::Response response = run(slot, *job, i > 0, behind);
            slowestNs = std::max(slowestNs, ran.nsecsElapsed());
            m_running.fetch_sub(1, std::memory_order_relaxed);
            const std::chrono::nanoseconds elapsed(job->started.nsecsElapsed());
            finish(std::move(job), std::move(response), elapsed);
        }
        slot.lastRunNs = slowestNs;
        slot.busySinceMs = 0;
    }
    (void)slot.worker.kill();
    slot.pid = -1;
    {
        QMutexLocker lock(&slot.infoMutex);
        slot.shownSite.clear();
    }
    m_database.releaseReader();
}

bool WorkerPool::isSmall(const Job &job) {
    return job.body.size() + job.request.rawHead().size() <= PipelineMaxRequestBytes;
}

void WorkerPool::requeue(std::vector<std::shared_ptr<Job>> &jobs, size_t from) {
    const int count = int(jobs.size() - from);
    {
        std::lock_guard lock(m_queueMutex);
        for (size_t i = jobs.size(); i-- > from;)
            m_queue.push_front(std::move(jobs[i]));
        m_queued.store(int(m_queue.size()), std::memory_order_relaxed);
    }
    m_running.fetch_sub(count, std::memory_order_relaxed);
    m_requeued += quint64(count);
    jobs.resize(from);
}

void WorkerPool::watch() {
    pthread_setname_np(pthread_self(), "fazt-js-watch");
    std::vector<std::shared_ptr<Job>> expired;
    for (;;) {
        Slot *woken = nullptr;
        {
            std::unique_lock lock(m_queueMutex);
            if (m_busy.load() == 0 && !m_isStopping) {
                // Nothing admitted, so nothing to watch: sleep until submit() brings a job
                // (an idle server does not wake 200 times a second).
                m_isWatchdogIdle = true;
                m_watchdogWake.wait(lock, [this] { return m_isStopping || m_busy.load() > 0; });
                m_isWatchdogIdle = false;
            } else if (m_watchdogWake.wait_for(lock, std::chrono::milliseconds(WatchIntervalMs),
                                               [this] { return m_isStopping; })) {
                return;
            }
            if (m_isStopping)
                return;
            // With jobs waiting, a parked slot helps while fewer than the cores progress.
            const qint64 now = steadyMs();
            int heldUp = 0;
            for (int i = 0; i < m_slotCount.load(); ++i) {
                const Slot *slot = m_slots[size_t(i)].get();
                const qint64 since = slot->busySinceMs.load(std::memory_order_relaxed);
                heldUp += since != 0 && (slot->isWaitingOnHost.load(std::memory_order_relaxed) ||
                                         now - since >= HeldUpMs);
            }
            if (!m_queue.empty() && m_awake - heldUp < m_runningTarget)
                woken = unpark(m_queue.front()->bundle.get());
            while (!m_queue.empty() &&
                   m_queue.front()->started.hasExpired(m_options.maxQueueWaitMs)) {
                expired.push_back(std::move(m_queue.front()));
                m_queue.pop_front();
            }
            m_queued.store(int(m_queue.size()), std::memory_order_relaxed);
        }
        notify(woken);
        for (const auto &job : expired) {
            m_busy.fetch_sub(1);
            job->responder.respond(refusal(*job), job);
        }
        expired.clear();
    }
}

void WorkerPool::noteDeath(const QString &site) {
    QMutexLocker lock(&m_healthMutex);
    SiteHealth &health = m_health[site];
    const qint64 now = steadyMs();
    health.deathsMs.push_back(now);
    while (!health.deathsMs.empty() && now - health.deathsMs.front() > DeathWindowMs)
        health.deathsMs.pop_front();
    if (m_options.crashLimit <= 0 || int(health.deathsMs.size()) < m_options.crashLimit)
        return;
    const qint64 backoff = std::min(MaxBackoffMs, BackoffMs << std::min(health.strikes, 5));
    health.backedOffUntilMs = now + backoff;
    ++health.strikes;
    health.deathsMs.clear();
    qWarning("fazt: the functions of site '%s' killed %d workers within a minute; they get 503 "
             "for %lld s",
             qPrintable(site), m_options.crashLimit, backoff / 1000);
}

WorkerPool::Counters WorkerPool::counters() const {
    Counters c;
    c.invocations = m_invocations;
    c.errors = m_errors;
    c.timeouts = m_timeouts;
    c.memoryStops = m_memoryStops;
    c.rejected = m_rejected;
    c.crashes = m_crashes;
    c.memoryKills = m_memoryKills;
    c.deadlineKills = m_deadlineKills;
    c.restarts = m_restarts;
    c.backedOff = m_backedOff;
    c.pipelined = m_pipelined;
    c.requeued = m_requeued;
    const int running = std::max(0, m_running.load());
    c.running = quint64(running);
    c.waiting = quint64(std::max(0, m_busy.load() - running));
    for (int i = 0; i < m_slotCount.load(); ++i)
        c.workers += m_slots[size_t(i)]->pid.load() > 0;
    c.latency = m_latency.snapshot();
    return c;
}

QJsonArray WorkerPool::workersJson() const {
    QJsonArray workers;
    for (int i = 0; i < m_slotCount.load(); ++i) {
        const Slot *slot = m_slots[size_t(i)].get();
        const pid_t pid = slot->pid.load();
        if (pid <= 0)
            continue;
        QString site;
        {
            QMutexLocker lock(&slot->infoMutex);
            site = slot->shownSite;
        }
        const WorkerProcess::Memory memory = WorkerProcess::memoryOf(pid);
        workers.append(QJsonObject{{QStringLiteral("pid"), qint64(pid)},
                                   {QStringLiteral("site"), site},
                                   {QStringLiteral("busy"), slot->busySinceMs.load() != 0},
                                   {QStringLiteral("residentBytes"), memory.residentBytes},
                                   {QStringLiteral("privateBytes"), memory.privateBytes}});
    }
    return workers;
}

QByteArray WorkerPool::prometheus() const {
    const Counters c = counters();
    QByteArray out;
    const auto line = [&out](QByteArrayView name, double value, QByteArrayView labels = {}) {
        out += metrics::prometheusLine(name, value, labels);
    };
    const std::pair<const char *, double> counters[] = {
        {"fazt_function_invocations_total", double(c.invocations)},
        {"fazt_function_errors_total", double(c.errors)},
        {"fazt_function_timeouts_total", double(c.timeouts)},
        {"fazt_function_memory_stops_total", double(c.memoryStops)},
        {"fazt_function_rejected_total", double(c.rejected)},
        {"fazt_function_worker_crashes_total", double(c.crashes)},
        {"fazt_function_worker_memory_kills_total", double(c.memoryKills)},
        {"fazt_function_worker_deadline_kills_total", double(c.deadlineKills)},
        {"fazt_function_worker_restarts_total", double(c.restarts)},
        {"fazt_function_backed_off_total", double(c.backedOff)},
        {"fazt_function_pipelined_total", double(c.pipelined)},
        {"fazt_function_requeued_total", double(c.requeued)}};
    for (const auto &[name, value] : counters) {
        out += QByteArray("# TYPE ") + name + " counter\n";
        line(name, value);
    }
    out += "# TYPE fazt_function_running gauge\n";
    line("fazt_function_running", double(c.running));
    out += "# TYPE fazt_function_waiting gauge\n";
    line("fazt_function_waiting", double(c.waiting));
    out += "# TYPE fazt_function_workers gauge\n";
    line("fazt_function_workers", double(c.workers));
    out += "# TYPE fazt_function_duration_seconds histogram\n";
    out += c.latency.prometheus("fazt_function_duration_seconds");
    return out;
}

} // namespace fazt::hosting::functions
