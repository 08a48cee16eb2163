#include "app/server.h"

#include "admin/adminservice.h"
#include "admin/adminsite.h"
#include "admin/functionsapi.h"
#include "admin/statsapi.h"
#include "admin/upload.h"
#include "audit/auditlog.h"
#include "config/config.h"
#include "config/settings.h"
#include "crypto/secretbox.h"
#include "db/database.h"
#include "functions/functionstore.h"
#include "guard/guard.h"
#include "hosting/functions/functionruntime.h"
#include "hosting/hostrouter.h"
#include "hosting/sitedispatcher.h"
#include "hosting/sitehandler.h"
#include "hosting/tracker.h"
#include "http/accesslog.h"
#include "http/httpserver.h"
#include "metrics/prometheus.h"
#include "stats/statsbuffer.h"
#include "tls/https.h"
#include "vfs/vfs.h"
#include "vfs/vfscache.h"

#include <QDateTime>
#include <QJsonObject>
#include <QTimer>

namespace fazt::app {

namespace {

// With FAZT_ENCRYPTION_KEY (crypto::SecretBox): a key too short, or one that does not open
// the secrets already stored (or no key while some are sealed), stops the server before it
// serves anything, with a message that says so, rather than failing later request by request.
Status checkStoredSecrets(db::Database &database) {
    if (auto box = crypto::SecretBox::configured(); !box)
        return box.error();
    auto stmt = database.reader().prepare(
        "SELECT value FROM (SELECT value FROM function_env WHERE value LIKE 'fazt-enc:%' LIMIT 1) "
        "UNION ALL "
        "SELECT value FROM (SELECT value FROM certificates WHERE CAST(value AS TEXT) LIKE "
        "'fazt-enc:%' LIMIT 1)");
    if (!stmt)
        return stmt.error();
    while (stmt->next())
        if (auto opened = crypto::SecretBox::openStored(stmt->blob(0)); !opened)
            return opened.error();
    if (stmt->error())
        return *stmt->error();
    return {};
}

// Runs `prune` now and every 6 hours (rows past their retention go, through the writer).
void pruneEvery6Hours(QTimer &timer, const std::function<void()> &prune) {
    prune();
    QObject::connect(&timer, &QTimer::timeout, prune);
    timer.start(6 * 3600 * 1000);
}

} // namespace

// Every part, in the order start() makes them: destroyed in reverse, after stop() has ended
// the threads that reach across them.
struct Server::Parts {
    Parts(db::Database &servedDatabase, const Options &serverOptions)
        : database(servedDatabase)
        , options(serverOptions) {}

    Status start();
    void startStats();
    void startFunctions();
    Status startAdmin();
    void startAccessLog(http::ServerOptions &httpOptions);
    void addMetricSources();
    Status listen(http::ServerOptions httpOptions);
    void stop();

    db::Database &database;
    const Options &options;
    system::ProbeResult probe;
    system::Limits limits;
    std::unique_ptr<vfs::VfsCache> cache;
    std::unique_ptr<vfs::Vfs> fileSystem; // the database as the sites' files
    std::unique_ptr<hosting::HostRouter> router;
    std::unique_ptr<hosting::SiteHandler> files;
    std::unique_ptr<hosting::SiteDispatcher> handler;
    std::unique_ptr<Config> config;
    QTimer auditPrune;
    // Analytics: counted in RAM, flushed in one transaction every 30 s or 1,000 records.
    std::unique_ptr<stats::StatsBuffer> statsBuffer;
    std::unique_ptr<hosting::Tracker> tracker;
    QTimer statsPrune;
    std::unique_ptr<functions::FunctionStore> functionStore;
    // Its threads answer through the HTTP workers: reset after the servers stop, like the
    // admin's.
    std::unique_ptr<hosting::FunctionRuntime> functionRuntime;
    // The admin API's threads must end before the HTTP servers' workers are destroyed (their
    // Responders post to the workers).
    std::unique_ptr<admin::AdminService> adminService;
    std::unique_ptr<guard::Guard> frontDoor; // the guard: health, metrics, breakers
    http::AccessLog accessLog;
    // Config changes reach the access log only while this lives (it goes before the log).
    QObject accessLogContext;
    std::unique_ptr<tls::Https> https;
    std::unique_ptr<http::HttpServer> server;
    QTimer authRefresh;
};

Status Server::Parts::start() {
    const bool isPreview = !options.fixedSite.isEmpty();
    if (Status s = checkStoredSecrets(database); !s)
        return s;
    probe = options.probe ? *options.probe
                          : system::Probe(system::Probe::defaultRoot()).run(database.path());
    limits = options.limits ? *options.limits : system::Capacity::compute(probe.resources);

    cache = std::make_unique<vfs::VfsCache>(limits.cacheBytes, options.largeFileBytes);
    fileSystem = std::make_unique<vfs::Vfs>(database, cache.get());
    router = std::make_unique<hosting::HostRouter>(options.domain);
    if (isPreview)
        router->setFixedSite(options.fixedSite);
    if (Status s = router->reloadDomains(database); !s)
        return s;
    files = std::make_unique<hosting::SiteHandler>(*fileSystem, *cache);
    handler = std::make_unique<hosting::SiteDispatcher>(*files, *router, *fileSystem);
    handler->setLiveReload(options.liveReload);
    config = std::make_unique<Config>(database);
    if (Status s = config->load(); !s)
        return s;
    // Audit entries past their retention go.
    pruneEvery6Hours(auditPrune, [writer = &database.writer(), settings = config.get()] {
        const qint64 days = settings->intSetting(fazt::settings::AuditRetentionDays);
        (void)writer->submit([days](db::Connection &c) -> Status {
            auto removed = audit::AuditLog::pruneExpired(c, days);
            return removed ? Status() : Status(removed.error());
        });
    });
    if (!isPreview && config->intValue(QStringLiteral("stats.enabled"), 1) != 0)
        startStats();
    startFunctions();
    if (!isPreview) {
        if (Status s = startAdmin(); !s)
            return s;
    }
    frontDoor = std::make_unique<guard::Guard>(database, *config, *cache, *router, *handler);
    frontDoor->attach(*files);
    if (adminService)
        frontDoor->attach(*adminService);
    http::ServerOptions httpOptions = options.http;
    frontDoor->configure(httpOptions, limits);
    startAccessLog(httpOptions);
    addMetricSources();
    return listen(httpOptions);
}

void Server::Parts::startStats() {
    stats::StatsBuffer::Options statsOptions;
    statsOptions.flushIntervalMs = int(
        config->intValue(QStringLiteral("stats.flush_interval_ms"), statsOptions.flushIntervalMs));
    statsOptions.flushThreshold =
        int(config->intValue(QStringLiteral("stats.flush_threshold"), statsOptions.flushThreshold));
    statsOptions.budgetBytes =
        config->intValue(QStringLiteral("stats.buffer_bytes"), statsOptions.budgetBytes);
    statsBuffer = std::make_unique<stats::StatsBuffer>(database, statsOptions);
    tracker = std::make_unique<hosting::Tracker>(*statsBuffer);
    tracker->setTrustedProxies(config->value(QStringLiteral("http.trusted_proxies")));
    QObject::connect(config.get(), &Config::changed, statsBuffer.get(),
                     [buffer = statsBuffer.get(), visitors = tracker.get()](const QString &key,
                                                                            const QString &value) {
                         if (key == QLatin1String("http.trusted_proxies"))
                             visitors->setTrustedProxies(value);
                         else if (key == QLatin1String("stats.flush_interval_ms"))
                             buffer->setFlushInterval(std::max(100, value.toInt()));
                         else if (key == QLatin1String("stats.flush_threshold"))
                             buffer->setFlushThreshold(std::max(1, value.toInt()));
                         else if (key == QLatin1String("stats.buffer_bytes"))
                             buffer->setBudget(std::max<qint64>(65536, value.toLongLong()));
                     });
    handler->setTracker(tracker.get());
    statsBuffer->start();
    // Raw events past the retention period go; the rollups stay.
    pruneEvery6Hours(statsPrune, [writer = &database.writer(), settings = config.get()] {
        const qint64 days = settings->intSetting(fazt::settings::StatsRetentionDays);
        (void)writer->submit([days](db::Connection &c) -> Status {
            auto removed =
                stats::StatsBuffer::prune(c, QDateTime::currentSecsSinceEpoch(), days * 86400);
            return removed ? Status() : Status(removed.error());
        });
    });
}

// A site's api/main.js answers /api/... in worker processes, as many as the limits allow.
void Server::Parts::startFunctions() {
    functionStore = std::make_unique<functions::FunctionStore>(database);
    hosting::FunctionRuntime::Options functionOptions;
    functionOptions.maxConcurrent = limits.maxConcurrentJs;
    functionOptions.defaultTimeoutMs = int(
        config->intValue(QStringLiteral("functions.timeout_ms"), functionOptions.defaultTimeoutMs));
    functionOptions.memoryBytes = limits.jsWorkerMemoryBytes;
    functionOptions.crashLimit =
        int(config->intValue(QStringLiteral("functions.crash_limit"), functionOptions.crashLimit));
    functionOptions.maxQueued =
        int(std::clamp<qint64>(config->intValue(QStringLiteral("functions.queue_length"),
                                                8 * functionOptions.maxConcurrent),
                               0, 100000));
    functionOptions.maxQueueWaitMs = int(std::clamp<qint64>(
        config->intValue(QStringLiteral("functions.queue_wait_ms"), functionOptions.maxQueueWaitMs),
        0, 60000));
    if (tracker)
        functionOptions.clientOf = [visitors = tracker.get()](const http::Request &request) {
            return visitors->visitorHex(request);
        };
    functionRuntime =
        std::make_unique<hosting::FunctionRuntime>(*fileSystem, *functionStore, functionOptions);
    handler->setFunctionRuntime(functionRuntime.get());
}

Status Server::Parts::startAdmin() {
    // Uploads only an admin API takes: a preview leaves alone those of a server beside it.
    if (const int swept = admin::Upload::sweepLeftovers(); swept > 0)
        qInfo("fazt: removed %d unfinished uploads of an earlier run", swept);
    admin::AdminService::Options adminOptions;
    adminOptions.uploadRamBytes = limits.uploadRamBytes;
    adminOptions.isSecure = options.https.isEnabled;
    adminService = std::make_unique<admin::AdminService>(database, *fileSystem, *cache, *config,
                                                         *router, adminOptions);
    if (Status s = adminService->load(); !s)
        return s;
    if (auto recovered = adminService->recoverInterruptedDeploys(); !recovered)
        qWarning("fazt: %s", qPrintable(recovered.error().message));
    if (statsBuffer)
        admin::addStatsRoutes(*adminService, database, *statsBuffer);
    admin::addFunctionRoutes(
        *adminService, *fileSystem, *functionStore,
        [runtime = functionRuntime.get()](const QString &site) { runtime->invalidate(site); });
    handler->setAdminHandler(adminService.get());
    // The dashboard answers from RAM from the first request on, whatever user traffic does to
    // the cache.
    if (fileSystem->site(admin::AdminSite::SiteName)) {
        files->setDashboard(admin::AdminSite::SiteName, admin::AdminSite::securityHeaders());
        if (auto pinned = files->pinDashboard(); !pinned)
            qWarning("fazt: the admin dashboard is not pinned in memory: %s",
                     qPrintable(pinned.error().message));
    }
    QObject::connect(&authRefresh, &QTimer::timeout,
                     [admin = adminService.get()] { admin->refreshAuth(); });
    authRefresh.start(2000);
    return {};
}

// The access log (config log.access, log.access_file), off unless asked for; applied live, on
// the thread that changed the config, before the change is answered.
void Server::Parts::startAccessLog(http::ServerOptions &httpOptions) {
    const auto configure = [log = &accessLog](const QString &key, const QString &value) {
        Status s;
        if (key == QLatin1String("log.access")) {
            auto format = http::AccessLog::parseFormat(value);
            s = format ? Status() : Status(format.error());
            if (format)
                log->setFormat(*format);
        } else if (key == QLatin1String("log.access_file")) {
            s = log->setDestination(value);
        }
        if (!s)
            qWarning("fazt: %s", qPrintable(s.error().message));
    };
    for (const char *key : {"log.access_file", "log.access"})
        configure(QLatin1String(key), config->value(QLatin1String(key)));
    QObject::connect(config.get(), &Config::changed, &accessLogContext, configure,
                     Qt::DirectConnection);
    httpOptions.accessLog = &accessLog;
}

void Server::Parts::addMetricSources() {
    using fazt::metrics::prometheusLine;
    guard::Metrics &sources = frontDoor->metrics();
    if (adminService) {
        const auth::Credentials *credentials = &adminService->credentials();
        sources.addSource(
            QStringLiteral("auth"),
            [credentials] {
                return QJsonObject{
                    {QStringLiteral("passwordChecks"), qint64(credentials->passwordChecks())}};
            },
            [credentials]() -> QByteArray {
                return "# HELP fazt_login_password_checks_total Passwords hashed to check a "
                       "login.\n# TYPE fazt_login_password_checks_total counter\n" +
                       prometheusLine("fazt_login_password_checks_total",
                                      double(credentials->passwordChecks()));
            });
    }
    if (statsBuffer) {
        const stats::StatsBuffer *buffer = statsBuffer.get();
        sources.addSource(
            QStringLiteral("stats"), [buffer] { return buffer->counters().toJson(); },
            [buffer] {
                const stats::StatsBuffer::Counters c = buffer->counters();
                QByteArray text;
                const auto add = [&text](const char *name, const char *type, double value) {
                    text += QByteArray("# TYPE ") + name + ' ' + type + '\n' +
                            prometheusLine(name, value);
                };
                add("fazt_stats_records_accepted_total", "counter", double(c.accepted));
                add("fazt_stats_records_flushed_total", "counter", double(c.flushed));
                add("fazt_stats_events_dropped_total", "counter", double(c.dropped));
                add("fazt_stats_flushes_total", "counter", double(c.flushes));
                add("fazt_stats_flush_failures_total", "counter", double(c.flushFailures));
                add("fazt_stats_pending_records", "gauge", double(c.pending));
                add("fazt_stats_pending_rows", "gauge", double(c.pendingRows));
                add("fazt_stats_pending_bytes", "gauge", double(c.pendingBytes));
                add("fazt_stats_budget_bytes", "gauge", double(c.budgetBytes));
                return text;
            });
    }
    sources.addSource(
        QStringLiteral("functions"),
        [runtime = functionRuntime.get()] { return runtime->metricsJson(); },
        [runtime = functionRuntime.get()] { return runtime->prometheus(); });
}

// HTTPS (with --https-port) serves through the same guard; the plain port then answers ACME's
// HTTP-01 challenges and redirects the rest to HTTPS.
Status Server::Parts::listen(http::ServerOptions httpOptions) {
    if (options.https.isEnabled) {
        auto created = tls::Https::create(database, *router, *frontDoor, options.domain,
                                          options.https, httpOptions);
        if (!created)
            return created.error();
        https = std::move(*created);
        if (adminService)
            https->addAdminRoutes(*adminService);
        if (Status s = https->listen(); !s)
            return s;
    }
    server = std::make_unique<http::HttpServer>(
        https ? https->plainHandler() : static_cast<http::Handler &>(*frontDoor), httpOptions);
    frontDoor->attach(*server, options.workersFollowLimits);
    frontDoor->onLimits([runtime = functionRuntime.get()](const system::Limits &applied) {
        runtime->setMaxConcurrent(applied.maxConcurrentJs);
    });
    if (https)
        frontDoor->attach(https->server(), options.workersFollowLimits);
    frontDoor->start(probe, limits);
    if (Status s = server->listen(); !s)
        return s;
    if (adminService)
        adminService->setPublicPort(options.publicPort ? options.publicPort
                                    : https            ? https->port()
                                                       : server->port());
    return {};
}

void Server::Parts::stop() {
    authRefresh.stop();
    if (adminService)
        adminService->beginShutdown();
    server->stop();
    if (https)
        https->stop();
    adminService.reset();
    functionRuntime.reset();
    if (!statsBuffer)
        return;
    // Every event a client was told we accepted is written before we go.
    if (Status s = statsBuffer->flushAll(); !s)
        qCritical("fazt: %s", qPrintable(s.error().message));
    const stats::StatsBuffer::Counters c = statsBuffer->counters();
    qInfo("fazt: analytics: %llu records written in %llu transactions, %llu dropped",
          static_cast<unsigned long long>(c.flushed), static_cast<unsigned long long>(c.flushes),
          static_cast<unsigned long long>(c.dropped));
}

Server::Server(db::Database &database, Options options)
    : m_database(database)
    , m_options(std::move(options)) {}

Server::~Server() {
    stop();
}

Status Server::start() {
    if (m_parts)
        return {};
    auto parts = std::make_unique<Parts>(m_database, m_options);
    if (Status s = parts->start(); !s)
        return s; // nothing listens: the parts go, in reverse order
    m_parts = std::move(parts);
    return {};
}

void Server::stop() {
    if (!m_parts)
        return;
    m_parts->stop();
    m_parts.reset();
}

quint16 Server::port() const {
    return m_parts->server->port();
}

quint16 Server::httpsPort() const {
    return m_parts->https ? m_parts->https->port() : 0;
}

bool Server::isSocketActivated() const {
    return m_parts->server->isSocketActivated();
}

vfs::Vfs &Server::servingVfs() {
    return *m_parts->fileSystem;
}

} // namespace fazt::app
