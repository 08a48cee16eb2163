#pragma once

#include "guard/breakers.h"
#include "guard/metrics.h"
#include "http/exchange.h"
#include "system/capacity.h"
#include "system/probe.h"

#include <QMutex>
#include <QTimer>

#include <functional>
#include <vector>

#include <optional>

namespace fazt {
class Config;
namespace db {
class Database;
}
namespace vfs {
class VfsCache;
}
namespace hosting {
class HostRouter;
class SiteHandler;
} // namespace hosting
namespace http {
class HttpServer;
struct ServerOptions;
} // namespace http
namespace admin {
class AdminService;
}
} // namespace fazt

namespace fazt::guard {

// The front door and the budget keeper. As a Handler it sits before the sites and the admin
// API: it answers /health on every host and /metrics on the admin host, and while the server is
// in maintenance mode it answers user sites with a short 503. It holds the limits in effect and
// applies them live (cache budget, connection cap, upload RAM buffer, SQLite cache), samples
// memory, disk and connections a few times a second to trip and reset the breakers, and gates
// the expensive work (cache fills, uploads) while they are tripped.
//
// Lives on the main thread; handle() and the gates run on HTTP workers, the system API on the
// admin thread: everything they share is atomic or under a mutex.
class Guard : public http::Handler {
public:
    Guard(db::Database &database, Config &config, vfs::VfsCache &cache, hosting::HostRouter &router,
          http::Handler &next);
    ~Guard() override;

    // Call before the HTTP server is created: requests are counted through `options`, and the
    // connection cap and worker count come from the limits.
    void configure(http::ServerOptions &options, const system::Limits &limits);
    // Call once everything exists: enters maintenance mode if the database is too large for
    // this machine's memory (see Limits::maintenanceRatio), applies the limits, starts sampling.
    void start(const system::ProbeResult &probe, const system::Limits &limits);
    void attach(hosting::SiteHandler &sites);
    // The first server attached is the one whose connections the metrics count; with
    // `followWorkerLimit`, recalibration sets its worker count (workerThreads), live.
    void attach(http::HttpServer &server, bool followWorkerLimit = false);
    // Called with the limits each time they are applied (start, recalibration, PUT limits),
    // for the parts outside the guard that follow them live (the function workers).
    void onLimits(std::function<void(const system::Limits &)> follower) {
        m_limitFollowers.push_back(std::move(follower));
    }
    // Adds the /api/system/* endpoints and the upload gate.
    void attach(admin::AdminService &admin);

    void handle(http::Exchange &exchange) override;

    // glibc gives each thread that allocates an arena of its own (up to 8 per core), each
    // keeping what was freed in it, and raises its mmap threshold to the largest block freed,
    // so 256 KiB blob chunks end up kept in arenas too. Two arenas and a fixed threshold keep
    // RSS close to what is in use. Call before any thread starts.
    static void tuneAllocator();

    Metrics &metrics() { return m_metrics; }
    Breakers &breakers() { return m_breakers; }
    Config &config() { return m_config; }
    const QString &databasePath() const;

    system::Limits limits() const;
    system::ProbeResult probe() const;
    // Makes `limits` the ones in effect (live; worker threads take effect at the next start).
    void apply(const system::Limits &limits);
    // A new probe of this machine (root from Probe::defaultRoot()).
    system::ProbeResult probeNow() const;
    // Probes again, stores and applies new limits; the memory breaker follows the new limit.
    Result<system::Limits> recalibrate(system::ProbeResult &probe);

    // Maintenance mode: at boot when the database is too large, or by the admin.
    void setMaintenance(bool isOn, const QString &reason);
    bool isInMaintenance() const { return m_breakers.isInMaintenance(); }

    // Gates (any thread). False/an answer when the memory or disk breaker refuses the work;
    // the refusal is counted.
    bool mayFillCache();
    std::optional<http::Response> admitUpload(qint64 contentLength);

    // Seconds a refused client is told to wait.
    static constexpr int RetryAfterSeconds = 5;
    static constexpr int MaintenanceRetryAfterSeconds = 300;

private:
    void sample();
    void registerSources();
    void onMemoryChange(bool isTripped);
    qint64 databaseBytes() const;
    bool isMetricsAllowed(const http::Request &request) const;

    db::Database &m_database;
    Config &m_config;
    vfs::VfsCache &m_cache;
    hosting::HostRouter &m_router;
    http::Handler &m_next;
    http::HttpServer *m_server = nullptr;
    std::vector<http::HttpServer *> m_workerServers; // follow Limits::workerThreads
    std::vector<std::function<void(const system::Limits &)>> m_limitFollowers;
    admin::AdminService *m_admin = nullptr;
    Metrics m_metrics;
    Breakers m_breakers;
    QTimer m_sampler;
    int m_samples = 0;
    mutable QMutex m_mutex; // guards m_limits and m_probe
    system::Limits m_limits;
    system::ProbeResult m_probe;
};

} // namespace fazt::guard
