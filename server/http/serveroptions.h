#pragma once

#include "http/requestparser.h"

#include <QByteArray>
#include <QHostAddress>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>

struct ssl_ctx_st;

namespace fazt::http {

class AccessLog;
class Request;

// The connection cap, shared by all workers (of every port given the same one) and
// changeable while they run (recalibration); counts the connections it refused.
//
// Past the cap, up to `reserve` more connections (a share per worker) are admitted on
// probation when the server has priority requests (ServerOptions::isPriorityHost): the owner's
// admin still gets in while user connections hold the cap. A reserved connection whose first
// request is not a priority one gets the connection-limit 503; one still silent when its
// worker's share is full is evicted for the newer one.
struct ConnectionLimit {
    explicit ConnectionLimit(int initialCap)
        : cap(initialCap) {}
    static constexpr int DefaultReserve = 64;
    std::atomic<int> cap;
    std::atomic<int> reserve{DefaultReserve};
    std::atomic<int> inReserve{0}; // all workers' reserved connections (metrics)
    std::atomic<quint64> refused{0};
};

// Every limit and timeout of the HTTP engine. Timeouts in milliseconds.
struct ServerOptions {
    QHostAddress address = QHostAddress::Any;
    quint16 port = 8080;
    int workers = 2;
    int maxConnections = 10000; // past it: a fast 503 and close
    HeadLimits head;
    qint64 maxBodyBytes = 1 << 20; // default for handlers that take a body
    int headerTimeoutMs = 10'000;  // from the first byte of a request to its last header
    int idleTimeoutMs = 60'000;    // keep-alive connection with nothing going on
    int bodyTimeoutMs = 30'000;    // no body byte for this long
    int sendTimeoutMs = 60'000;    // the client reads nothing of our response for this long
    int shutdownGraceMs = 10'000;  // in-flight requests get this long on SIGTERM
    // Set by HttpServer from maxConnections unless given (then shared with whoever gave it).
    std::shared_ptr<ConnectionLimit> connectionLimit;
    // Called on the worker thread as each response starts, with its status and the time since
    // the request's head was parsed (metrics).
    std::function<void(int status, std::chrono::nanoseconds elapsed)> onResponse;
    // Which hosts are the owner's (the admin): a connection whose TLS server name or first
    // request's Host is one is served by a worker of its own, and is admitted from the reserve
    // past the cap. Called once or twice per connection, on a worker thread; must not
    // allocate or block. Unset: no priority worker, no reserve.
    std::function<bool(QByteArrayView host)> isPriorityHost;
    // Each response is recorded here as it starts, when the log is on (owned elsewhere,
    // outliving the server; see http/accesslog.h).
    AccessLog *accessLog = nullptr;
    // HTTPS: every connection speaks TLS with this OpenSSL context (owned elsewhere, outliving
    // the server; see tls/tlscontext.h). Null: plain HTTP.
    ssl_ctx_st *tls = nullptr;
    // Header lines ("Name: value\r\n") added to every response, e.g. Strict-Transport-Security.
    QByteArray extraHeaders;
};

} // namespace fazt::http
