#include "http/connection.h"

#include "http/accesslog.h"
#include "http/responses.h"
#include "http/worker.h"

#include <atomic>
#include <cerrno>
#include <cstring>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

namespace fazt::http {

namespace {

constexpr qsizetype InitialInput = 4096;
constexpr qsizetype BodyReadSize = 64 * 1024;
// A streamed body is pulled while less than this is waiting for the socket: two chunks in
// flight keep a fast client busy; a slow one never costs more.
constexpr qint64 StreamHighWater = 512 * 1024;
constexpr qint64 StreamPiece = 256 * 1024;
constexpr int LingerMs = 2000;
// Small pieces are merged into one TLS record of up to this size before SSL_write: a head, its
// tail and a small body go out as one record and one system call instead of three.
constexpr qsizetype TlsRecordBytes = 16 * 1024;

std::atomic<quint64> nextConnectionId{1};

} // namespace

Connection::Connection(Worker &worker, int fd, QHostAddress peer)
    : m_worker(&worker)
    , m_fd(fd)
    , m_id(nextConnectionId++)
    , m_peer(std::move(peer))
    , m_acceptedMs(m_worker->nowMs()) {
    setDeadline(m_worker->options().headerTimeoutMs); // also bounds the TLS handshake
    if (m_worker->options().tls) {
        m_ssl = SSL_new(m_worker->options().tls);
        if (!m_ssl || SSL_set_fd(m_ssl, m_fd) != 1) {
            ERR_clear_error();
            close(); // dropped by the worker after this loop pass
            return;
        }
        SSL_set_accept_state(m_ssl);
        SSL_set_app_data(m_ssl, this); // for pausesForServerName
    }
}

Connection::~Connection() {
    SSL_free(m_ssl);
    ::close(m_fd);
}

void Connection::setDeadline(int timeoutMs) {
    m_deadlineMs = m_worker->nowMs() + timeoutMs;
    m_deadlineIsIdle = false;
}

void Connection::onEvents(quint32 events) {
    if (m_state == State::Closed)
        return;
    if (events & (EPOLLERR)) {
        close();
        return;
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP))
        m_canRead = true;
    if ((events & (EPOLLRDHUP | EPOLLHUP)) && m_peerInput == PeerInput::Open)
        m_peerInput = PeerInput::Closing;
    if (events & (EPOLLOUT | EPOLLHUP))
        m_canWrite = true;
    // OpenSSL may need to write while we read (handshake) and read while we write: under TLS
    // any event is a reason to retry both; a needless retry only costs an EAGAIN.
    if (m_ssl && (events & (EPOLLIN | EPOLLOUT)))
        m_canRead = m_canWrite = true;
    drive();
}

// The connection's state machine, run until nothing more can happen without an event.
void Connection::drive() {
    if (m_isDriving)
        return; // a handler called back into us; the running loop picks the change up
    m_isDriving = true;
    // Bounded, so one client with a deep pipeline cannot starve the others on this worker;
    // when the bound is hit the connection resumes on the loop's next pass (edge-triggered
    // epoll would not report the bytes already buffered again).
    constexpr int MaxRounds = 4096;
    // Likewise for a large body to a fast reader, or from a fast sender (a 1 GiB deploy on
    // loopback arrives as fast as it is read): past this many bytes written, or body bytes
    // read, in one pass, the other connections of this worker get their turn first.
    constexpr qint64 MaxBytesPerPass = 1 << 20;
    qint64 written = 0;
    m_receivedThisPass = 0;
    bool isYielding = false;
    int round = 0;
    for (; round < MaxRounds && m_state != State::Closed; ++round) {
        if (m_state == State::Lingering) {
            while (m_canRead && readSome()) {
            } // discards
            if (m_peerInput == PeerInput::Ended)
                close();
            break;
        }
        if (m_outBytes > 0 || m_stream) {
            if (m_stream && m_outBytes < StreamHighWater)
                refillFromStream();
            if (m_state == State::Closed)
                break;
            if (m_outBytes > 0 && m_canWrite) {
                const qint64 before = m_outBytes;
                flush();
                written += before - m_outBytes;
            }
            if (m_state == State::Closed)
                break;
            if (m_outBytes > 0 || m_stream) {
                if (m_canWrite && written >= MaxBytesPerPass) {
                    isYielding = true;
                    break;
                }
                if (m_outBytes == 0 || m_canWrite)
                    continue; // the stream has more to give, or the socket takes more
                break;        // wait for EPOLLOUT
            }
        }
        if (m_state == State::Responding) {
            finishResponse();
            continue;
        }
        if (m_state == State::ReadingHead) {
            if (parseHead())
                continue;
            if (m_canRead && readSome())
                continue;
            if (m_peerInput == PeerInput::Ended)
                close();
            break;
        }
        if (m_state == State::ReadingBody) {
            if (pumpBody())
                continue;
            if (m_canRead && m_receivedThisPass >= MaxBytesPerPass) {
                isYielding = true;
                break;
            }
            if (m_canRead && readSome())
                continue;
            if (m_peerInput == PeerInput::Ended)
                close(); // the body will never be complete
            break;
        }
        break; // Handling (the handler answers later) or HandingOff
    }
    m_isDriving = false;
    if (m_handOffTo && m_state != State::Closed) {
        if (m_state == State::HandingOff)
            m_state = State::Handling; // where it goes, its request is handled
        Worker *target = std::exchange(m_handOffTo, nullptr);
        m_worker->handOff(*this, target); // last touch on this thread
        return;
    }
    // One resumption waits at a time: an event that drives the connection meanwhile (more
    // of a fast upload arrived) must not queue another, or they would pile up, each a full
    // pass, in front of every other connection of this worker.
    if ((round == MaxRounds || isYielding) && m_state != State::Closed && !m_isResumePosted) {
        m_isResumePosted = true;
        Worker *worker = m_worker;
        const int fd = m_fd;
        const quint64 id = m_id;
        worker->post([worker, fd, id] {
            if (Connection *connection = worker->connection(fd);
                connection && connection->id() == id) {
                connection->m_isResumePosted = false;
                connection->drive();
            }
        });
    }
}

bool Connection::readSome() {
    if (m_inStart == m_inEnd)
        m_inStart = m_inEnd = 0;
    if (m_state == State::Lingering)
        m_inStart = m_inEnd = 0; // discard what arrived
    const qsizetype limit = m_state == State::ReadingBody
                                ? BodyReadSize
                                : m_worker->options().head.maxHeadBytes + InitialInput;
    if (m_inEnd - m_inStart >= limit)
        return false; // enough buffered; parse or deliver first
    if (m_in.size() - m_inEnd < 1024) {
        if (m_inStart > 0) {
            std::memmove(m_in.data(), m_in.constData() + m_inStart, size_t(m_inEnd - m_inStart));
            m_inEnd -= m_inStart;
            m_inStart = 0;
        }
        if (m_in.size() - m_inEnd < 1024)
            m_in.resize(std::max(InitialInput, std::min(m_in.size() * 2, limit + 1024)));
    }
    const size_t room = size_t(m_in.size() - m_inEnd);
    const ssize_t n = receive(m_in.data() + m_inEnd, room);
    if (n > 0) {
        m_inEnd += n;
        m_receivedThisPass += n;
        // Fewer bytes than asked for: the socket is drained, and edge-triggered epoll reports
        // the next arrival. Skipping the recv() that would only say EAGAIN saves a system call
        // per request. (Unless the peer is closing: then read on to see the end. Not under
        // TLS either: SSL_read returns one record at a time, whatever else is waiting.)
        if (size_t(n) < room && m_peerInput == PeerInput::Open && !m_ssl)
            m_canRead = false;
        if (m_deadlineIsIdle || (m_state == State::ReadingHead && m_inEnd - m_inStart == n))
            setDeadline(m_worker->options().headerTimeoutMs); // a new request begins
        if (m_state == State::ReadingBody)
            setDeadline(m_worker->options().bodyTimeoutMs);
        return true;
    }
    m_canRead = false;
    if (n == 0) {
        m_peerInput = PeerInput::Ended;
        return false;
    }
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
        m_canRead = errno == EINTR;
        return false;
    }
    close();
    return false;
}

ssize_t Connection::receive(char *data, size_t size) {
    if (!m_ssl)
        return ::recv(m_fd, data, size, 0);
    ERR_clear_error();
    size_t n = 0;
    if (SSL_read_ex(m_ssl, data, size, &n) == 1)
        return ssize_t(n);
    switch (SSL_get_error(m_ssl, 0)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_WANT_CLIENT_HELLO_CB: // paused to move (pausesForServerName): not here
        errno = EAGAIN;
        return -1;
    case SSL_ERROR_ZERO_RETURN: // close_notify
        return 0;
    default: // a failed handshake, a bad record, a reset: nothing more to say to this peer
        ERR_clear_error();
        errno = ECONNRESET;
        return -1;
    }
}

bool Connection::parseHead() {
    if (m_inEnd == m_inStart)
        return false;
    const QByteArrayView data(m_in.constData() + m_inStart, m_inEnd - m_inStart);
    const HeadResult result = http::parseHead(data, m_worker->options().head, m_head, m_scanned);
    if (result.status == HeadResult::Status::Incomplete)
        return false;
    m_scanned = 0;
    m_requestStart = std::chrono::steady_clock::now();
    if (result.status == HeadResult::Status::Invalid) {
        m_inStart = m_inEnd; // the rest of the stream cannot be trusted
        failRequest(result.httpStatus, result.reason);
        return true;
    }
    m_request = Request(QByteArray(data.data(), result.length), m_head, &m_peer);
    ++m_requestSerial;
    m_inStart += result.length;
    m_state = State::Handling;
    m_bodyComplete = !m_head.hasBody();
    m_bodyReceiver = nullptr;
    m_closeAfterResponse = !m_head.keepAlive || m_isShuttingDown;
    m_deadlineMs = 0; // the handler's time is not the client's
    if (m_requestSerial == 1) {
        // A connection's first request says whose it is: the owner's admin moves to the
        // priority worker, where user traffic never queues in front of it; a user's the
        // priority worker accepted moves to an accepting worker.
        const Worker::Traffic traffic = m_worker->trafficOf(m_request.host());
        if (traffic == Worker::Traffic::User && m_reservePlace) { // past the cap
            Response refused = errorResponse(
                503, QStringLiteral("The server is at its connection limit. Retry in a few "
                                    "seconds."));
            refused.retryAfterSeconds = 5;
            refused.connection = ConnectionPolicy::Close;
            m_worker->options().connectionLimit->refused.fetch_add(1, std::memory_order_relaxed);
            respond(std::move(refused));
            return true;
        }
        if (Worker *home = m_worker->homeFor(traffic)) {
            m_handOffTo = home;
            m_state = State::HandingOff;
            return true;
        }
    }
    m_worker->handler().handle(*this);
    return true;
}

bool Connection::pausesForServerName(ssl_st *ssl, QByteArrayView name) {
    auto *connection = static_cast<Connection *>(SSL_get_app_data(ssl));
    if (!connection || name.isEmpty())
        return false;
    Worker &worker = *connection->m_worker;
    Worker *home = worker.homeFor(worker.trafficOf(name));
    if (!home)
        return false;
    connection->m_handOffTo = home;
    return true;
}

void Connection::resumeOn(Worker &worker) {
    m_worker = &worker;
    if (m_state == State::Handling)
        m_worker->handler().handle(*this);
    else
        m_canRead = true; // a handshake paused at its ClientHello goes on here
    drive(); // bytes that arrived meanwhile, or the response the handler gave
}

void Connection::receiveBody(qint64 maxBytes,
                             std::function<void(QByteArrayView piece, bool last)> receiver) {
    if (m_state != State::Handling)
        return;
    if (!m_head.hasBody()) {
        receiver({}, true);
        return;
    }
    if (m_head.contentLength > maxBytes) {
        failRequest(413, "The request body is larger than this endpoint accepts");
        return;
    }
    m_bodyReceiver = std::move(receiver);
    m_bodyLimit = maxBytes;
    m_bodyReceived = 0;
    m_bodyRemaining = m_head.isChunked ? -1 : m_head.contentLength;
    m_chunked.reset(m_head.isChunked ? new ChunkedDecoder : nullptr);
    if (m_head.expectsContinue)
        queue(QByteArrayLiteral("HTTP/1.1 100 Continue\r\n\r\n"));
    m_state = State::ReadingBody;
    setDeadline(m_worker->options().bodyTimeoutMs);
    drive();
}

bool Connection::pumpBody() {
    const QByteArrayView available(m_in.constData() + m_inStart, m_inEnd - m_inStart);
    QByteArrayView piece;
    bool isLast = false;
    if (m_chunked) {
        if (available.isEmpty())
            return false;
        const ChunkedDecoder::Step step = m_chunked->feed(available);
        if (step.status == ChunkedDecoder::Status::Invalid) {
            m_inStart = m_inEnd;
            failRequest(400, m_chunked->error() ? m_chunked->error() : "Malformed chunked body");
            return true;
        }
        m_inStart += step.consumed;
        piece = step.data;
        isLast = step.status == ChunkedDecoder::Status::Done;
        if (piece.isEmpty() && !isLast)
            return step.consumed > 0;
    } else {
        if (available.isEmpty() && m_bodyRemaining > 0)
            return false;
        piece = available.first(std::min<qsizetype>(available.size(), m_bodyRemaining));
        m_inStart += piece.size();
        m_bodyRemaining -= piece.size();
        isLast = m_bodyRemaining == 0;
    }
    m_bodyReceived += piece.size();
    if (m_bodyReceived > m_bodyLimit) {
        failRequest(413, "The request body is larger than this endpoint accepts");
        return true;
    }
    if (isLast) {
        m_bodyComplete = true;
        m_state = State::Handling;
        m_deadlineMs = 0;
    }
    // The receiver is moved out while it runs: it may respond, which resets m_bodyReceiver.
    // It comes back for the next piece unless it answered already, so a receiver may keep
    // state across pieces, and no piece pays for a copy of it.
    auto receiver = std::exchange(m_bodyReceiver, nullptr);
    receiver(piece, isLast);
    if (!isLast && m_state == State::ReadingBody && !m_bodyReceiver)
        m_bodyReceiver = std::move(receiver);
    return true;
}

Responder Connection::defer() {
    return Responder(m_worker, m_fd, m_requestSerial);
}

void Connection::respondDeferred(quint64 serial, Response response) {
    if (serial != m_requestSerial)
        return;
    respond(std::move(response));
}

void Responder::respond(Response response, std::shared_ptr<void> release) const {
    if (!m_worker)
        return;
    m_worker->postAnswer(m_fd, m_serial, std::move(response), std::move(release));
}

void Connection::respond(Response response) {
    if (m_state == State::Responding || m_state == State::Closed ||
        m_state == State::Lingering)
        return;
    if (!m_bodyComplete || response.connection == ConnectionPolicy::Close || m_isShuttingDown)
        m_closeAfterResponse = true; // unread body bytes must never be parsed as a request
    const Worker::Tail tail = m_closeAfterResponse       ? Worker::Tail::Close
                              : m_head.minorVersion == 0 ? Worker::Tail::KeepAlive10
                                                         : Worker::Tail::KeepAlive;
    // The one place that decides which responses carry a body (HEAD, 1xx, 204, 304 do not).
    response.dropBodyFor(m_request.method());
    if (const auto &onResponse = m_worker->options().onResponse; onResponse)
        onResponse(response.status, std::chrono::steady_clock::now() - m_requestStart);
    if (AccessLog *log = m_worker->options().accessLog; log && log->isOn())
        log->record(m_request, m_peer, response.status, response.bodyBytes(m_request.method()),
                    std::chrono::steady_clock::now() - m_requestStart);
    // A cached file's head was serialised when it entered the cache: the hot path sends it
    // as it is.
    queue(response.preparedHead.isEmpty() ? response.serializeHead()
                                          : std::move(response.preparedHead));
    queue(m_worker->tail(tail));
    if (!response.body.isEmpty())
        queue(std::move(response.body));
    m_stream = std::move(response.stream);
    m_state = State::Responding;
    m_bodyReceiver = nullptr;
    setDeadline(m_worker->options().sendTimeoutMs);
    drive();
}

void Connection::failRequest(int status, const char *reason) {
    m_bodyComplete = false; // forces close after the response
    m_state = State::Handling;
    m_stream.reset();
    respond(errorResponse(status, QString::fromLatin1(reason ? reason : "Bad request") +
                                      QStringLiteral(".")));
}

void Connection::queue(QByteArray bytes) {
    if (bytes.isEmpty())
        return;
    m_outBytes += bytes.size();
    m_out.push_back(std::move(bytes));
}

bool Connection::flush() {
    bool wrote = false;
    while (m_outBytes > 0) {
        const ssize_t n = m_ssl ? sendTls() : send();
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                m_canWrite = false;
                return wrote;
            }
            close(); // EPIPE, ECONNRESET: the client is gone
            return wrote;
        }
        wrote = true;
        m_outBytes -= n;
        qsizetype left = n;
        while (left > 0) {
            const qsizetype inFront = m_out.front().size() - m_outOffset;
            if (left < inFront) {
                m_outOffset += left;
                break;
            }
            left -= inFront;
            m_out.pop_front();
            m_outOffset = 0;
        }
        setDeadline(m_worker->options().sendTimeoutMs);
    }
    return wrote;
}

ssize_t Connection::send() {
    iovec vectors[16];
    int count = 0;
    for (auto it = m_out.begin(); it != m_out.end() && count < 16; ++it, ++count) {
        const qsizetype skip = count == 0 ? m_outOffset : 0;
        vectors[count].iov_base = const_cast<char *>(it->constData() + skip);
        vectors[count].iov_len = size_t(it->size() - skip);
    }
    msghdr message{};
    message.msg_iov = vectors;
    message.msg_iovlen = size_t(count);
    return ::sendmsg(m_fd, &message, MSG_NOSIGNAL);
}

ssize_t Connection::sendTls() {
    // OpenSSL wants a write it could not finish repeated with the same bytes: merge only
    // before a piece's first attempt.
    if (!m_isTlsWriteRetry && m_outOffset == 0 && m_out.size() > 1 &&
        m_out.front().size() < TlsRecordBytes) {
        QByteArray merged = std::move(m_out.front());
        m_out.pop_front();
        while (!m_out.empty() && merged.size() + m_out.front().size() <= TlsRecordBytes) {
            merged.append(m_out.front());
            m_out.pop_front();
        }
        m_out.push_front(std::move(merged));
    }
    const QByteArray &front = m_out.front();
    ERR_clear_error();
    size_t n = 0;
    if (SSL_write_ex(m_ssl, front.constData() + m_outOffset, size_t(front.size() - m_outOffset),
                     &n) == 1) {
        m_isTlsWriteRetry = false;
        return ssize_t(n);
    }
    switch (SSL_get_error(m_ssl, 0)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        m_isTlsWriteRetry = true;
        errno = EAGAIN;
        return -1;
    default:
        ERR_clear_error();
        errno = ECONNRESET;
        return -1;
    }
}

void Connection::refillFromStream() {
    while (m_stream && m_outBytes < StreamHighWater) {
        Result<QByteArray> piece = m_stream->next(StreamPiece);
        if (!piece) {
            // The status line is long gone: all we can do is end the connection, which tells
            // the client the body is incomplete.
            qWarning("Streaming a response failed: %s", qPrintable(piece.error().message));
            close();
            return;
        }
        if (piece->isEmpty()) {
            m_stream.reset();
            return;
        }
        queue(std::move(*piece));
    }
}

void Connection::finishResponse() {
    m_request = Request();
    m_bodyReceiver = nullptr;
    m_chunked.reset();
    if (m_closeAfterResponse || m_isShuttingDown) {
        // Lingering close: stop sending, then read and drop what the client still sends for
        // a moment, so the kernel does not answer it with a reset that destroys our response.
        if (m_ssl) {
            ERR_clear_error();
            SSL_shutdown(m_ssl); // close_notify: the client knows the response is complete
        }
        ::shutdown(m_fd, SHUT_WR);
        m_state = State::Lingering;
        m_deadlineMs = m_worker->nowMs() + LingerMs;
        m_canRead = true;
        return;
    }
    m_state = State::ReadingHead;
    if (m_inEnd > m_inStart) {
        setDeadline(m_worker->options().headerTimeoutMs);
    } else {
        setDeadline(m_worker->options().idleTimeoutMs);
        m_deadlineIsIdle = true;
    }
}

void Connection::checkDeadline(qint64 nowMs) {
    if (m_state == State::Closed || m_deadlineMs == 0 || nowMs < m_deadlineMs)
        return;
    if (m_state == State::ReadingHead && !m_deadlineIsIdle && m_inEnd > m_inStart) {
        failRequest(408, "The request took too long to arrive");
        if (m_state != State::Closed)
            m_deadlineMs = nowMs + LingerMs; // a client that does not read the 408 either
        return;
    }
    close();
}

void Connection::shutdownWhenIdle() {
    m_isShuttingDown = true;
    // A connection accepted a moment ago whose first request has not arrived yet is not idle:
    // its client is about to send, and closing it would fail a request (what a restart under
    // socket activation must not do). It gets FreshGraceMs for the request, answered with
    // "Connection: close". An idle keep-alive connection closes now.
    const bool isFresh =
        m_requestSerial == 0 && m_worker->nowMs() - m_acceptedMs < FreshGraceMs;
    if (m_state == State::ReadingHead && m_inEnd == m_inStart && !isFresh)
        close();
}

void Connection::close() {
    if (m_state == State::Closed)
        return;
    m_state = State::Closed;
    m_stream.reset();
    ::epoll_ctl(m_worker->epollFd(), EPOLL_CTL_DEL, m_fd, nullptr);
    m_worker->scheduleClose(this);
}

} // namespace fazt::http
