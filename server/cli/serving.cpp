#include "cli/serving.h"

#include "admin/adminservice.h"
#include "admin/upload.h"
#include "cli/cli.h"
#include "config/config.h"
#include "db/database.h"
#include "guard/guard.h"
#include "hosting/hostrouter.h"
#include "hosting/sitehandler.h"
#include "http/httpserver.h"
#include "vfs/vfs.h"
#include "vfs/vfscache.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTextStream>
#include <QTimer>

#include <csignal>
#include <sys/signalfd.h>
#include <unistd.h>

namespace fazt::cli {

int serve(db::Database &database, const ServeSettings &settings) {
    // SIGTERM/SIGINT arrive as readable data on a signalfd watched by the main loop, so the
    // shutdown runs as ordinary code on the main thread. SIGPIPE is never wanted: a client
    // that goes away is an EPIPE from send().
    std::signal(SIGPIPE, SIG_IGN);
    sigset_t mask;
    sigemptyset(&mask);
    sigaddset(&mask, SIGTERM);
    sigaddset(&mask, SIGINT);
    pthread_sigmask(SIG_BLOCK, &mask, nullptr); // before any worker starts: they inherit it
    const int signalFd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);

    guard::Guard::tuneAllocator(); // before any thread allocates
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
        QTextStream(stderr) << "fazt: " << s.error().message << Qt::endl;
        return Failure;
    }
    hosting::SiteHandler handler(vfs, cache, router);
    Config config(database);
    if (Status s = config.load(); !s) {
        QTextStream(stderr) << "fazt: " << s.error().message << Qt::endl;
        return Failure;
    }
    if (const int swept = admin::Upload::sweepLeftovers(); swept > 0)
        QTextStream(stderr) << "fazt: removed " << swept << " unfinished uploads of an earlier run"
                            << Qt::endl;
    admin::AdminService::Options adminOptions;
    adminOptions.uploadRamBytes = limits.uploadRamBytes;
    // The admin API's threads must end before the HTTP server's workers are destroyed (their
    // Responders post to the workers): hence a unique_ptr, reset after server.stop().
    std::unique_ptr<admin::AdminService> adminService;
    if (settings.fixedSite.isEmpty()) {
        adminService = std::make_unique<admin::AdminService>(database, vfs, cache, config, router,
                                                             adminOptions);
        if (Status s = adminService->load(); !s) {
            QTextStream(stderr) << "fazt: " << s.error().message << Qt::endl;
            return Failure;
        }
        handler.setAdminHandler(adminService.get());
    }
    guard::Guard guard(database, config, cache, router, handler);
    guard.attach(handler);
    if (adminService)
        guard.attach(*adminService);
    http::ServerOptions httpOptions = settings.http;
    guard.configure(httpOptions, limits);
    http::HttpServer server(guard, httpOptions);
    guard.attach(server);
    guard.start(probe, limits);
    if (Status s = server.listen(); !s) {
        QTextStream(stderr) << "fazt: " << s.error().message << Qt::endl;
        ::close(signalFd);
        return Failure;
    }
    if (adminService)
        adminService->setPublicPort(settings.publicPort ? settings.publicPort : server.port());
    if (settings.onListening)
        settings.onListening(server.port(), vfs);
    QTimer authRefresh;
    if (adminService) {
        QObject::connect(&authRefresh, &QTimer::timeout, [&] { adminService->refreshAuth(); });
        authRefresh.start(2000);
    }

    QSocketNotifier notifier(signalFd, QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
        signalfd_siginfo info{};
        (void)!::read(signalFd, &info, sizeof info);
        QTextStream(stderr) << "fazt: " << (info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT")
                            << " received; finishing in-flight requests" << Qt::endl;
        notifier.setEnabled(false);
        QCoreApplication::quit();
    });
    QCoreApplication::exec();
    server.stop();
    adminService.reset();
    ::close(signalFd);
    QTextStream(stderr) << "fazt: stopped" << Qt::endl;
    return Ok;
}

} // namespace fazt::cli
