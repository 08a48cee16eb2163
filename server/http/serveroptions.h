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

// The connection cap, shared by all workers and changeable while they run (recalibration);
// counts the connections it refused.
struct ConnectionLimit {
    explicit ConnectionLimit(int initialCap)
        : cap(initialCap) {}
    std::atomic<int> cap;
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
