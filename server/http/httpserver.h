#pragma once

#include "http/exchange.h"
#include "http/serveroptions.h"
#include "result.h"

#include <algorithm>
#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

namespace fazt::http {

class Worker;

// The HTTP engine: one listening socket shared by N workers, each with its own epoll loop,
// and, when the options say which requests are the owner's (isPriorityHost), one more worker that
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
    // Changes the number of accepting workers while serving (recalibration). New ones start
    // accepting at once; a retired one stops accepting and serves its connections until they
    // close, then its thread ends: no connection is dropped. Any thread.
    void setWorkerCount(int count);
    int workerCount() const;
    // The nice value of the thread serving the admin's connections (0 when the process may not
    // favour it, or there is none).
    int priorityNice() const;
    // Connections admitted past the cap from the reserve kept for the admin.
    int reservedConnections() const { return m_options.connectionLimit->inReserve.load(); }
    const ServerOptions &options() const { return m_options; }

private:
    void startWorkers(int listenFd);
    Worker *nextAcceptor();

    Handler &m_handler;
    const ServerOptions m_options;
    int m_listenFd = -1;
    quint16 m_port = 0;
    bool m_isInherited = false;
    std::atomic<int> m_connectionCount{0};
    mutable std::mutex m_workersMutex; // m_workers and m_retired (setWorkerCount vs stop)
    std::vector<std::unique_ptr<Worker>> m_workers; // accepting
    // Retired by setWorkerCount: kept until destruction, since a Responder may still post.
    std::vector<std::unique_ptr<Worker>> m_retired;
    std::unique_ptr<Worker> m_priority;
    std::atomic<int> m_waitingAcceptors{0};
    size_t m_nextAcceptor = 0; // under m_workersMutex
};

} // namespace fazt::http
