#pragma once

#include <QObject>
#include <QString>
#include <QTimer>

namespace fazt::guard {

// Tells the service manager how the server is doing (sd_notify; fazt.service is Type=notify):
// READY=1 once it serves, STATUS= lines people see in `systemctl status`, STOPPING=1 on
// shutdown, and WATCHDOG=1 from the main loop while the unit has WatchdogSec (a hung main loop
// stops the pings and systemd restarts the service). Without NOTIFY_SOCKET (started by hand)
// every call does nothing.
class ServiceNotifier : public QObject {
    Q_OBJECT
public:
    explicit ServiceNotifier(QObject *parent = nullptr);

    bool isSupervised() const { return m_isSupervised; }
    // READY=1 with a status line; starts the watchdog pings when the unit asks for them.
    void notifyReady(const QString &status);
    void setStatus(const QString &status);
    // STOPPING=1: the graceful shutdown has begun; the pings stop.
    void notifyStopping(const QString &status);
    // The ping interval (half of WatchdogSec), or 0 without a watchdog.
    int watchdogIntervalMs() const { return m_watchdog.interval(); }

private:
    void send(const QByteArray &state);

    bool m_isSupervised = false;
    QTimer m_watchdog;
};

} // namespace fazt::guard
