#pragma once

#include "functions/functionstore.h"
#include "http/exchange.h"

#include <QByteArray>
#include <QHash>
#include <QMutex>
#include <QString>
#include <QStringList>

#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

class QThread;

namespace fazt::vfs {
class Vfs;
}

namespace fazt::hosting {

// Serverless functions: a site whose active deploy has `api/main.js` answers every request
// under /api/ with it (see the README for the convention). Scripts run in QJSEngine on a small
// pool of JS threads, never on an HTTP worker's loop: the worker reads the request, hands it
// to the JS threads, and the answer comes back through a Responder.
//
// A request that finds every slot taken waits in a short, bounded waiting room: at most
// `maxQueued` requests, each for at most `maxQueueWaitMs`. Past either bound the answer is
// 429 with Retry-After (at once when the room is full), never an unbounded queue. The room
// absorbs the moment-to-moment jitter of many clients sharing a few cores (64 connections
// asking a 50 µs function would otherwise see half their requests refused while the server
// has time for all), while a crowd of slow scripts still gets its 429s within a fraction of
// a second.
//
// There is one JS thread per slot, but only as many run at once as the machine has cores:
// the others stay parked, so a burst does not turn into context switches between more JS
// threads than cores, and busy threads take the next job without a wake-up (one that finds
// none looks again for 50 µs before it parks). A parked thread is woken when, with jobs
// waiting, fewer threads than cores are making progress: the others wait on fazt.fetch, or
// have been inside one invocation for 50 ms (a long loop). So every slot can still run at the
// same time when scripts wait. The thread woken is the one parked last (its engines are still
// in the cache), so under steady load the same few threads do the work.
//
// Each JS thread keeps one engine per site it served recently, holding that site's compiled
// modules for its active deploy (a redeploy, or a change of the site's variables or allowlist,
// starts a fresh engine). Sites never share an engine, so nothing leaks between them. A
// watchdog interrupts an invocation past its deadline (504) or while the process grew by more
// than the memory budget since it started (500); the engine is then dropped and the next
// request gets a fresh one.
class FunctionRuntime {
public:
    struct Options {
        int maxConcurrent = 4;          // JS threads = slots (Limits::maxConcurrentJs)
        int maxQueued = -1;             // the waiting room; -1: 8 per slot
        int maxQueueWaitMs = 250;       // then 429
        int defaultTimeoutMs = 5000;    // per invocation; a site may set functionTimeoutMs
        int maxTimeoutMs = 30000;       // the cap on a site's setting
        qint64 memoryBytes = 128 << 20; // process growth allowed during one invocation
        qint64 maxRequestBytes = 1 << 20;
        qint64 maxResponseBytes = 8 << 20;
        qint64 fetchMaxBytes = 4 << 20; // a fazt.fetch response body
        int fetchTimeoutMs = 5000;
        int maxLogLinesPerCall = 100;
        int enginesPerThread = 4; // site engines kept per JS thread (least recently used go)
        // request.client for scripts: a hash of the client's address (StatsBuffer::visitor).
        std::function<QString(const http::Request &)> clientOf;
    };

    struct Counters {
        quint64 invocations = 0;
        quint64 errors = 0;   // script errors and bad responses (500)
        quint64 timeouts = 0; // 504
        quint64 memoryStops = 0;
        quint64 rejected = 0; // 429: every slot busy and the waiting room full, or waited too long
        quint64 running = 0;  // invocations on a JS thread now
        quint64 waiting = 0;  // requests in the waiting room
        std::array<quint64, 13> latencyBuckets{}; // guard::Metrics::LatencyBounds + +Inf
        double latencySumSeconds = 0;
    };

    // Called with the response of each function request, on the thread that answers it.
    using Counter = std::function<void(const http::Response &)>;

    FunctionRuntime(vfs::Vfs &vfs, functions::FunctionStore &store, Options options);
    ~FunctionRuntime();
    FunctionRuntime(const FunctionRuntime &) = delete;
    FunctionRuntime &operator=(const FunctionRuntime &) = delete;

    // Takes the request if `site` has functions (and answers it, now or later); false leaves
    // it to the static files. `path` is the request's path as SiteHandler::decodePath()
    // normalised it, with its leading '/' ("/api/hello"); the caller has decided that it is a
    // function path. Runs on an HTTP worker.
    bool handle(http::Exchange &exchange, const QString &site, const QString &path,
                Counter counter);
    // Forgets what engines hold for `site` (its variables or allowlist changed). Any thread.
    void invalidate(const QString &site);

    Counters counters() const;
    QByteArray prometheus() const;
    const Options &options() const { return m_options; }

    // The invocation the JS threads run (public for the JS thread implementation only).
    struct Job;
    struct Bundle;
    struct Slot;
    // The slot of the JS thread calling (for the host functions scripts call); null elsewhere.
    static Slot *slotOfThisThread();

private:
    std::shared_ptr<const Bundle> bundleFor(const QString &site);
    void submit(std::shared_ptr<Job> job);
    Slot *unpark(); // with m_queueMutex held; the caller notifies it after unlocking
    qint64 rssNow();
    void notify(Slot *slot);
    void runThread(int index);
    void watch();
    void finish(std::shared_ptr<Job> job, http::Response response, double seconds);
    http::Response refusal(Job &job);

    vfs::Vfs &m_vfs;
    functions::FunctionStore &m_store;
    const Options m_options;

    QMutex m_bundlesMutex;
    struct CachedBundle {
        std::shared_ptr<const Bundle> bundle;
        quint64 vfsGeneration = 0; // Vfs::generation() when it was checked against site()
    };
    QHash<QString, CachedBundle> m_bundles;
    QHash<QString, quint64> m_versions; // bumped by invalidate()

    std::mutex m_queueMutex;
    std::condition_variable m_watchdogWake; // the watchdog's tick, and its stop
    std::deque<std::shared_ptr<Job>> m_queue;
    bool m_isStopping = false;
    int m_awake = 0; // JS threads not parked: running a job, about to take one, or told to wake
    // Parked JS threads, the most recently parked last: that one is woken first, its engines
    // and stack still warm in the cache, and the threads parked longest stay parked.
    std::vector<Slot *> m_parked;
    int m_runningTarget = 1;    // how many JS threads should run at once: the cores
    int m_maxAdmitted = 0;      // slots plus the waiting room
    std::atomic<int> m_busy{0}; // requests admitted (running or waiting), <= m_maxAdmitted
    std::atomic<int> m_running{0};
    std::atomic<int> m_queued{0}; // m_queue.size(), for a look without the lock
    std::vector<std::unique_ptr<Slot>> m_slots;
    std::vector<std::unique_ptr<QThread>> m_threads;
    std::thread m_watchdog;
    std::atomic<qint64> m_rssBytes{0};
    std::atomic<bool> m_rssIsStale{false}; // the watchdog slept: sample again before use
    bool m_isWatchdogIdle = false;         // waits for a job (under m_queueMutex)

    std::atomic<quint64> m_invocations{0}, m_errors{0}, m_timeouts{0}, m_memoryStops{0},
        m_rejected{0};
    std::array<std::atomic<quint64>, 13> m_latency{};
    std::atomic<quint64> m_latencySumNs{0};
};

} // namespace fazt::hosting
