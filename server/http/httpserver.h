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

// The HTTP engine: one listening socket shared by N workers, each with its own epoll loop.
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
    const ServerOptions &options() const { return m_options; }

private:
    void startWorkers(int listenFd);

    Handler &m_handler;
    const ServerOptions m_options;
    int m_listenFd = -1;
    quint16 m_port = 0;
    bool m_isInherited = false;
    std::atomic<int> m_connectionCount{0};
    std::vector<std::unique_ptr<Worker>> m_workers;
};

} // namespace fazt::http
