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
    m_retired.clear();
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
    if (m_options.isPriorityHost) {
        m_priority = std::make_unique<Worker>(-1, listenFd, Worker::Role::Priority, m_handler,
                                              m_options, m_connectionCount, m_waitingAcceptors);
        m_priority->setNextAcceptor([this] { return nextAcceptor(); });
        m_priority->start();
    }
    setWorkerCount(m_options.workers);
}

void HttpServer::setWorkerCount(int count) {
    count = std::clamp(count, 1, 256);
    std::lock_guard lock(m_workersMutex);
    if (m_listenFd < 0)
        return; // not listening (yet, or any more)
    while (int(m_workers.size()) < count) {
        auto worker = std::make_unique<Worker>(int(m_workers.size() + m_retired.size()),
                                               m_listenFd, Worker::Role::Accepting, m_handler,
                                               m_options, m_connectionCount, m_waitingAcceptors);
        worker->setPriorityWorker(m_priority.get());
        worker->start();
        m_workers.push_back(std::move(worker));
    }
    while (int(m_workers.size()) > count) {
        m_workers.back()->retire();
        m_retired.push_back(std::move(m_workers.back()));
        m_workers.pop_back();
    }
}

// On the priority worker's thread. It must never wait for this lock: stop() holds it while it
// joins the workers and then the priority worker itself. When the lock is taken (workers
// starting or stopping), the connection stays where it is.
Worker *HttpServer::nextAcceptor() {
    std::unique_lock lock(m_workersMutex, std::try_to_lock);
    if (!lock.owns_lock() || m_workers.empty() || m_listenFd < 0)
        return nullptr;
    return m_workers[m_nextAcceptor++ % m_workers.size()].get();
}

int HttpServer::workerCount() const {
    std::lock_guard lock(m_workersMutex);
    return int(m_workers.size());
}

int HttpServer::priorityNice() const {
    return m_priority ? m_priority->nice() : 0;
}

void HttpServer::stop() {
    if (m_priority) // first: it would hand what it accepts to workers that are ending
        m_priority->stopAccepting();
    std::lock_guard lock(m_workersMutex);
    for (auto &worker : m_workers)
        worker->requestStop();
    for (auto &worker : m_retired)
        worker->requestStop();
    for (auto &worker : m_workers)
        worker->join();
    for (auto &worker : m_retired)
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
