#include "cli/serving.h"

#include "admin/adminservice.h"
#include "admin/upload.h"
#include "cli/cli.h"
#include "config/config.h"
#include "db/database.h"
#include "hosting/hostrouter.h"
#include "hosting/sitehandler.h"
#include "http/httpserver.h"
#include "tls/https.h"
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

    vfs::VfsCache cache(settings.cacheBytes, settings.largeFileBytes);
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
    adminOptions.isSecure = settings.https.isEnabled;
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
    std::unique_ptr<tls::Https> https;
    if (settings.https.isEnabled) {
        auto created = tls::Https::create(database, router, handler, settings.domain,
                                          settings.https, settings.http);
        Status listening = created ? Status() : Status(created.error());
        if (created) {
            https = std::move(*created);
            if (adminService)
                https->addAdminRoutes(*adminService);
            listening = https->listen();
        }
        if (!listening) {
            QTextStream(stderr) << "fazt: " << listening.error().message << Qt::endl;
            ::close(signalFd);
            return Failure;
        }
    }
    http::HttpServer server(https ? https->plainHandler() : handler, settings.http);
    if (Status s = server.listen(); !s) {
        QTextStream(stderr) << "fazt: " << s.error().message << Qt::endl;
        ::close(signalFd);
        return Failure;
    }
    if (adminService)
        adminService->setPublicPort(settings.publicPort ? settings.publicPort
                                    : https             ? https->port()
                                                        : server.port());
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
    if (https)
        https->stop();
    adminService.reset();
    ::close(signalFd);
    QTextStream(stderr) << "fazt: stopped" << Qt::endl;
    return Ok;
}

} // namespace fazt::cli
