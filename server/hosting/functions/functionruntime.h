#pragma once

#include "hosting/functions/job.h"
#include "hosting/functions/workerpool.h"

#include <QByteArray>
#include <QHash>
#include <QMutex>
#include <QString>

#include <functional>
#include <memory>

namespace fazt::vfs {
class Vfs;
}

namespace fazt::hosting {

// Serverless functions: a site whose active deploy has `api/main.js` answers every request
// under /api/ with it (see the README for the convention). This is the server's face of them:
// it decides which requests are function calls, builds each site's bundle (code, settings,
// variables, allowlist) from the database, admits requests into the bounded pool, and counts.
// The scripts themselves never run in this process: they run in function worker processes
// (hosting/functions/workerpool.h), where a crash, a memory bomb or a runaway loop ends one
// worker and one request, and the kernel enforces the limits.
class FunctionRuntime {
public:
    struct Options {
        int maxConcurrent = 4;          // slots = worker processes (Limits::maxConcurrentJs)
        int maxQueued = -1;             // the waiting room; -1: 8 per slot
        int maxQueueWaitMs = 250;       // then 429
        int defaultTimeoutMs = 5000;    // per invocation; a site may set functionTimeoutMs
        int maxTimeoutMs = 30000;       // the cap on a site's setting
        qint64 memoryBytes = 64 << 20;  // per worker (Limits::jsWorkerMemoryBytes)
        qint64 maxRequestBytes = 1 << 20;
        qint64 maxResponseBytes = 8 << 20;
        qint64 fetchMaxBytes = 4 << 20; // a fazt.fetch response body
        int fetchTimeoutMs = 5000;
        int crashLimit = 5; // worker deaths a site may cause in a minute before it gets 503s
        // request.client for scripts: a hash of the client's address (StatsBuffer::visitor).
        std::function<QString(const http::Request &)> clientOf;
    };
    using Counters = functions::WorkerPool::Counters;
    using Counter = functions::Counter;

    FunctionRuntime(vfs::Vfs &vfs, fazt::functions::FunctionStore &store, Options options);
    ~FunctionRuntime();
    FunctionRuntime(const FunctionRuntime &) = delete;
    FunctionRuntime &operator=(const FunctionRuntime &) = delete;

    // Takes the request if `site` has functions (and answers it, now or later); false leaves
    // it to the static files. `path` is the request's path as http::decodePath()
    // normalised it, with its leading '/' ("/api/hello"); the caller has decided that it is a
    // function path. Runs on an HTTP worker.
    bool handle(http::Exchange &exchange, const QString &site, const QString &path,
                Counter counter);
    // Forgets the bundle of `site` (its variables or allowlist changed). Any thread.
    void invalidate(const QString &site);

    Counters counters() const { return m_pool.counters(); }
    QJsonObject metricsJson() const;
    // The number of worker processes (Limits::maxConcurrentJs), changed live: see
    // WorkerPool::setSlots.
    void setMaxConcurrent(int slots) { m_pool.setSlots(slots); }
    QByteArray prometheus() const { return m_pool.prometheus(); }
    const Options &options() const { return m_options; }

private:
    std::shared_ptr<const functions::Bundle> bundleFor(const QString &site);

    vfs::Vfs &m_vfs;
    fazt::functions::FunctionStore &m_store;
    const Options m_options;

    QMutex m_bundlesMutex;
    struct CachedBundle {
        std::shared_ptr<const functions::Bundle> bundle;
        quint64 vfsGeneration = 0; // Vfs::generation() when it was checked against site()
    };
    QHash<QString, CachedBundle> m_bundles;
    QHash<QString, quint64> m_versions; // bumped by invalidate()
    quint64 m_nextKey = 1;              // under m_bundlesMutex

    functions::WorkerPool m_pool;
};

} // namespace fazt::hosting
