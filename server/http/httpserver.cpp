#include "http/httpserver.h"

#include "http/socketactivation.h"
#include "http/worker.h"

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

namespace fazt::http {

namespace {

ServerOptions withConnectionLimit(ServerOptions options) {
    if (!options.connectionLimit)
        options.connectionLimit = std::make_shared<ConnectionLimit>(options.maxConnections);
    return options;
}

} // namespace

HttpServer::HttpServer(Handler &handler, ServerOptions options)
    : m_handler(handler)
    , m_options(withConnectionLimit(std::move(options))) {}

HttpServer::~HttpServer() {
    stop();
    m_workers.clear();
}

Status HttpServer::listen() {
    // A socket systemd holds for this port (fazt.socket) survives restarts: take it instead of
    // binding a new one.
    if (const int inherited = SocketActivation::take(m_options.port); inherited >= 0) {
        m_isInherited = true;
        m_port = m_options.port;
        startWorkers(inherited);
        return {};
    }
    const QHostAddress &address = m_options.address;
    const bool isDualStack = address == QHostAddress::Any || address == QHostAddress::AnyIPv6;
    const bool isV6 = isDualStack || address.protocol() == QAbstractSocket::IPv6Protocol;
    const int fd =
        ::socket(isV6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return Error::io(QStringLiteral("Cannot create a socket: %1")
                             .arg(QString::fromLocal8Bit(strerror(errno))));
    const int on = 1, off = 0;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on);
    sockaddr_storage storage{};
    socklen_t length = 0;
    if (isV6) {
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, isDualStack ? &off : &on, sizeof on);
        auto *a = reinterpret_cast<sockaddr_in6 *>(&storage);
        a->sin6_family = AF_INET6;
        a->sin6_port = htons(m_options.port);
        if (isDualStack) {
            a->sin6_addr = in6addr_any;
        } else {
            const Q_IPV6ADDR bytes = address.toIPv6Address();
            std::memcpy(&a->sin6_addr, &bytes, sizeof bytes);
        }
        length = sizeof *a;
    } else {
        auto *a = reinterpret_cast<sockaddr_in *>(&storage);
        a->sin_family = AF_INET;
        a->sin_port = htons(m_options.port);
        a->sin_addr.s_addr = htonl(address.toIPv4Address());
        length = sizeof *a;
    }
    if (::bind(fd, reinterpret_cast<sockaddr *>(&storage), length) < 0 || ::listen(fd, 4096) < 0) {
        const QString why = QString::fromLocal8Bit(strerror(errno));
        ::close(fd);
        return Error::io(QStringLiteral("Cannot listen on %1 port %2: %3. Is another server "
                                        "using the port? Pick another with --port.")
                             .arg(address.toString())
                             .arg(m_options.port)
                             .arg(why));
    }
    getsockname(fd, reinterpret_cast<sockaddr *>(&storage), &length);
    m_port = ntohs(isV6 ? reinterpret_cast<sockaddr_in6 *>(&storage)->sin6_port
                        : reinterpret_cast<sockaddr_in *>(&storage)->sin_port);
    startWorkers(fd);
    return {};
}

void HttpServer::startWorkers(int listenFd) {
    m_listenFd = listenFd;
    const int accepting = std::max(1, m_options.workers);
    if (m_options.isPriority)
        m_priority = std::make_unique<Worker>(accepting, -1, m_handler, m_options,
                                              m_connectionCount);
    for (int i = 0; i < accepting; ++i) {
        m_workers.push_back(
            std::make_unique<Worker>(i, listenFd, m_handler, m_options, m_connectionCount));
        m_workers.back()->setPriorityWorker(m_priority.get());
    }
    if (m_priority)
        m_priority->start();
    for (auto &worker : m_workers)
        worker->start();
}

void HttpServer::stop() {
    for (auto &worker : m_workers)
        worker->requestStop();
    for (auto &worker : m_workers)
        worker->join();
    // Last: the accepting workers may hand it connections until they end.
    if (m_priority) {
        m_priority->requestStop();
        m_priority->join();
    }
    // The Worker objects stay until destruction: a Responder on another thread may still post
    // to them (the task is dropped). Closing an inherited socket closes this process's copy:
    // systemd keeps the port and queues connections for the next server.
    if (m_listenFd >= 0) {
        ::close(m_listenFd);
        m_listenFd = -1;
    }
}

} // namespace fazt::http
