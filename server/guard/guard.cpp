#include "guard/guard.h"

#include "admin/adminservice.h"
#include "audit/auditlog.h"
#include "config/config.h"
#include "config/settings.h"
#include "db/database.h"
#include "guard/systemapi.h"
#include "hosting/hostrouter.h"
#include "hosting/sitehandler.h"
#include "http/httpserver.h"
#include "http/responses.h"
#include "metrics/prometheus.h"
#include "system/limitstore.h"
#include "system/threadpriority.h"
#include "vfs/vfscache.h"

#include <QDateTime>
#include <QFileInfo>

#include <malloc.h>

namespace fazt::guard {

using fazt::metrics::prometheusLine;

namespace {

// The nice value of this process's autogroup (system::favourThisSession), null when the kernel
// does not schedule by autogroup.
QJsonValue sessionNiceJson() {
    const std::optional<int> nice = system::sessionNice();
    return nice ? QJsonValue(*nice) : QJsonValue(QJsonValue::Null);
}

constexpr int SampleIntervalMs = 200;
// Disk usage changes slowly and statfs is cheap: every fifth sample (once a second).
constexpr int DiskSampleEvery = 5;
// While memory is short the file cache and SQLite's page caches keep this share of their budget.
constexpr qint64 ShrunkCacheDivisor = 4;
// Uploads above this size are "large": refused while memory is short.
constexpr qint64 LargeUploadBytes = 64 * 1024;

} // namespace

Guard::Guard(db::Database &database, Config &config, vfs::VfsCache &cache,
             hosting::HostRouter &router, http::Handler &next)
    : m_database(database)
    , m_config(config)
    , m_cache(cache)
    , m_router(router)
    , m_next(next) {
    m_breakers.setDiskReader([path = database.path()] { return system::Probe::disk(path); });
    m_breakers.onMemoryChange([this](bool isTripped) { onMemoryChange(isTripped); });
    m_sampler.setInterval(SampleIntervalMs);
    QObject::connect(&m_sampler, &QTimer::timeout, [this] { sample(); });
    registerSources();
}

Guard::~Guard() = default;

void Guard::tuneAllocator() {
    mallopt(M_ARENA_MAX, 2);
    mallopt(M_MMAP_THRESHOLD, 128 * 1024);
}

const QString &Guard::databasePath() const {
    return m_database.path();
}

void Guard::configure(http::ServerOptions &options, const system::Limits &limits) {
    options.maxConnections = std::max(1, limits.maxConnections);
    // One cap for every port (HTTP and HTTPS), changed live by recalibration.
    options.connectionLimit = std::make_shared<http::ConnectionLimit>(options.maxConnections);
    // The owner's admin gets a worker of its own and a reserve past the cap.
    options.isPriorityHost = [router = &m_router](QByteArrayView host) {
        return router->isAdminHost(host);
    };
    options.onResponse = [this](int status, std::chrono::nanoseconds elapsed) {
        m_metrics.recordResponse(status, elapsed);
    };
}

void Guard::attach(hosting::SiteHandler &sites) {
    sites.setCacheFillGate([this] { return mayFillCache(); });
}

void Guard::attach(http::HttpServer &server, bool followWorkerLimit) {
    if (!m_server)
        m_server = &server;
    if (followWorkerLimit)
        m_workerServers.push_back(&server);
}

void Guard::attach(admin::AdminService &admin) {
    m_admin = &admin;
    admin.setUploadGate([this](qint64 length) { return admitUpload(length); });
    SystemApi::addRoutes(admin, *this);
}

void Guard::start(const system::ProbeResult &probe, const system::Limits &limits) {
    {
        QMutexLocker lock(&m_mutex);
        m_probe = probe;
    }
    m_breakers.setMemoryLimit(probe.resources.memoryBytes);
    const qint64 dbBytes = databaseBytes();
    const double ratio = limits.maintenanceRatio;
    const qint64 memory = std::max<qint64>(1, probe.resources.memoryBytes);
    if (ratio > 0 && double(dbBytes) > double(memory) * ratio) {
        const QString reason =
            QStringLiteral("The database (%1) is %2 times this machine's memory (%3), past the "
                           "threshold of %4: only the admin is served. Give the machine more "
                           "memory and restart, or leave maintenance mode from the admin "
                           "(POST /api/system/maintenance {\"enabled\": false}).")
                .arg(mebibytes(dbBytes))
                .arg(double(dbBytes) / double(memory), 0, 'f', 0)
                .arg(mebibytes(memory))
                .arg(ratio);
        qWarning("fazt: maintenance mode: %s", qPrintable(reason));
        setMaintenance(true, reason);
        audit::AuditEntry entry;
        entry.actor = QStringLiteral("system");
        entry.action = QStringLiteral("maintenance.on");
        entry.detail = reason;
        (void)audit::AuditLog(m_database).record(std::move(entry));
    }
    apply(limits);
    sample();
    m_sampler.start();
}

qint64 Guard::databaseBytes() const {
    const QString path = m_database.path();
    return QFileInfo(path).size() + QFileInfo(path + QStringLiteral("-wal")).size();
}

system::Limits Guard::limits() const {
    QMutexLocker lock(&m_mutex);
    return m_limits;
}

system::ProbeResult Guard::probe() const {
    QMutexLocker lock(&m_mutex);
    return m_probe;
}

void Guard::apply(const system::Limits &limits) {
    {
        QMutexLocker lock(&m_mutex);
        m_limits = limits;
    }
    const qint64 divisor = m_breakers.isMemoryTripped() ? ShrunkCacheDivisor : 1;
    m_cache.setBudget(limits.cacheBytes / divisor);
    if (m_server)
        m_server->setMaxConnections(limits.maxConnections); // shared by every port
    for (http::HttpServer *server : m_workerServers)
        server->setWorkerCount(limits.workerThreads);
    for (const auto &follower : m_limitFollowers)
        follower(limits);
    if (m_admin)
        m_admin->setUploadRamBytes(limits.uploadRamBytes);
    m_database.setReaderCacheSizeKiB(limits.sqliteCacheKiB / divisor);
}

system::ProbeResult Guard::probeNow() const {
    return system::Probe(system::Probe::defaultRoot()).run(m_database.path());
}

Result<system::Limits> Guard::recalibrate(system::ProbeResult &probe) {
    probe = probeNow();
    auto limits = system::LimitStore::calibrate(m_config, probe);
    if (!limits)
        return limits.error();
    {
        QMutexLocker lock(&m_mutex);
        m_probe = probe;
    }
    m_breakers.setMemoryLimit(probe.resources.memoryBytes);
    apply(*limits);
    return limits;
}

void Guard::setMaintenance(bool isOn, const QString &reason) {
    m_breakers.setMaintenance(isOn, reason);
}

void Guard::sample() {
    m_breakers.sampleMemory();
    if (m_samples++ % DiskSampleEvery == 0)
        m_breakers.sampleDisk();
    if (m_server)
        m_breakers.sampleConnections(m_server->connectionCount(), m_server->maxConnections(),
                                     m_server->refusedConnections(),
                                     QDateTime::currentMSecsSinceEpoch());
}

void Guard::onMemoryChange(bool isTripped) {
    const system::Limits current = limits();
    if (isTripped) {
        qWarning("fazt: memory breaker tripped: %s",
                 qPrintable(m_breakers.states()[int(Breakers::Kind::Memory)].reason));
        m_cache.setBudget(current.cacheBytes / ShrunkCacheDivisor);
        m_database.setReaderCacheSizeKiB(current.sqliteCacheKiB / ShrunkCacheDivisor);
        malloc_trim(0); // hand the freed cache memory back to the system now
    } else {
        qWarning("fazt: memory breaker reset: serving everything again");
        m_cache.setBudget(current.cacheBytes);
        m_database.setReaderCacheSizeKiB(current.sqliteCacheKiB);
    }
}

bool Guard::mayFillCache() {
    if (!m_breakers.isMemoryTripped())
        return true;
    m_breakers.countTrip(Breakers::Kind::Memory);
    return false;
}

std::optional<http::Response> Guard::admitUpload(qint64 contentLength) {
    if (m_breakers.isMemoryTripped() && (contentLength < 0 || contentLength > LargeUploadBytes)) {
        m_breakers.countTrip(Breakers::Kind::Memory);
        http::Response busy = admin::apiError(
            503, "memory_short",
            QStringLiteral("The server is short of memory and takes no large uploads right now. "
                           "Retry in a minute."));
        busy.retryAfterSeconds = int(RetryAfterSeconds);
        return busy;
    }
    if (!m_breakers.admitDiskWrite()) {
        return admin::apiError(507, "disk_full",
                               m_breakers.states()[int(Breakers::Kind::Disk)].reason);
    }
    return std::nullopt;
}

bool Guard::isMetricsAllowed(const http::Request &request) const {
    // Without a token only for this machine itself: not through a reverse proxy on the same
    // host (any configured, or a request that says it was forwarded), which would make a
    // loopback peer of every visitor.
    const bool isFromThisMachine =
        request.peer().isLoopback() && request.field(http::Field::XForwardedFor).isEmpty() &&
        request.field(http::Field::Forwarded).isEmpty() &&
        request.field(http::Field::XRealIp).isEmpty() &&
        m_config.setting(settings::HttpTrustedProxies).trimmed().isEmpty();
    if (isFromThisMachine)
        return true;
    const QByteArrayView authorization = request.field(http::Field::Authorization);
    if (!m_admin || !authorization.startsWith("Bearer "))
        return false;
    const auto token = m_admin->tokens().authenticate(authorization.sliced(7).trimmed());
    return token && auth::TokenStore::allows(token->scopes, auth::Scope::Read);
}

void Guard::handle(http::Exchange &exchange) {
    const http::Request &request = exchange.request();
    const QByteArrayView path = request.path();
    if (path == "/health") {
        exchange.respond(http::makeResponse(200, "text/plain; charset=utf-8", "ok\n"));
        return;
    }
    if (path != "/metrics" && !isInMaintenance()) {
        m_next.handle(exchange);
        return;
    }
    const hosting::HostRouter::Route route = m_router.route(request.host());
    if (route.kind == hosting::HostRouter::Route::Kind::Admin && path == "/metrics") {
        if (!isMetricsAllowed(request)) {
            http::Response refused = http::errorResponse(
                401,
                QStringLiteral("Metrics need an API token (Authorization: Bearer ...) or a "
                               "request from this machine."));
            refused.addHeader("WWW-Authenticate", "Bearer");
            exchange.respond(std::move(refused));
            return;
        }
        exchange.respond(http::makeResponse(200, "text/plain; version=0.0.4; charset=utf-8",
                                            m_metrics.prometheus()));
        return;
    }
    if (route.kind == hosting::HostRouter::Route::Kind::Site && isInMaintenance()) {
        m_breakers.countTrip(Breakers::Kind::Maintenance);
        http::Response paused = http::errorResponse(
            503,
            QStringLiteral("This site is paused while the server is in maintenance. Please come "
                           "back later."));
        paused.retryAfterSeconds = int(MaintenanceRetryAfterSeconds);
        exchange.respond(std::move(paused));
        return;
    }
    m_next.handle(exchange);
}

void Guard::registerSources() {
    m_metrics.addSource(
        QStringLiteral("limits"), [this] { return limits().toJson(); },
        [this] {
            const system::Limits l = limits();
            QByteArray text = "# HELP fazt_limit Limits in effect (from Capacity or set by the "
                              "admin).\n# TYPE fazt_limit gauge\n";
            const QJsonObject json = l.toJson();
            for (auto it = json.begin(); it != json.end(); ++it)
                text += prometheusLine("fazt_limit", it.value().toDouble(),
                                       QByteArray("name=\"" + it.key().toLatin1() + '"'));
            return text;
        });
    m_metrics.addSource(
        QStringLiteral("cache"),
        [this] {
            const vfs::VfsCache::Counters c = m_cache.counters();
            const quint64 lookups = c.hits + c.misses;
            return QJsonObject{
                {QStringLiteral("bytes"), c.bytes},
                {QStringLiteral("entries"), c.entries},
                {QStringLiteral("budgetBytes"), m_cache.budget()},
                {QStringLiteral("hits"), qint64(c.hits)},
                {QStringLiteral("misses"), qint64(c.misses)},
                {QStringLiteral("hitRate"), lookups ? double(c.hits) / double(lookups) : 0.0}};
        },
        [this]() -> QByteArray {
            const vfs::VfsCache::Counters c = m_cache.counters();
            return "# TYPE fazt_cache_bytes gauge\n" +
                   prometheusLine("fazt_cache_bytes", double(c.bytes)) +
                   "# TYPE fazt_cache_entries gauge\n" +
                   prometheusLine("fazt_cache_entries", double(c.entries)) +
                   "# TYPE fazt_cache_budget_bytes gauge\n" +
                   prometheusLine("fazt_cache_budget_bytes", double(m_cache.budget())) +
                   "# TYPE fazt_cache_hits_total counter\n" +
                   prometheusLine("fazt_cache_hits_total", double(c.hits)) +
                   "# TYPE fazt_cache_misses_total counter\n" +
                   prometheusLine("fazt_cache_misses_total", double(c.misses));
        });
    m_metrics.addSource(
        QStringLiteral("writeQueue"),
        [this] {
            return QJsonObject{
                {QStringLiteral("depth"), m_database.writer().depth()},
                {QStringLiteral("capacity"), m_database.writer().options().maxDepth}};
        },
        [this]() -> QByteArray {
            return "# TYPE fazt_write_queue_depth gauge\n" +
                   prometheusLine("fazt_write_queue_depth", m_database.writer().depth()) +
                   "# TYPE fazt_write_queue_capacity gauge\n" +
                   prometheusLine("fazt_write_queue_capacity",
                                  m_database.writer().options().maxDepth);
        });
    m_metrics.addSource(
        QStringLiteral("connections"),
        [this] {
            return QJsonObject{{QStringLiteral("open"), m_server ? m_server->connectionCount() : 0},
                               {QStringLiteral("reserved"),
                                m_server ? m_server->reservedConnections() : 0},
                               {QStringLiteral("workers"), m_server ? m_server->workerCount() : 0},
                               {QStringLiteral("adminNice"),
                                m_server ? m_server->priorityNice() : 0},
                               {QStringLiteral("sessionNice"), sessionNiceJson()},
                               {QStringLiteral("cap"),
                                m_server ? m_server->maxConnections() : limits().maxConnections}};
        },
        [this]() -> QByteArray {
            return "# TYPE fazt_connections_open gauge\n" +
                   prometheusLine("fazt_connections_open",
                                  m_server ? m_server->connectionCount() : 0) +
                   "# TYPE fazt_connections_cap gauge\n" +
                   prometheusLine("fazt_connections_cap",
                                  m_server ? m_server->maxConnections() : limits().maxConnections);
        });
    m_metrics.addSource(
        QStringLiteral("breakers"), [this] { return m_breakers.tripsJson(); },
        [this] { return m_breakers.prometheus(); });
}

} // namespace fazt::guard
