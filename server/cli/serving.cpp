#include "cli/serving.h"

#include "cli/cli.h"
#include "db/database.h"
#include "hosting/hostrouter.h"
#include "hosting/sitehandler.h"
#include "http/httpserver.h"
#include "vfs/vfs.h"
#include "vfs/vfscache.h"

#include <QCoreApplication>
#include <QSocketNotifier>
#include <QTextStream>

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
    http::HttpServer server(handler, settings.http);
    if (Status s = server.listen(); !s) {
        QTextStream(stderr) << "fazt: " << s.error().message << Qt::endl;
        ::close(signalFd);
        return Failure;
    }
    if (settings.onListening)
        settings.onListening(server.port(), vfs);

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
    ::close(signalFd);
    QTextStream(stderr) << "fazt: stopped" << Qt::endl;
    return Ok;
}

} // namespace fazt::cli
