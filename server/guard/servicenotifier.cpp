#include "guard/servicenotifier.h"

#include <systemd/sd-daemon.h>

namespace fazt::guard {

namespace {

// One line: systemd shows STATUS= as is, and a newline would start another assignment.
QByteArray statusLine(const QString &status) {
    return "STATUS=" + status.simplified().toUtf8();
}

} // namespace

ServiceNotifier::ServiceNotifier(QObject *parent)
    : QObject(parent)
    , m_isSupervised(!qEnvironmentVariableIsEmpty("NOTIFY_SOCKET")) {
    m_watchdog.setTimerType(Qt::CoarseTimer);
    connect(&m_watchdog, &QTimer::timeout, this, [this] { send("WATCHDOG=1"); });
    uint64_t usec = 0;
    // Pings at half the interval systemd waits for. (Function workers start with an empty
    // environment: they never see NOTIFY_SOCKET or WATCHDOG_USEC.)
    if (sd_watchdog_enabled(0, &usec) > 0 && usec > 0)
        m_watchdog.setInterval(int(std::max<uint64_t>(usec / 2000, 100)));
}

void ServiceNotifier::notifyReady(const QString &status) {
    send("READY=1\n" + statusLine(status));
    if (m_watchdog.interval() > 0 && !m_watchdog.isActive()) {
        send("WATCHDOG=1");
        m_watchdog.start();
    }
}

void ServiceNotifier::setStatus(const QString &status) {
    send(statusLine(status));
}

void ServiceNotifier::notifyStopping(const QString &status) {
    m_watchdog.stop();
    send("STOPPING=1\n" + statusLine(status));
}

void ServiceNotifier::send(const QByteArray &state) {
    if (m_isSupervised)
        sd_notify(0, state.constData());
}

} // namespace fazt::guard
