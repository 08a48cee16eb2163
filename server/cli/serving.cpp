#include "cli/serving.h"

#include "admin/adminservice.h"
#include "admin/adminsite.h"
#include "admin/functionsapi.h"
#include "admin/statsapi.h"
#include "admin/upload.h"
#include "audit/auditlog.h"
#include "cli/cli.h"
#include "config/config.h"
#include "config/settings.h"
#include "crypto/secretbox.h"
#include "db/database.h"
#include "functions/functionstore.h"
#include "guard/guard.h"
#include "guard/servicenotifier.h"
#include "hosting/functions/functionruntime.h"
#include "hosting/hostrouter.h"
#include "hosting/sitehandler.h"
#include "hosting/tracker.h"
#include "http/accesslog.h"
#include "http/httpserver.h"
#include "http/socketactivation.h"
#include "stats/statsbuffer.h"
#include "tls/https.h"
#include "vfs/vfs.h"
#include "vfs/vfscache.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QJsonObject>
#include <QSocketNotifier>
#include <QTimer>

#include <csignal>
#include <sys/signalfd.h>
#include <unistd.h>

namespace fazt::cli {

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

} // namespace

namespace {

sigset_t stopSignals() {
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    return mask;
}

} // namespace

void holdStopSignals() {
    const sigset_t mask = stopSignals();
    pthread_sigmask(SIG_BLOCK, &mask, nullptr);
}

int serve(db::Database &database, const ServeSettings &settings) {
    // SIGTERM/SIGINT arrive as readable data on a signalfd watched by the main loop, so the
    // shutdown runs as ordinary code on the main thread (one that arrived earlier, while
    // held by holdStopSignals(), is read at once). SIGPIPE is never wanted: a client that
    // goes away is an EPIPE from send().
    std::signal(SIGPIPE, SIG_IGN);
    holdStopSignals(); // before any worker starts: they inherit it
    const sigset_t mask = stopSignals();
    const int signalFd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

    guard::Guard::tuneAllocator(); // before any thread allocates
    if (Status s = checkStoredSecrets(database); !s) {
        qCritical("fazt: %s", qPrintable(s.error().message));
        ::close(signalFd);
        return Failure;
    }
    const system::ProbeResult probe =
        settings.probe ? *settings.probe
                       : system::Probe(system::Probe::defaultRoot()).run(database.path());
    const system::Limits limits =
        settings.limits ? *settings.limits : system::Capacity::compute(probe.resources);

    vfs::VfsCache cache(limits.cacheBytes, settings.largeFileBytes);
    vfs::Vfs vfs(database, &cache);
    hosting::HostRouter router(settings.domain);
    if (!settings.fixedSite.isEmpty())
        router.setFixedSite(settings.fixedSite);
    if (Status s = router.reloadDomains(database); !s) {
        qCritical("fazt: %s", qPrintable(s.error().message));
        return Failure;
    }
    hosting::SiteHandler handler(vfs, cache, router);
    handler.setLiveReload(settings.liveReload);
    Config config(database);
    if (Status s = config.load(); !s) {
        qCritical("fazt: %s", qPrintable(s.error().message));
        return Failure;
    }
    if (const int swept = admin::Upload::sweepLeftovers(); swept > 0)
        qInfo("fazt: removed %d unfinished uploads of an earlier run", swept);
    // Audit entries past their retention go, at start and every 6 hours.
    QTimer auditPrune;
    const auto pruneAudit = [&database, &config] {
        const qint64 days = config.intSetting(settings::AuditRetentionDays);
        (void)database.writer().submit([days](db::Connection &c) -> Status {
            auto removed = audit::AuditLog::pruneExpired(c, days);
            return removed ? Status() : Status(removed.error());
        });
    };
    pruneAudit();
    QObject::connect(&auditPrune, &QTimer::timeout, pruneAudit);
    auditPrune.start(6 * 3600 * 1000);
    // Analytics: counted in RAM, flushed in one transaction every 30 s or 1,000 records.
    std::unique_ptr<stats::StatsBuffer> statsBuffer;
    std::unique_ptr<hosting::Tracker> tracker;
    QTimer statsPrune;
    if (settings.fixedSite.isEmpty() && config.intValue(QStringLiteral("stats.enabled"), 1) != 0) {
        stats::StatsBuffer::Options statsOptions;
        statsOptions.flushIntervalMs = int(config.intValue(
            QStringLiteral("stats.flush_interval_ms"), statsOptions.flushIntervalMs));
        statsOptions.flushThreshold = int(
            config.intValue(QStringLiteral("stats.flush_threshold"), statsOptions.flushThreshold));
        statsOptions.budgetBytes =
            config.intValue(QStringLiteral("stats.buffer_bytes"), statsOptions.budgetBytes);
        statsBuffer = std::make_unique<stats::StatsBuffer>(database, statsOptions);
        tracker = std::make_unique<hosting::Tracker>(*statsBuffer);
        tracker->setTrustedProxies(config.value(QStringLiteral("http.trusted_proxies")));
        QObject::connect(&config, &Config::changed, statsBuffer.get(),
                         [&](const QString &key, const QString &value) {
                             if (key == QLatin1String("http.trusted_proxies"))
                                 tracker->setTrustedProxies(value);
                             else if (key == QLatin1String("stats.flush_interval_ms"))
                                 statsBuffer->setFlushInterval(std::max(100, value.toInt()));
                             else if (key == QLatin1String("stats.flush_threshold"))
                                 statsBuffer->setFlushThreshold(std::max(1, value.toInt()));
                             else if (key == QLatin1String("stats.buffer_bytes"))
                                 statsBuffer->setBudget(
                                     std::max<qint64>(65536, value.toLongLong()));
                         });
        handler.setTracker(tracker.get());
        statsBuffer->start();
        // Raw events past the retention period go; the rollups stay.
        const auto prune = [&database, &config] {
            const qint64 days = config.intSetting(settings::StatsRetentionDays);
            (void)database.writer().submit([days](db::Connection &c) -> Status {
                auto removed =
                    stats::StatsBuffer::prune(c, QDateTime::currentSecsSinceEpoch(), days * 86400);
                return removed ? Status() : Status(removed.error());
            });
        };
        prune();
        QObject::connect(&statsPrune, &QTimer::timeout, prune);
        statsPrune.start(6 * 3600 * 1000);
    }
    // Functions: a site's api/main.js answers /api/... in worker processes, as many as the limits
    // allow.
    functions::FunctionStore functionStore(database);
    hosting::FunctionRuntime::Options functionOptions;
    functionOptions.maxConcurrent = limits.maxConcurrentJs;
    functionOptions.defaultTimeoutMs = int(
        config.intValue(QStringLiteral("functions.timeout_ms"), functionOptions.defaultTimeoutMs));
    functionOptions.memoryBytes = limits.jsWorkerMemoryBytes;
    functionOptions.crashLimit =
        int(config.intValue(QStringLiteral("functions.crash_limit"), functionOptions.crashLimit));
    functionOptions.maxQueued =
        int(std::clamp<qint64>(config.intValue(QStringLiteral("functions.queue_length"),
                                               8 * functionOptions.maxConcurrent),
                               0, 100000));
    functionOptions.maxQueueWaitMs = int(std::clamp<qint64>(
        config.intValue(QStringLiteral("functions.queue_wait_ms"), functionOptions.maxQueueWaitMs),
        0, 60000));
    if (tracker)
        functionOptions.clientOf = [&tracker](const http::Request &request) {
            return tracker->visitorHex(request);
        };
    // Its threads answer through the HTTP workers: reset after server.stop(), like the admin's.
    auto functionRuntime =
        std::make_unique<hosting::FunctionRuntime>(vfs, functionStore, functionOptions);
    handler.setFunctionRuntime(functionRuntime.get());
    admin::AdminService::Options adminOptions;
    adminOptions.uploadRamBytes = limits.uploadRamBytes;
    adminOptions.isSecure = settings.https.isEnabled;
    // The admin API's threads must end before the HTTP server's workers are destroyed (their
    // Responders post to the workers): hence a unique_ptr, reset after server.stop().
    std::unique_ptr<admin::AdminService> adminService;
    if (settings.fixedSite.isEmpty()) {
        adminService = std::make_unique<admin::AdminService>(database, vfs, cache, config, router,
                                                             adminOptions);
        if (Status s = adminService->load(); !s) {
            qCritical("fazt: %s", qPrintable(s.error().message));
            return Failure;
        }
        if (auto recovered = adminService->recoverInterruptedDeploys(); !recovered)
            qWarning("fazt: %s", qPrintable(recovered.error().message));
        if (statsBuffer)
            admin::addStatsRoutes(*adminService, database, *statsBuffer);
        admin::addFunctionRoutes(
            *adminService, vfs, functionStore,
            [runtime = functionRuntime.get()](const QString &site) { runtime->invalidate(site); });
        handler.setAdminHandler(adminService.get());
        // The dashboard answers from RAM from the first request on, whatever user traffic
        // does to the cache.
        if (vfs.site(admin::AdminSite::SiteName)) {
            handler.setDashboard(admin::AdminSite::SiteName, admin::AdminSite::securityHeaders());
            if (auto pinned = handler.pinDashboard(); !pinned)
                qWarning("fazt: the admin dashboard is not pinned in memory: %s",
                         qPrintable(pinned.error().message));
        }
    }
    guard::Guard guard(database, config, cache, router, handler);
    guard.attach(handler);
    if (adminService)
        guard.attach(*adminService);
    http::ServerOptions httpOptions = settings.http;
    guard.configure(httpOptions, limits);
    // The access log (config log.access, log.access_file), off unless asked for; applied live.
    http::AccessLog accessLog;
    const auto configureAccessLog = [&accessLog](const QString &key, const QString &value) {
        Status s;
        if (key == QLatin1String("log.access")) {
            auto format = http::AccessLog::parseFormat(value);
            s = format ? Status() : Status(format.error());
            if (format)
                accessLog.setFormat(*format);
        } else if (key == QLatin1String("log.access_file")) {
            s = accessLog.setDestination(value);
        }
        if (!s)
            qWarning("fazt: %s", qPrintable(s.error().message));
    };
    for (const char *key : {"log.access_file", "log.access"})
        configureAccessLog(QLatin1String(key), config.value(QLatin1String(key)));
    // Applied on the thread that changed the config, before the change is answered; never
    // after the log is gone (the context goes first).
    QObject accessLogContext;
    QObject::connect(&config, &Config::changed, &accessLogContext, configureAccessLog,
                     Qt::DirectConnection);
    httpOptions.accessLog = &accessLog;
    if (adminService) {
        const auth::Credentials *credentials = &adminService->credentials();
        guard.metrics().addSource(
            QStringLiteral("auth"),
            [credentials] {
                return QJsonObject{
                    {QStringLiteral("passwordChecks"), qint64(credentials->passwordChecks())}};
            },
            [credentials]() -> QByteArray {
                return "# HELP fazt_login_password_checks_total Passwords hashed to check a "
                       "login.\n# TYPE fazt_login_password_checks_total counter\n" +
                       guard::prometheusLine("fazt_login_password_checks_total",
                                             double(credentials->passwordChecks()));
            });
    }
    if (statsBuffer) {
        const stats::StatsBuffer *buffer = statsBuffer.get();
        guard.metrics().addSource(
            QStringLiteral("stats"), [buffer] { return buffer->counters().toJson(); },
            [buffer] {
                const stats::StatsBuffer::Counters c = buffer->counters();
                QByteArray text;
                const auto add = [&text](const char *name, const char *type, double value) {
                    text += QByteArray("# TYPE ") + name + ' ' + type + '\n' +
                            guard::prometheusLine(name, value);
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
    // HTTPS (with --https-port) serves through the same guard; the plain port then answers
    // ACME's HTTP-01 challenges and redirects the rest to HTTPS.
    std::unique_ptr<tls::Https> https;
    if (settings.https.isEnabled) {
        auto created = tls::Https::create(database, router, guard, settings.domain, settings.https,
                                          httpOptions);
        Status listening = created ? Status() : Status(created.error());
        if (created) {
            https = std::move(*created);
            if (adminService)
                https->addAdminRoutes(*adminService);
            listening = https->listen();
        }
        if (!listening) {
            qCritical("fazt: %s", qPrintable(listening.error().message));
            ::close(signalFd);
            return Failure;
        }
    }
    http::HttpServer server(https ? https->plainHandler() : static_cast<http::Handler &>(guard),
                            httpOptions);
    guard.attach(server, settings.workersFollowLimits);
    if (functionRuntime)
        guard.onLimits([runtime = functionRuntime.get()](const system::Limits &applied) {
            runtime->setMaxConcurrent(applied.maxConcurrentJs);
        });
    if (https)
        guard.attach(https->server(), settings.workersFollowLimits);
    guard.metrics().addSource(
        QStringLiteral("functions"),
        [runtime = functionRuntime.get()] { return runtime->metricsJson(); },
        [runtime = functionRuntime.get()] { return runtime->prometheus(); });
    guard.start(probe, limits);
    if (Status s = server.listen(); !s) {
        qCritical("fazt: %s", qPrintable(s.error().message));
        ::close(signalFd);
        return Failure;
    }
    if (adminService)
        adminService->setPublicPort(settings.publicPort ? settings.publicPort
                                    : https             ? https->port()
                                                        : server.port());
    if (settings.onListening)
        settings.onListening(server.port(), vfs);
    for (const quint16 port : http::SocketActivation::untakenPorts())
        qWarning("fazt: systemd passed a socket for port %u, which this server does not serve "
                 "(see --port, --https-port)",
                 unsigned(port));
    // READY=1 only now: the ports listen (taken from systemd or bound), the admin is loaded.
    guard::ServiceNotifier serviceNotifier;
    {
        QString status =
            QStringLiteral("Serving %1 on port %2").arg(settings.domain).arg(server.port());
        if (https)
            status += QStringLiteral(" and HTTPS on port %1").arg(https->port());
        if (server.isSocketActivated())
            status += QStringLiteral(" (sockets from systemd)");
        serviceNotifier.notifyReady(status);
    }
    QTimer authRefresh;
    if (adminService) {
        QObject::connect(&authRefresh, &QTimer::timeout, [&] { adminService->refreshAuth(); });
        authRefresh.start(2000);
    }

    QSocketNotifier notifier(signalFd, QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
        signalfd_siginfo info{};
        (void)!::read(signalFd, &info, sizeof info);
        qInfo("fazt: %s received; finishing in-flight requests",
              info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
        serviceNotifier.notifyStopping(QStringLiteral("Stopping: finishing in-flight requests"));
        notifier.setEnabled(false);
        QCoreApplication::quit();
    });
    QCoreApplication::exec();
    if (adminService)
        adminService->beginShutdown();
    server.stop();
    if (https)
        https->stop();
    adminService.reset();
    functionRuntime.reset();
    if (statsBuffer) {
        // Every event a client was told we accepted is written before we exit.
        if (Status s = statsBuffer->flushAll(); !s)
            qCritical("fazt: %s", qPrintable(s.error().message));
        const stats::StatsBuffer::Counters c = statsBuffer->counters();
        qInfo("fazt: analytics: %llu records written in %llu transactions, %llu dropped",
              static_cast<unsigned long long>(c.flushed),
              static_cast<unsigned long long>(c.flushes),
              static_cast<unsigned long long>(c.dropped));
    }
    ::close(signalFd);
    qInfo("fazt: stopped");
    return Ok;
}

} // namespace fazt::cli
