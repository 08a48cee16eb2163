#pragma once

#include "http/exchange.h"
#include "http/requestparser.h"

#include <QByteArray>
#include <QHostAddress>

#include <atomic>
#include <chrono>
#include <deque>
#include <functional>
#include <memory>

struct ssl_st;

namespace fazt::http {

class Worker;

// One client connection on a worker's loop: reads and parses requests (pipelined requests
// are answered in order, one at a time), hands each to the Handler as an Exchange, writes
// responses with writev and streams large bodies as the socket drains. On an HTTPS server the
// same machine runs over OpenSSL: receive() and send() are SSL_read/SSL_write on the socket,
// the handshake happens inside the first reads, and OpenSSL's WANT_READ/WANT_WRITE are the
// EAGAIN of the plain path.
class Connection final : public Exchange {
public:
    Connection(Worker &worker, int fd, QHostAddress peer);
    ~Connection() override;
    Connection(const Connection &) = delete;
    Connection &operator=(const Connection &) = delete;

    int fd() const { return m_fd; }
    // Unique for the process's lifetime (a descriptor number is reused).
    quint64 id() const { return m_id; }
    bool isClosed() const { return m_state == State::Closed; }
    // epoll reported `events` (EPOLLIN/OUT/RDHUP/HUP/ERR) for the socket.
    void onEvents(quint32 events);
    // Closes the connection if its current deadline passed.
    void checkDeadline(qint64 nowMs);
    // Graceful shutdown: an idle connection closes now; a busy one closes after its response.
    void shutdownWhenIdle();
    // Admitted past the connection cap, from the reserve kept for priority (admin) requests:
    // its first request must be one, or it gets the connection-limit 503.
    // `place` counts the accepting worker's share of the reserve (decremented on close).
    void setReservePlace(std::atomic<int> *place) { m_reservePlace = place; }
    std::atomic<int> *reservePlace() const { return m_reservePlace; }
    // Closes a reserved connection still on probation: its place in the reserve passes to a
    // newer one, so it no longer counts there.
    void evict() {
        m_reservePlace = nullptr;
        close();
    }
    // Whether its first request has not been seen yet (a reserved connection on probation).
    bool isUnidentified() const { return m_requestSerial == 0; }
    // On the worker it moved to, after Worker::adopt(): serve the request whose head was
    // parsed on the worker it came from, or go on with its TLS handshake.
    void resumeOn(Worker &worker);
    // From the TLS ClientHello callback, with the server name the client asked for: whether
    // the connection is to move to another worker (Worker::homeFor) before its handshake goes
    // on. The callback then answers SSL_CLIENT_HELLO_RETRY, the read that ran it stops, the
    // connection moves, and the handshake resumes there (the callback runs again and lets it).
    static bool pausesForServerName(ssl_st *ssl, QByteArrayView name);

    // Exchange
    const Request &request() const override { return m_request; }
    void respond(Response response) override;
    void receiveBody(qint64 maxBytes,
                     std::function<void(QByteArrayView piece, bool last)> receiver) override;
    Responder defer() override;
    // A deferred response arriving on this connection's loop; ignored unless it answers the
    // request still waiting (`serial`).
    void respondDeferred(quint64 serial, Response response);

private:
    // ReadingHead -> Handling [-> ReadingBody -> Handling] -> Responding -> ReadingHead (keep-alive)
    // or Lingering -> Closed. HandingOff: the first request is the admin's; once drive()
    // unwinds the connection moves to the priority worker (Worker::handOff), where it is
    // Handling again, and this thread no longer touches it. Closed is final.
    enum class State { ReadingHead, Handling, HandingOff, ReadingBody, Responding, Lingering, Closed };
    // What the peer's side of the stream has said: nothing yet, that it is closing (epoll's
    // RDHUP/HUP: read on to see the end), or its end (recv returned 0).
    enum class PeerInput { Open, Closing, Ended };

    void drive();
    bool readSome();  // true if bytes arrived
    bool parseHead(); // true if a request was dispatched or an error answered
    bool pumpBody();  // true if body bytes were delivered
    bool flush();     // true if bytes were written
    void refillFromStream();
    void finishResponse();
    void failRequest(int status, const char *reason);
    void queue(QByteArray bytes);
    void close();
    void setDeadline(int timeoutMs);
    // The socket I/O: recv/sendmsg, or their TLS versions. -1 with errno (EAGAIN: try again
    // after the next event), 0 for the end of the stream.
    ssize_t receive(char *data, size_t size);
    ssize_t send();
    ssize_t sendTls();

    Worker *m_worker; // changes once, when the connection moves to the priority worker
    const int m_fd;
    const quint64 m_id;
    const QHostAddress m_peer;
    State m_state = State::ReadingHead;
    bool m_canRead = false;
    bool m_canWrite = true;
    PeerInput m_peerInput = PeerInput::Open;
    bool m_closeAfterResponse = false;
    bool m_isShuttingDown = false;
    bool m_isDriving = false;
    bool m_bodyComplete = true;
    std::atomic<int> *m_reservePlace = nullptr; // admitted from the reserve past the cap
    // Where the connection moves once drive() unwinds (State::HandingOff; Worker::handOff):
    // this thread no longer touches it then.
    Worker *m_handOffTo = nullptr;
    qint64 m_receivedThisPass = 0; // bytes read in the current drive() pass
    bool m_isResumePosted = false; // a drive() posted to the worker after a yield, not run yet
    qint64 m_deadlineMs = 0;
    bool m_deadlineIsIdle = false;
    // When the worker accepted it; on shutdown, a connection younger than FreshGraceMs that
    // has sent nothing yet still gets its first request served.
    qint64 m_acceptedMs = 0;
    static constexpr qint64 FreshGraceMs = 1000;

    // Input: bytes [m_inStart, m_inEnd) of m_in are unparsed.
    QByteArray m_in;
    qsizetype m_inStart = 0;
    qsizetype m_inEnd = 0;
    qsizetype m_scanned = 0;

    Request m_request;
    quint64 m_requestSerial = 0; // counts requests, so a late deferred response finds its own
    std::chrono::steady_clock::time_point m_requestStart; // its head was parsed (metrics)
    RequestHead m_head;

    // Body of the current request.
    std::function<void(QByteArrayView, bool)> m_bodyReceiver;
    qint64 m_bodyLimit = 0;
    qint64 m_bodyRemaining = 0; // Content-Length bodies
    qint64 m_bodyReceived = 0;
    std::unique_ptr<ChunkedDecoder> m_chunked;

    // Output: pieces waiting for the socket.
    std::deque<QByteArray> m_out;
    qsizetype m_outOffset = 0; // into m_out.front()
    qint64 m_outBytes = 0;
    std::unique_ptr<BodySource> m_stream;

    ssl_st *m_ssl = nullptr;        // HTTPS only
    bool m_isTlsWriteRetry = false; // SSL_write must be repeated with the same front piece
};

} // namespace fazt::http
