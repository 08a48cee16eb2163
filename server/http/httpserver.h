#pragma once

#include "http/exchange.h"
#include "http/serveroptions.h"
#include "result.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <vector>

namespace fazt::http {

class Worker;

// The HTTP engine: one listening socket shared by N workers, each with its own epoll loop,
// and, when the options say which requests are the owner's (isPriority), one more worker that
// serves only those connections, so user traffic never queues in front of the admin.
class HttpServer {
public:
    HttpServer(Handler &handler, ServerOptions options);
    ~HttpServer();

    // Binds (port 0 picks a free one), or takes the socket systemd passed for the port
    // (SocketActivation), and starts the workers.
    Status listen();
    quint16 port() const { return m_port; }
    // Whether the listening socket came from systemd (socket activation).
    bool isSocketActivated() const { return m_isInherited; }
    // Graceful: stop accepting, let in-flight requests finish (up to shutdownGraceMs), join.
    // Responders still held elsewhere stay safe to call until the HttpServer is destroyed.
    void stop();
    int connectionCount() const { return m_connectionCount.load(); }
    // The connection cap, live: past it new connections get a fast 503 and are closed.
    void setMaxConnections(int cap) { m_options.connectionLimit->cap = std::max(1, cap); }
    int maxConnections() const { return m_options.connectionLimit->cap.load(); }
    quint64 refusedConnections() const { return m_options.connectionLimit->refused.load(); }
    // Connections admitted past the cap from the reserve kept for the admin.
    int reservedConnections() const { return m_options.connectionLimit->inReserve.load(); }
    const ServerOptions &options() const { return m_options; }

private:
    void startWorkers(int listenFd);

    Handler &m_handler;
    const ServerOptions m_options;
    int m_listenFd = -1;
    quint16 m_port = 0;
    bool m_isInherited = false;
    std::atomic<int> m_connectionCount{0};
    std::vector<std::unique_ptr<Worker>> m_workers; // accepting
    std::unique_ptr<Worker> m_priority;
};

} // namespace fazt::http
