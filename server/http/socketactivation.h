#pragma once

#include <QList>
#include <QtGlobal>

namespace fazt::http {

// Listening sockets handed over by systemd (installers/fazt.socket) or systemd-socket-activate,
// through the LISTEN_FDS protocol (sd_listen_fds). They outlive the server process, so a restart
// refuses no connection: clients wait in the listen queue until the next server accepts.
// Read once per process; the variables are then unset so no child sees them.
class SocketActivation {
public:
    // The inherited listening TCP socket bound to `port` (any address), non-blocking and
    // close-on-exec, or -1 when there is none. Each socket is handed out once.
    static int take(quint16 port);
    // The ports of inherited sockets nobody took (the service holds a port Fazt does not serve).
    static QList<quint16> untakenPorts();
};

} // namespace fazt::http
