#include "http/socketactivation.h"

#include <QMap>

#include <arpa/inet.h>
#include <fcntl.h>
#include <mutex>
#include <netinet/in.h>
#include <sys/socket.h>
#include <systemd/sd-daemon.h>

namespace fazt::http {

namespace {

quint16 boundPort(int fd) {
    sockaddr_storage address{};
    socklen_t length = sizeof address;
    if (::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length) != 0)
        return 0;
    if (address.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6 *>(&address)->sin6_port);
    if (address.ss_family == AF_INET)
        return ntohs(reinterpret_cast<sockaddr_in *>(&address)->sin_port);
    return 0;
}

// The sockets systemd passed, by port, read on first use (thread-safe: a function static).
struct Inherited {
    Inherited() {
        // 1: unset LISTEN_FDS/LISTEN_PID, so function workers and other children never believe
        // the sockets are theirs.
        const int count = sd_listen_fds(1);
        for (int fd = SD_LISTEN_FDS_START; fd < SD_LISTEN_FDS_START + count; ++fd) {
            if (sd_is_socket_inet(fd, AF_UNSPEC, SOCK_STREAM, 1, 0) <= 0)
                continue;
            // systemd passes them blocking and inheritable; the workers accept in a loop until
            // EAGAIN, and function workers must not hold the ports.
            ::fcntl(fd, F_SETFD, FD_CLOEXEC);
            ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
            if (const quint16 port = boundPort(fd); port != 0 && !byPort.contains(port))
                byPort.insert(port, fd);
        }
    }
    std::mutex mutex;
    QMap<quint16, int> byPort;
};

Inherited &inherited() {
    static Inherited sockets;
    return sockets;
}

} // namespace

int SocketActivation::take(quint16 port) {
    if (port == 0)
        return -1;
    Inherited &sockets = inherited();
    std::lock_guard lock(sockets.mutex);
    const auto found = sockets.byPort.constFind(port);
    if (found == sockets.byPort.cend())
        return -1;
    const int fd = *found;
    sockets.byPort.erase(found);
    return fd;
}

QList<quint16> SocketActivation::untakenPorts() {
    Inherited &sockets = inherited();
    std::lock_guard lock(sockets.mutex);
    return sockets.byPort.keys();
}

} // namespace fazt::http
