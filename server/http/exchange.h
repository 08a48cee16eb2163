#pragma once

#include "http/requestparser.h"
#include "http/response.h"
#include "result.h"

#include <QByteArray>
#include <QHostAddress>

#include <functional>
#include <memory>

namespace fazt::http {

// One parsed request. The head's bytes are copied once into `raw`; every accessor is a view
// into it, valid as long as the Request lives.
class Request {
public:
    Request() = default;
    Request(QByteArray raw, const RequestHead &head, const QHostAddress *peer)
        : m_raw(std::move(raw))
        , m_head(head)
        , m_peer(peer) {}

    Method method() const { return m_head.method; }
    QByteArrayView methodText() const { return m_head.methodText.in(m_raw); }
    QByteArrayView target() const { return m_head.target.in(m_raw); }
    // The path as sent, percent-encoded; "/" for an absolute-form target without a path.
    QByteArrayView path() const {
        return m_head.path.isEmpty() ? QByteArrayView("/") : m_head.path.in(m_raw);
    }
    QByteArrayView query() const { return m_head.query.in(m_raw); }
    QByteArrayView host() const { return m_head.host.in(m_raw); }
    // A field's value (the first line of that name), or a null view if absent.
    QByteArrayView field(QByteArrayView name) const { return m_head.field(m_raw, name); }
    QByteArrayView field(Field known) const { return m_head.field(m_raw, known); }
    int minorVersion() const { return m_head.minorVersion; }
    bool keepAlive() const { return m_head.keepAlive; }
    bool hasBody() const { return m_head.hasBody(); }
    qint64 contentLength() const { return m_head.contentLength; }
    // The client's address (the socket's; proxies are the caller's business).
    const QHostAddress &peer() const { return *m_peer; }
    const RequestHead &head() const { return m_head; }
    // The head's bytes: the Spans in head() index into them.
    QByteArrayView rawHead() const { return m_raw; }

private:
    QByteArray m_raw;
    RequestHead m_head;
    const QHostAddress *m_peer = nullptr; // owned by the connection, which outlives the request
};

class Exchange;
class Worker;

// Answers one request later, from any thread (the admin thread, say): the response is handed
// to the connection's worker loop. If the connection is gone by then, it is dropped.
class Responder {
public:
    Responder() = default;
    // `release`, if given, is dropped on the connection's thread once the response is handed
    // over: what that thread allocated for the request is then freed where it was allocated
    // (a free from another thread costs the allocator a lock).
    void respond(Response response, std::shared_ptr<void> release = {}) const;
    bool isValid() const { return m_worker != nullptr; }

private:
    friend class Connection;
    Responder(Worker *worker, int fd, quint64 serial)
        : m_worker(worker)
        , m_fd(fd)
        , m_serial(serial) {}
    Worker *m_worker = nullptr;
    int m_fd = -1;
    quint64 m_serial = 0;
};

// Answers requests. handle() runs on the connection's worker thread and must not block for
// long: answer from RAM, read the database briefly, or stream.
class Handler {
public:
    virtual ~Handler() = default;
    virtual void handle(Exchange &exchange) = 0;
};

// The connection's side of one request, handed to the Handler.
class Exchange {
public:
    virtual ~Exchange() = default;
    virtual const Request &request() const = 0;
    // Sends the response (once). A request body the handler did not ask for is not read:
    // the connection closes after the response so no byte of it is taken as a request.
    virtual void respond(Response response) = 0;
    // Asks for the request body, delivered in pieces to `receiver` (last=true once, at the
    // end); sends "100 Continue" first if the client expects it. `maxBytes` bounds the body
    // (413 past it). The handler responds after the last piece, or earlier to refuse it.
    // Pieces are views valid only during the call.
    virtual void receiveBody(qint64 maxBytes,
                             std::function<void(QByteArrayView piece, bool last)> receiver) = 0;
    // For answering from another thread: the returned Responder may be called once, from
    // anywhere. Until then the connection waits (reading nothing more).
    virtual Responder defer() = 0;
};

} // namespace fazt::http
