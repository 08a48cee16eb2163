#include "cli/serving.h"

#include "cli/cli.h"
#include "config/settings.h"
#include "guard/guard.h"
#include "guard/servicenotifier.h"
#include "http/socketactivation.h"
#include "system/threadpriority.h"

#include <QCoreApplication>
#include <QSocketNotifier>

#include <algorithm>
#include <csignal>
#include <sys/signalfd.h>
#include <unistd.h>

namespace fazt::cli {

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

ServingProcess::ServingProcess() {
    std::signal(SIGPIPE, SIG_IGN);
    holdStopSignals(); // before any worker starts: they inherit it
    const sigset_t mask = stopSignals();
    m_signalFd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
    guard::Guard::tuneAllocator(); // before any thread allocates
}

ServingProcess::~ServingProcess() {
    ::close(m_signalFd);
}

int ServingProcess::run(const std::function<void()> &onStop) {
    QSocketNotifier notifier(m_signalFd, QSocketNotifier::Read);
    QObject::connect(&notifier, &QSocketNotifier::activated, [&] {
        signalfd_siginfo info{};
        (void)!::read(m_signalFd, &info, sizeof info);
        qInfo("fazt: %s received; finishing in-flight requests",
              info.ssi_signo == SIGTERM ? "SIGTERM" : "SIGINT");
        if (onStop)
            onStop();
        notifier.setEnabled(false);
        QCoreApplication::quit();
    });
    return QCoreApplication::exec();
}

int serve(db::Database &database, app::Server::Options options,
          const std::function<void(quint16 port, vfs::Vfs &vfs)> &onListening) {
    ServingProcess process;
    app::Server server(database, std::move(options));
    if (Status s = server.start(); !s) {
        qCritical("fazt: %s", qPrintable(s.error().message));
        return Failure;
    }
    // The admin's threads are favoured within this process; a server that leads its session
    // (systemd's services do) also favours its session against the machine's other work.
    bool isNumber = false;
    const int sessionNice = qEnvironmentVariableIntValue(settings::SessionNiceVariable, &isNumber);
    (void)system::favourThisSession(isNumber ? std::clamp(sessionNice, -20, 19)
                                             : system::CockpitNice);
    if (onListening)
        onListening(server.port(), server.servingVfs());
    for (const quint16 port : http::SocketActivation::untakenPorts())
        qWarning("fazt: systemd passed a socket for port %u, which this server does not serve "
                 "(see --port, --https-port)",
                 unsigned(port));
    // READY=1 only now: the ports listen (taken from systemd or bound), the admin is loaded.
    guard::ServiceNotifier serviceNotifier;
    QString status =
        QStringLiteral("Serving %1 on port %2").arg(server.domain()).arg(server.port());
    if (server.httpsPort())
        status += QStringLiteral(" and HTTPS on port %1").arg(server.httpsPort());
    if (server.isSocketActivated())
        status += QStringLiteral(" (sockets from systemd)");
    serviceNotifier.notifyReady(status);
    process.run([&serviceNotifier] {
        serviceNotifier.notifyStopping(QStringLiteral("Stopping: finishing in-flight requests"));
    });
    server.stop();
    qInfo("fazt: stopped");
    return Ok;
}

} // namespace fazt::cli
