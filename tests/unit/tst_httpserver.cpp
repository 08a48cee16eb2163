// The HTTP engine (HttpServer, Worker, Connection) in-process, with a handler that reads
// request bodies and streams responses, over real loopback sockets: bodies arrive exactly
// (Content-Length, chunked, 100-continue), broken or oversized ones are refused and never
// parsed as requests, timeouts end stalled clients, a slow reader holds a streamed body back,
// many clients are served at once, the connection cap answers 503, and stop() lets
// in-flight responses finish.

#include "http/httpserver.h"
#include "http/responses.h"
#include "tls/certcache.h"
#include "tls/pki.h"
#include "tls/tlscontext.h"
#include "support/faztprocess.h"

#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QSslSocket>
#include <QTest>

#include <arpa/inet.h>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace fazt;
using namespace fazt::http;
using fazt::test::HttpResponse;
using fazt::test::RawClient;

namespace {

constexpr qint64 KiB = 1024;
constexpr qint64 MiB = 1024 * KiB;
constexpr qint64 DefaultEchoLimit = 8 * MiB;
constexpr qint64 SinkFastBytes = 256 * MiB;

// Streamed bodies repeat the bytes 0..250: a prime period, so a lost or repeated piece of
// any usual size shows as a mismatch.
constexpr qint64 PatternPeriod = 251;
constexpr qint64 MaxPatternSlice = MiB;

const QByteArray &patternBlock() {
    static const QByteArray block = [] {
        QByteArray bytes(PatternPeriod + MaxPatternSlice, Qt::Uninitialized);
        for (qsizetype i = 0; i < bytes.size(); ++i)
            bytes[i] = char(i % PatternPeriod);
        return bytes;
    }();
    return block;
}

// The pattern from byte `offset` of a body on, for MaxPatternSlice bytes.
const char *patternAt(qint64 offset) {
    return patternBlock().constData() + offset % PatternPeriod;
}

QByteArray randomBytes(qsizetype size, quint32 seed) {
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator generator(seed);
    for (char &byte : bytes)
        byte = char(generator.bounded(256));
    return bytes;
}

// `body` in chunked transfer coding, cut into chunks of the given sizes (cycled).
QByteArray chunked(const QByteArray &body, const QList<int> &chunkSizes) {
    QByteArray encoded;
    qsizetype offset = 0;
    for (int i = 0; offset < body.size(); ++i) {
        const qsizetype size =
            std::min<qsizetype>(chunkSizes[i % chunkSizes.size()], body.size() - offset);
        encoded += QByteArray::number(size, 16);
        encoded += "\r\n";
        encoded += body.mid(offset, size);
        encoded += "\r\n";
        offset += size;
    }
    encoded += "0\r\n\r\n";
    return encoded;
}

QByteArray postHead(const QByteArray &target, const QList<QByteArray> &headers) {
    return RawClient::request("test", target, headers, "POST");
}

QByteArray contentLength(qint64 length) {
    return QByteArray("Content-Length: " + QByteArray::number(length));
}

// Writes `bytes` in pieces of the given sizes (cycled); all at once if there are none.
void sendInPieces(RawClient &client, const QByteArray &bytes, const QList<int> &pieceSizes) {
    if (pieceSizes.isEmpty()) {
        client.send(bytes);
        return;
    }
    qsizetype offset = 0;
    for (int i = 0; offset < bytes.size(); ++i) {
        const qsizetype size = pieceSizes[i % pieceSizes.size()];
        client.send(bytes.mid(offset, size));
        offset += size;
    }
}

qint64 queryNumber(QByteArrayView query, QByteArrayView name, qint64 fallback) {
    for (const QByteArray &pair : query.toByteArray().split('&')) {
        const qsizetype equals = pair.indexOf('=');
        if (equals > 0 && QByteArrayView(pair).first(equals) == name)
            return pair.mid(equals + 1).toLongLong();
    }
    return fallback;
}

// What the test can observe of one streamed response body.
struct StreamStats {
    std::atomic<qint64> produced{0}; // bytes the connection pulled from the source
    std::atomic<bool> isReleased{false};
};

// Produces `size` pattern bytes lazily, one piece per pull; fails once `failAt` bytes were
// produced, if that is less.
class PatternSource final : public BodySource {
public:
    PatternSource(qint64 size, qint64 failAt, std::shared_ptr<StreamStats> stats)
        : m_size(size)
        , m_failAt(failAt)
        , m_stats(std::move(stats)) {}
    ~PatternSource() override { m_stats->isReleased = true; }

    Result<QByteArray> next(qint64 maxBytes) override {
        if (m_offset >= m_failAt)
            return Error::io(QStringLiteral("the test source failed on purpose"));
        const qint64 size = std::min({maxBytes, MaxPatternSlice, m_size - m_offset});
        QByteArray piece(patternAt(m_offset), size);
        m_offset += size;
        m_stats->produced = m_offset;
        return piece;
    }

private:
    const qint64 m_size;
    const qint64 m_failAt;
    qint64 m_offset = 0;
    std::shared_ptr<StreamStats> m_stats;
};

// Routes by path:
//   /echo?limit=N  reads the body (at most N bytes), answers 200 with it and X-Body-Pieces
//   /count?n=N     streams N pattern bytes through a PatternSource (&failAt=M: which fails
//                  after M bytes)
//   /refuse        answers 403 without reading the body
//   /busy          holds the worker thread for 300 ms, then answers 200
//   /hello         answers 200 "hello\n"
//   /later?us=N    answers 200 "later\n" from another thread N microseconds later, as a
//                  function does, handing the worker an object to release on its thread
class TestHandler final : public Handler {
public:
    void handle(Exchange &exchange) override {
        const Request &request = exchange.request();
        const QByteArray path = request.path().toByteArray();
        {
            std::lock_guard lock(m_mutex);
            m_paths.append(path);
        }
        if (path == "/echo")
            echo(exchange);
        else if (path == "/count")
            count(exchange);
        else if (path == "/refuse")
            exchange.respond(makeResponse(403, "text/plain", "refused\n"));
        else if (path == "/busy")
            busy(exchange);
        else if (path == "/hold")
            hold(exchange);
        else if (path == "/sink")
            sink(exchange);
        else if (path == "/hello")
            exchange.respond(makeResponse(200, "text/plain", "hello\n"));
        else if (path == "/later")
            later(exchange);
        else
            exchange.respond(makeResponse(404, "text/plain", "no such path\n"));
    }

    // Waits for the threads /later started (before the server goes: they answer through it).
    void joinLaterThreads() {
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(m_mutex);
            threads.swap(m_laterThreads);
        }
        for (std::thread &thread : threads)
            thread.join();
    }
    // How many /later releases were dropped, and how many of them on another thread than
    // the worker that took the request.
    int released() const { return m_released; }
    int releasedElsewhere() const { return m_releasedElsewhere; }

    QList<QByteArray> paths() const {
        std::lock_guard lock(m_mutex);
        return m_paths;
    }
    std::shared_ptr<StreamStats> lastStream() const {
        std::lock_guard lock(m_mutex);
        return m_lastStream;
    }
    // Lets the worker that /hold holds go.
    void releaseHold() {
        {
            std::lock_guard lock(m_mutex);
            m_isHoldReleased = true;
        }
        m_holdReleased.notify_all();
    }
    bool isHolding() const { return m_isHolding.load(); }
    // Body bytes /sink has taken so far.
    qint64 sunk() const { return m_sunk.load(); }

    void reset() {
        releaseHold();
        joinLaterThreads();
        std::lock_guard lock(m_mutex);
        m_paths.clear();
        m_lastStream.reset();
        m_released = 0;
        m_releasedElsewhere = 0;
        m_isHoldReleased = false;
    }

private:
    // Notes, when the last owner drops it, whether that happened on the thread it was made on.
    struct ThreadNote {
        explicit ThreadNote(TestHandler *h)
            : handler(h) {}
        ThreadNote(const ThreadNote &) = delete;
        ThreadNote &operator=(const ThreadNote &) = delete;
        TestHandler *handler;
        std::thread::id madeOn = std::this_thread::get_id();
        ~ThreadNote() {
            ++handler->m_released;
            if (std::this_thread::get_id() != madeOn)
                ++handler->m_releasedElsewhere;
        }
    };

    void later(Exchange &exchange) {
        const qint64 us = queryNumber(exchange.request().query(), "us", 0);
        const Responder responder = exchange.defer();
        auto note = std::make_shared<ThreadNote>(this);
        std::lock_guard lock(m_mutex);
        m_laterThreads.emplace_back([responder, us, note = std::move(note)]() mutable {
            std::this_thread::sleep_for(std::chrono::microseconds(us));
            responder.respond(makeResponse(200, "text/plain", "later\n"), std::move(note));
        });
    }

    static void echo(Exchange &exchange) {
        const qint64 limit = queryNumber(exchange.request().query(), "limit", DefaultEchoLimit);
        auto body = std::make_shared<QByteArray>();
        auto pieces = std::make_shared<int>(0);
        exchange.receiveBody(limit, [&exchange, body, pieces](QByteArrayView piece, bool last) {
            if (!piece.isEmpty()) {
                body->append(piece);
                ++*pieces;
            }
            if (!last)
                return;
            Response response = makeResponse(200, "application/octet-stream", *body);
            response.addHeader("X-Body-Pieces", QByteArray::number(*pieces));
            exchange.respond(std::move(response));
        });
    }

    // Holds the worker thread for a moment (what a handler must never do), so that a test
    // can have bytes arrive at a connection, or connections arrive, while it is busy.
    static void busy(Exchange &exchange) {
        std::this_thread::sleep_for(std::chrono::milliseconds(300));
        exchange.respond(makeResponse(200, "text/plain", "done\n"));
    }

    // Holds the worker thread until the test lets it go (releaseHold), at most 10 s: every
    // accepting worker busy, as under heavy user traffic, but for as long as a test needs.
    void hold(Exchange &exchange) {
        {
            std::unique_lock lock(m_mutex);
            m_isHolding = true;
            m_holdReleased.wait_for(lock, std::chrono::seconds(10),
                                    [this] { return m_isHoldReleased; });
            m_isHolding = false;
        }
        exchange.respond(makeResponse(200, "text/plain", "held\n"));
    }

    // Takes a body of any size and keeps only its length, spending ?usPerMiB on each MiB (a
    // receiver slower than the sender, as one writing a deploy to disk).
    void sink(Exchange &exchange) {
        m_sunk = 0;
        const qint64 usPerMiB = queryNumber(exchange.request().query(), "usPerMiB", 0);
        exchange.receiveBody(qint64(1) << 40, [this, &exchange, usPerMiB](QByteArrayView piece,
                                                                          bool last) {
            m_sunk += piece.size();
            if (m_sunk > SinkFastBytes) // fast first: the kernel grows the socket's buffers
                std::this_thread::sleep_for(
                    std::chrono::microseconds(usPerMiB * piece.size() / MiB));
            if (last)
                exchange.respond(makeResponse(200, "text/plain", "sunk\n"));
        });
    }

    void count(Exchange &exchange) {
        const qint64 size = queryNumber(exchange.request().query(), "n", 0);
        const qint64 failAt = queryNumber(exchange.request().query(), "failAt", size + 1);
        auto stats = std::make_shared<StreamStats>();
        {
            std::lock_guard lock(m_mutex);
            m_lastStream = stats;
        }
        Response response(200);
        response.contentType = "application/octet-stream";
        response.contentLength = size;
        response.stream = std::make_unique<PatternSource>(size, failAt, std::move(stats));
        exchange.respond(std::move(response));
    }

    mutable std::mutex m_mutex;
    std::condition_variable m_holdReleased;
    bool m_isHoldReleased = false; // under m_mutex
    std::atomic<bool> m_isHolding{false};
    std::atomic<qint64> m_sunk{0};
    QList<QByteArray> m_paths;
    std::shared_ptr<StreamStats> m_lastStream;
    std::vector<std::thread> m_laterThreads;
    std::atomic<int> m_released{0};
    std::atomic<int> m_releasedElsewhere{0};
};

// A blocking loopback client on a plain socket, for tests that must decide exactly when bytes
// are read (a QTcpSocket drains the kernel into its own buffer whenever events are processed)
// or that read on one thread while another stops the server. A small receive buffer keeps
// the kernel from absorbing what the test wants the server to hold back.
class SocketClient {
public:
    explicit SocketClient(quint16 port, int receiveBufferBytes = 0) {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (receiveBufferBytes > 0)
            ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receiveBufferBytes,
                         sizeof receiveBufferBytes);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        m_isConnected =
            ::connect(m_fd, reinterpret_cast<const sockaddr *>(&address), sizeof address) == 0;
    }
    ~SocketClient() { ::close(m_fd); }
    SocketClient(const SocketClient &) = delete;
    SocketClient &operator=(const SocketClient &) = delete;

    bool isConnected() const { return m_isConnected; }
    qint64 receiveBufferBytes() const {
        int bytes = 0;
        socklen_t length = sizeof bytes;
        ::getsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &bytes, &length);
        return bytes;
    }

    // True once the socket reports one of `events` (POLLIN, POLLERR...) within `timeoutMs`.
    bool waitUntil(short events, int timeoutMs = 5000) {
        pollfd ready{m_fd, events, 0};
        return ::poll(&ready, 1, timeoutMs) > 0 && (ready.revents & events) != 0;
    }

    // Sends FIN: the client sends nothing more but still reads.
    void finishSending() { ::shutdown(m_fd, SHUT_WR); }
    // Ends both directions now, which also wakes a thread blocked sending.
    void shutdown() { ::shutdown(m_fd, SHUT_RDWR); }

    bool send(QByteArrayView bytes) {
        while (!bytes.isEmpty()) {
            const ssize_t n = ::send(m_fd, bytes.data(), size_t(bytes.size()), MSG_NOSIGNAL);
            if (n <= 0)
                return false;
            bytes = bytes.sliced(n);
        }
        return true;
    }

    // Up to `maxBytes` into `buffer`: first what readHead() left over, else what the socket
    // has within `timeoutMs`. Returns the count, 0 at the end of the stream, -1 on timeout or
    // error.
    qint64 read(char *buffer, qint64 maxBytes, int timeoutMs = 5000) {
        if (!m_pending.isEmpty()) {
            const qint64 n = std::min<qint64>(maxBytes, m_pending.size());
            std::memcpy(buffer, m_pending.constData(), size_t(n));
            m_pending.remove(0, n);
            return n;
        }
        return receive(buffer, maxBytes, timeoutMs);
    }

    // The response head up to its blank line; body bytes read with it are kept for read().
    QByteArray readHead(int timeoutMs = 5000) {
        QElapsedTimer timer;
        timer.start();
        char buffer[4096];
        for (;;) {
            if (const qsizetype end = m_pending.indexOf("\r\n\r\n"); end >= 0) {
                const QByteArray head = m_pending.left(end + 4);
                m_pending.remove(0, end + 4);
                return head;
            }
            const qint64 n = receive(buffer, sizeof buffer,
                                     int(std::max<qint64>(0, timeoutMs - timer.elapsed())));
            if (n <= 0)
                return {};
            m_pending.append(buffer, n);
        }
    }

    // A whole response with a Content-Length body: head and body, or empty on failure.
    QByteArray readResponse(int timeoutMs = 5000) {
        QByteArray response = readHead(timeoutMs);
        const qsizetype at = response.indexOf("Content-Length: ");
        if (at < 0)
            return {};
        qint64 remaining = response.mid(at + 16, response.indexOf('\r', at) - at - 16).toLongLong();
        char buffer[4096];
        while (remaining > 0) {
            const qint64 n = read(buffer, std::min<qint64>(remaining, sizeof buffer), timeoutMs);
            if (n <= 0)
                return {};
            response.append(buffer, n);
            remaining -= n;
        }
        return response;
    }

private:
    qint64 receive(char *buffer, qint64 maxBytes, int timeoutMs) {
        pollfd readable{m_fd, POLLIN, 0};
        if (::poll(&readable, 1, timeoutMs) <= 0)
            return -1;
        const ssize_t n = ::recv(m_fd, buffer, size_t(maxBytes), 0);
        return n < 0 ? -1 : n;
    }

    int m_fd = -1;
    bool m_isConnected = false;
    QByteArray m_pending;
};

// Reads `size` pattern bytes (of a /count body) and checks them; returns how many were right
// before the first mismatch or the end of the stream. `pace` runs before every read.
template <typename Pace>
qint64 readPattern(SocketClient &client, qint64 size, qint64 readSize, Pace pace) {
    std::vector<char> buffer(static_cast<size_t>(MaxPatternSlice));
    qint64 received = 0;
    while (received < size) {
        pace(received);
        const qint64 n =
            client.read(buffer.data(), std::min({readSize, MaxPatternSlice, size - received}));
        if (n <= 0 || std::memcmp(buffer.data(), patternAt(received), size_t(n)) != 0)
            return received;
        received += n;
    }
    return received;
}

qint64 tcpSendBufferMax() {
    QFile file(QStringLiteral("/proc/sys/net/ipv4/tcp_wmem"));
    if (!file.open(QIODevice::ReadOnly))
        return 4 * MiB;
    return file.readAll().simplified().split(' ').value(2).toLongLong();
}

} // namespace

class TestHttpServer : public QObject {
    Q_OBJECT

    TestHandler m_handler; // outlives m_server
    std::unique_ptr<HttpServer> m_server;

    static ServerOptions testOptions() {
        ServerOptions options;
        options.address = QHostAddress::LocalHost;
        options.port = 0;
        options.workers = 2;
        options.shutdownGraceMs = 3000;
        return options;
    }

    // Replaces the running server by one with `options`.
    [[nodiscard]] bool startServer(const ServerOptions &options) {
        m_server.reset();
        m_handler.reset();
        m_server = std::make_unique<HttpServer>(m_handler, options);
        const Status status = m_server->listen();
        if (!status)
            qWarning("%s", qPrintable(status.error().message));
        return bool(status);
    }

    quint16 port() const { return m_server->port(); }

    // One request on a fresh connection: proves the server still serves.
    void expectServing() {
        RawClient client(port());
        client.send(RawClient::request("test", "/hello"));
        const HttpResponse response = client.read();
        QCOMPARE(response.status, 200);
        QCOMPARE(response.body, QByteArray("hello\n"));
    }

private Q_SLOTS:
    void init() { QVERIFY(startServer(testOptions())); }
    void cleanup() {
        m_handler.joinLaterThreads();
        m_server.reset();
    }

    // Answers from other threads reach every client, in order with its other requests, whether
    // the worker is busy (it takes them on its next turn) or waits in epoll_wait (woken).
    void answersFromOtherThreadsReachEveryClient() {
        constexpr int clientCount = 64;
        constexpr int rounds = 30;
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int i = 0; i < clientCount; ++i)
            clients.push_back(std::make_unique<RawClient>(port()));
        for (int round = 0; round < rounds; ++round) {
            for (int i = 0; i < clientCount; ++i) {
                // Some answer at once, some a little later; a static answer rides along.
                const QByteArray us = QByteArray::number((i + round) % 3 == 0 ? 2000 : 0);
                clients[size_t(i)]->send(RawClient::request("test", "/later?us=" + us) +
                                         RawClient::request("test", "/hello"));
            }
            for (int i = 0; i < clientCount; ++i) {
                const HttpResponse later = clients[size_t(i)]->read();
                QCOMPARE(later.status, 200);
                QCOMPARE(later.body, QByteArray("later\n"));
                const HttpResponse hello = clients[size_t(i)]->read();
                QCOMPARE(hello.status, 200);
                QCOMPARE(hello.body, QByteArray("hello\n"));
            }
        }
        m_handler.joinLaterThreads();
        // What the request's thread handed over with each answer was dropped on that thread.
        QTRY_COMPARE(m_handler.released(), clientCount * rounds);
        QCOMPARE(m_handler.releasedElsewhere(), 0);
    }

    // An answer that comes while the worker has nothing else to do wakes it at once: a lost
    // wake-up would leave it until the next 250 ms sweep, which 20 requests would add up.
    void anAnswerWakesAnIdleWorker() {
        RawClient client(port());
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < 20; ++i) {
            client.send(RawClient::request("test", "/later?us=10000"));
            const HttpResponse response = client.read();
            QCOMPARE(response.status, 200);
        }
        // 20 x 10 ms of waiting; lost wake-ups would add about 20 x 125 ms.
        QVERIFY2(timer.elapsed() < 1500, qPrintable(QString::number(timer.elapsed())));
    }

    // --- Request bodies -------------------------------------------------------------------

    void contentLengthBodyIsEchoedExactly_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QList<int>>("writeSizes");
        QTest::newRow("small, one write") << QByteArray("hello world") << QList<int>{};
        QTest::newRow("5 MiB in odd-sized writes")
            << randomBytes(5 * MiB, 1) << QList<int>{1, 7, 4093, 65537, 100003, 3};
    }
    void contentLengthBodyIsEchoedExactly() {
        QFETCH(QByteArray, body);
        QFETCH(QList<int>, writeSizes);
        RawClient client(port());
        client.socket().setSocketOption(QAbstractSocket::LowDelayOption, 1);
        client.send(postHead("/echo", {contentLength(body.size())}));
        sendInPieces(client, body, writeSizes);
        const HttpResponse response = client.read();
        QCOMPARE(response.status, 200);
        QCOMPARE(response.body.size(), body.size());
        QVERIFY(response.body == body);
        if (body.size() > MiB) // delivered as it arrives, not buffered whole by the engine
            QVERIFY(response.header("X-Body-Pieces").toInt() > 1);
    }

    void chunkedBodyIsEchoedExactly_data() {
        QTest::addColumn<QByteArray>("encoded");
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<QList<int>>("writeSizes");
        const QByteArray withExtensions = "4;name=value\r\nWiki\r\n"
                                          "5\r\npedia\r\n"
                                          "E ; ext=\"quoted;\"\r\n in\r\n\r\nchunks.\r\n"
                                          "0;last\r\n"
                                          "X-Checksum: abc\r\n"
                                          "X-Other: 1\r\n"
                                          "\r\n";
        const QByteArray wikipedia = "Wikipedia in\r\n\r\nchunks.";
        QTest::newRow("extensions and trailers, one write")
            << withExtensions << wikipedia << QList<int>{};
        QTest::newRow("extensions and trailers, byte by byte")
            << withExtensions << wikipedia << QList<int>{1};
        const QByteArray large = randomBytes(2 * MiB, 2);
        QTest::newRow("2 MiB in many chunks, odd writes")
            << chunked(large, {1, 70000, 4096, 13, 300000}) << large
            << QList<int>{5, 65536, 8191, 100001};
        QTest::newRow("upper-case hex sizes")
            << QByteArray("A\r\n0123456789\r\n1F\r\n" + QByteArray(31, 'x') + "\r\n0\r\n\r\n")
            << QByteArray("0123456789" + QByteArray(31, 'x')) << QList<int>{};
    }
    void chunkedBodyIsEchoedExactly() {
        QFETCH(QByteArray, encoded);
        QFETCH(QByteArray, body);
        QFETCH(QList<int>, writeSizes);
        RawClient client(port());
        client.socket().setSocketOption(QAbstractSocket::LowDelayOption, 1);
        client.send(postHead("/echo", {"Transfer-Encoding: chunked"}));
        sendInPieces(client, encoded, writeSizes);
        const HttpResponse response = client.read();
        QCOMPARE(response.status, 200);
        QCOMPARE(response.body.size(), body.size());
        QVERIFY(response.body == body);
        // The trailers were consumed: the connection serves the next request.
        client.send(RawClient::request("test", "/hello"));
        QCOMPARE(client.read().body, QByteArray("hello\n"));
    }

    void malformedChunkedBodyIs400AndCloses_data() {
        QTest::addColumn<QByteArray>("encoded");
        QTest::newRow("size not hex") << QByteArray("zz\r\nhello\r\n0\r\n\r\n");
        QTest::newRow("negative size") << QByteArray("-5\r\nhello\r\n0\r\n\r\n");
        QTest::newRow("data longer than its size") << QByteArray("5\r\nhelloXX\r\n0\r\n\r\n");
        QTest::newRow("bare LF line endings") << QByteArray("5\nhello\n0\n\n");
        QTest::newRow("size of 17 hex digits")
            << QByteArray("10000000000000000\r\nhello\r\n0\r\n\r\n");
        QTest::newRow("size line over 4 KiB")
            << QByteArray("5;" + QByteArray(5000, 'e') + "\r\nhello\r\n0\r\n\r\n");
        QTest::newRow("trailers over 8 KiB") << QByteArray(
            "5\r\nhello\r\n0\r\n" +
            QByteArray("X-Pad: " + QByteArray(1000, 'p') + "\r\n").repeated(10) + "\r\n");
    }
    void malformedChunkedBodyIs400AndCloses() {
        QFETCH(QByteArray, encoded);
        RawClient client(port());
        client.send(postHead("/echo", {"Transfer-Encoding: chunked"}) + encoded);
        const HttpResponse response = client.read();
        QCOMPARE(response.status, 400);
        QVERIFY(client.waitForClose());
        expectServing();
    }

    // --- Expect: 100-continue -------------------------------------------------------------

    void expectContinueIsAnsweredBeforeTheBody() {
        RawClient client(port());
        client.send(postHead("/echo", {contentLength(11), "Expect: 100-continue"}));
        const HttpResponse interim = client.read();
        QCOMPARE(interim.statusLine, QByteArray("HTTP/1.1 100 Continue"));
        QVERIFY(client.buffer().isEmpty()); // nothing but the interim response yet
        client.send("hello world");
        const HttpResponse response = client.read();
        QCOMPARE(response.status, 200);
        QCOMPARE(response.body, QByteArray("hello world"));
        client.send(RawClient::request("test", "/hello"));
        QCOMPARE(client.read().body, QByteArray("hello\n"));
    }

    void refusalWithExpectSkipsContinueAndCloses() {
        RawClient client(port());
        client.send(postHead("/refuse", {contentLength(MiB), "Expect: 100-continue"}));
        const HttpResponse response = client.read();
        QCOMPARE(response.status, 403);
        QVERIFY(client.waitForClose());
        QVERIFY(client.buffer().isEmpty());
    }

    void refusedBodyIsNeverParsedAsRequests() {
        // A body that looks like requests, sent right behind the head: the handler refuses
        // it unread, so the connection must close rather than parse it.
        const QByteArray body = RawClient::request("test", "/smuggled").repeated(20000);
        RawClient client(port());
        client.send(postHead("/refuse", {contentLength(body.size())}) + body);
        const HttpResponse response = client.read();
        QCOMPARE(response.status, 403);
        QCOMPARE(response.header("Connection"), QByteArray("close"));
        QVERIFY(client.waitForClose());
        QVERIFY(client.buffer().isEmpty());
        QCOMPARE(m_handler.paths(), QList<QByteArray>{"/refuse"});
    }

    void refusalSurvivesTheBodyStillArriving() {
        // The client sends body bytes after the 403 arrived but before it read it. A server
        // that closed outright would answer them with a reset, which on many stacks destroys
        // the unread response; a lingering close drops them and ends the stream cleanly.
        SocketClient client(port());
        QVERIFY(client.send(postHead("/refuse", {contentLength(10 * MiB)})));
        QVERIFY(client.waitUntil(POLLIN)); // the response is there, unread
        QVERIFY(client.send(QByteArray(256 * KiB, 'b')));
        QVERIFY(!client.waitUntil(POLLERR, 300)); // no reset
        const QByteArray response = client.readResponse();
        QVERIFY2(response.startsWith("HTTP/1.1 403 Forbidden\r\n"), response.constData());
        QVERIFY(response.endsWith("\r\n\r\nrefused\n"));
        char byte = 0;
        QCOMPARE(client.read(&byte, 1), 0); // end of stream, not ECONNRESET
    }

    // --- Body limits ----------------------------------------------------------------------

    void contentLengthOverLimitIs413BeforeTheBody_data() {
        QTest::addColumn<QList<QByteArray>>("extraHeaders");
        QTest::newRow("plain") << QList<QByteArray>{};
        QTest::newRow("expecting 100-continue") << QList<QByteArray>{"Expect: 100-continue"};
    }
    void contentLengthOverLimitIs413BeforeTheBody() {
        QFETCH(QList<QByteArray>, extraHeaders);
        RawClient client(port());
        client.send(postHead("/echo?limit=1000",
                             QList<QByteArray>{contentLength(10 * MiB)} + extraHeaders));
        const HttpResponse response = client.read(); // no body byte was sent
        QCOMPARE(response.status, 413);
        QVERIFY(client.waitForClose());
        QVERIFY(client.buffer().isEmpty()); // in particular no 100 Continue after it
        expectServing();
    }

    void chunkedBodyGrowingOverLimitIs413() {
        RawClient client(port());
        client.send(postHead("/echo?limit=1000", {"Transfer-Encoding: chunked"}) +
                    chunked(QByteArray(1600, 'b'), {400}));
        const HttpResponse response = client.read();
        QCOMPARE(response.status, 413);
        QVERIFY(client.waitForClose());
        expectServing();
    }

    void bodyOfExactlyTheLimitIsAccepted() {
        const QByteArray body(1000, 'l');
        RawClient client(port());
        client.send(postHead("/echo?limit=1000", {contentLength(body.size())}) + body);
        QCOMPARE(client.read().body, body);
        client.send(postHead("/echo?limit=1000", {"Transfer-Encoding: chunked"}) +
                    chunked(body, {300}));
        QCOMPARE(client.read().body, body);
    }

    // --- Keep-alive and pipelining ----------------------------------------------------------

    void keepAliveAfterAFullyReadBody() {
        RawClient client(port());
        client.send(postHead("/echo", {contentLength(5)}) + "first");
        const HttpResponse first = client.read();
        QCOMPARE(first.body, QByteArray("first"));
        QVERIFY(!first.hasHeader("Connection"));
        client.send(postHead("/echo", {"Transfer-Encoding: chunked"}) + chunked("second", {3}));
        QCOMPARE(client.read().body, QByteArray("second"));
        client.send(postHead("/echo", {contentLength(5)}) + "third");
        QCOMPARE(client.read().body, QByteArray("third"));
        QVERIFY(client.isConnected());
    }

    void pipelinedRequestAfterABodyIsAnsweredInOrder() {
        const QByteArray body = RawClient::request("test", "/smuggled");
        RawClient client(port());
        client.send(postHead("/echo", {contentLength(body.size())}) + body +
                    postHead("/echo", {"Transfer-Encoding: chunked"}) + chunked(body, {7}) +
                    RawClient::request("test", "/hello", {"Connection: close"}));
        QCOMPARE(client.read().body, body);
        QCOMPARE(client.read().body, body);
        QCOMPARE(client.read().body, QByteArray("hello\n"));
        QVERIFY(client.waitForClose());
        QVERIFY(client.buffer().isEmpty());
        QCOMPARE(m_handler.paths(), (QList<QByteArray>{"/echo", "/echo", "/hello"}));
    }

    void longPipelinedBurstIsAnsweredCompletely() {
        // Far more pipelined requests than one pass of the connection's loop handles, sent in
        // one go by one thread while this one reads: every one is answered.
        constexpr int count = 20000;
        SocketClient client(port());
        QVERIFY(client.send(RawClient::request("t", "/hello")));
        const QByteArray first = client.readResponse();
        QVERIFY(first.endsWith("\r\n\r\nhello\n"));
        std::jthread sender(
            [&client] { client.send(RawClient::request("t", "/hello").repeated(count - 1)); });
        // Every response has the same length (the Date header is fixed-width).
        const qint64 expected = qint64(count - 1) * first.size();
        QByteArray responses;
        std::vector<char> buffer(static_cast<size_t>(MiB));
        qint64 n = 0;
        while (responses.size() < expected && (n = client.read(buffer.data(), MiB, 3000)) > 0)
            responses.append(buffer.data(), n);
        if (responses.size() != expected)
            client.shutdown(); // frees the sender if the server stopped reading
        QCOMPARE(responses.size(), expected);
        QCOMPARE(responses.count("HTTP/1.1 200 OK\r\n"), count - 1);
        QCOMPARE(responses.count("\r\n\r\nhello\n"), count - 1);
    }

    // --- Timeouts -------------------------------------------------------------------------

    void stalledBodyIsClosedAfterBodyTimeout() {
        ServerOptions options = testOptions();
        options.bodyTimeoutMs = 500;
        QVERIFY(startServer(options));
        RawClient client(port());
        QElapsedTimer timer;
        timer.start();
        client.send(postHead("/echo", {contentLength(100)}) + QByteArray(10, 's'));
        QVERIFY(client.waitForClose(3000));
        QVERIFY2(timer.elapsed() >= 400, qPrintable(QString::number(timer.elapsed())));
        QVERIFY2(timer.elapsed() < 2000, qPrintable(QString::number(timer.elapsed())));
        QTRY_COMPARE(m_server->connectionCount(), 0);
    }

    void slowButSteadyBodyIsNotTimedOut() {
        ServerOptions options = testOptions();
        options.bodyTimeoutMs = 500;
        QVERIFY(startServer(options));
        RawClient client(port());
        client.socket().setSocketOption(QAbstractSocket::LowDelayOption, 1);
        const QByteArray body = "0123456789";
        client.send(postHead("/echo", {contentLength(body.size() * 8)}));
        for (int i = 0; i < 8; ++i) { // 1.6 s in all, more than three body timeouts
            QTest::qWait(200);
            client.send(body);
        }
        const HttpResponse response = client.read();
        QCOMPARE(response.status, 200);
        QCOMPARE(response.body, body.repeated(8));
    }

    void bodyAbandonedMidwayClosesTheConnection() {
        RawClient client(port());
        client.send(postHead("/echo", {contentLength(1000)}) + QByteArray(100, 'a'));
        QTRY_COMPARE(m_server->connectionCount(), 1);
        QTRY_COMPARE(m_handler.paths().size(), 1);
        client.socket().disconnectFromHost();
        // The body timeout is 30 s: the connection goes because the client did.
        QTRY_COMPARE_WITH_TIMEOUT(m_server->connectionCount(), 0, 3000);
    }

    // --- Streamed responses ---------------------------------------------------------------

    void slowReaderHoldsBackTheStream() {
        constexpr qint64 size = 64 * MiB;
        SocketClient client(port(), int(128 * KiB));
        QVERIFY(client.isConnected());
        QVERIFY(client.send(RawClient::request("test", "/count?n=" + QByteArray::number(size))));
        const QByteArray head = client.readHead();
        QVERIFY2(head.startsWith("HTTP/1.1 200 OK\r\n"), head.constData());
        QVERIFY(head.contains("\r\nContent-Length: 67108864\r\n"));
        const std::shared_ptr<StreamStats> stats = m_handler.lastStream();
        QVERIFY(stats);

        // 64 KiB every 10 ms for a second, then as fast as it goes. Before every read, the
        // bytes pulled from the source but not yet read can only be in the engine's queue or
        // in the two kernel socket buffers.
        qint64 maxAhead = 0;
        QElapsedTimer timer;
        timer.start();
        const qint64 received = readPattern(client, size, 64 * KiB, [&](qint64 soFar) {
            const bool isSlow = timer.elapsed() < 1000;
            if (isSlow)
                std::this_thread::sleep_for(std::chrono::milliseconds(10));
            maxAhead = std::max(maxAhead, stats->produced.load() - soFar);
        });
        QCOMPARE(received, size);
        const qint64 kernelBuffers = tcpSendBufferMax() + client.receiveBufferBytes();
        const qint64 engineAllowance = MiB;
        qInfo("pulled ahead of the reader at most %lld KiB (kernel buffers up to %lld KiB)",
              maxAhead / KiB, kernelBuffers / KiB);
        QVERIFY2(maxAhead <= kernelBuffers + engineAllowance,
                 qPrintable(QString::number(maxAhead)));
        QTRY_VERIFY(stats->isReleased.load());

        // The connection is still good for the next request.
        QVERIFY(client.send(RawClient::request("test", "/hello")));
        QVERIFY(client.readResponse().endsWith("\r\n\r\nhello\n"));
    }

    void failingStreamEndsTheConnectionEarly() {
        // The status line is long gone when the source fails: closing the connection before
        // Content-Length bytes is the only way left to tell the client.
        constexpr qint64 size = 8 * MiB;
        SocketClient client(port());
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "^Streaming a response failed: .*on purpose")));
        QVERIFY(client.send(RawClient::request("test", "/count?n=" + QByteArray::number(size) +
                                                           "&failAt=" + QByteArray::number(MiB))));
        QVERIFY(client.readHead().startsWith("HTTP/1.1 200"));
        const qint64 received = readPattern(client, size, MiB, [](qint64) {});
        QVERIFY2(received <= MiB, qPrintable(QString::number(received)));
        char byte = 0;
        QCOMPARE(client.read(&byte, 1), 0);
        QTRY_COMPARE(m_server->connectionCount(), 0);
        QVERIFY(m_handler.lastStream()->isReleased.load());
    }

    void clientLeavingMidStreamReleasesTheSource() {
        auto client = std::make_unique<SocketClient>(port(), int(128 * KiB));
        QVERIFY(
            client->send(RawClient::request("test", "/count?n=" + QByteArray::number(1 << 30))));
        QVERIFY(client->readHead().startsWith("HTTP/1.1 200"));
        QCOMPARE(readPattern(*client, 4 * MiB, 256 * KiB, [](qint64) {}), 4 * MiB);
        const std::shared_ptr<StreamStats> stats = m_handler.lastStream();
        client.reset(); // closed with unread bytes: the server's next write fails
        QTRY_COMPARE(m_server->connectionCount(), 0);
        QVERIFY(stats->isReleased.load());
        QVERIFY(stats->produced.load() < 64 * MiB);
    }

    void halfClosedClientStillGetsTheWholeResponse() {
        // Like `nc -N`: the client ends its side after the request and keeps reading.
        constexpr qint64 size = 4 * MiB;
        SocketClient client(port());
        QVERIFY(client.send(RawClient::request("test", "/count?n=" + QByteArray::number(size))));
        client.finishSending();
        QVERIFY(client.readHead().startsWith("HTTP/1.1 200"));
        QCOMPARE(readPattern(client, size, MiB, [](qint64) {}), size);
        char byte = 0;
        QCOMPARE(client.read(&byte, 1), 0);

        SocketClient poster(port());
        QVERIFY(poster.send(QByteArray(postHead("/echo", {contentLength(5)}) + "hello")));
        poster.finishSending();
        QVERIFY(poster.readResponse().endsWith("\r\n\r\nhello"));
        QCOMPARE(poster.read(&byte, 1), 0);
        QTRY_COMPARE(m_server->connectionCount(), 0);
    }

    void clientThatNeverReadsIsClosedAfterSendTimeout() {
        ServerOptions options = testOptions();
        options.sendTimeoutMs = 500;
        QVERIFY(startServer(options));
        constexpr qint64 size = qint64(1) << 30;
        SocketClient client(port(), int(64 * KiB));
        QVERIFY(client.send(RawClient::request("test", "/count?n=" + QByteArray::number(size))));
        QTRY_VERIFY(m_handler.lastStream());
        const std::shared_ptr<StreamStats> stats = m_handler.lastStream();
        QTRY_COMPARE_WITH_TIMEOUT(m_server->connectionCount(), 0, 5000);
        QVERIFY(stats->isReleased.load());
        QVERIFY2(stats->produced.load() < 64 * MiB, qPrintable(QString::number(stats->produced)));

        // What the kernel had buffered still arrives, then the stream ends early: the only
        // way to tell the client that the body is incomplete.
        QVERIFY(!client.readHead().isEmpty());
        std::vector<char> buffer(static_cast<size_t>(MiB));
        qint64 received = 0;
        qint64 n = 0;
        while ((n = client.read(buffer.data(), MiB)) > 0)
            received += n;
        QCOMPARE(n, 0); // end of stream, not a timeout
        QVERIFY(received < size);
    }

    // --- Connections ----------------------------------------------------------------------

    void manyConcurrentKeepAliveClients() {
        constexpr int clientCount = 500;
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int i = 0; i < clientCount; ++i) {
            clients.push_back(std::make_unique<RawClient>(port()));
            QVERIFY(clients.back()->isConnected());
        }
        QTRY_COMPARE(m_server->connectionCount(), clientCount);
        for (int round = 0; round < 3; ++round) {
            for (int i = 0; i < clientCount; ++i) {
                const QByteArray body =
                    "client " + QByteArray::number(i) + " round " + QByteArray::number(round);
                clients[size_t(i)]->send(postHead("/echo", {contentLength(body.size())}) + body);
            }
            for (int i = 0; i < clientCount; ++i) {
                const QByteArray body =
                    "client " + QByteArray::number(i) + " round " + QByteArray::number(round);
                const HttpResponse response = clients[size_t(i)]->read();
                QCOMPARE(response.status, 200);
                QCOMPARE(response.body, body);
            }
        }
        QCOMPARE(m_server->connectionCount(), clientCount); // all kept alive
        clients.clear();
        QTRY_COMPARE(m_server->connectionCount(), 0);
    }

    void connectionCapAnswers503() {
        ServerOptions options = testOptions();
        options.maxConnections = 5;
        QVERIFY(startServer(options));
        std::vector<std::unique_ptr<RawClient>> idle;
        for (int i = 0; i < 5; ++i)
            idle.push_back(std::make_unique<RawClient>(port()));
        QTRY_COMPARE(m_server->connectionCount(), 5);

        RawClient sixth(port());
        const HttpResponse refused = sixth.read();
        QCOMPARE(refused.status, 503);
        QCOMPARE(refused.header("Retry-After"), QByteArray("5"));
        QCOMPARE(refused.header("Connection"), QByteArray("close"));
        QVERIFY(!refused.body.isEmpty());
        QVERIFY(sixth.waitForClose());
        QCOMPARE(m_server->connectionCount(), 5);

        idle.pop_back();
        QTRY_COMPARE(m_server->connectionCount(), 4);
        expectServing();
        // The capped server still answers on the connections it holds.
        idle.front()->send(RawClient::request("test", "/hello"));
        QCOMPARE(idle.front()->read().status, 200);
    }

    void clientSendingAtOnceOverCapGets503WithoutReset() {
        // Browsers send the request right after connecting. Closing such a connection with its
        // request unread makes the kernel send a reset, which on many stacks destroys the
        // unread 503; the client must see the 503 and then a clean end of the stream.
        ServerOptions options = testOptions();
        options.maxConnections = 1;
        options.workers = 1; // /busy below holds the one that accepts
        QVERIFY(startServer(options));
        RawClient holder(port());
        QTRY_COMPARE(m_server->connectionCount(), 1);
        holder.send(RawClient::request("test", "/busy"));
        QTRY_VERIFY(m_handler.paths().contains("/busy"));
        // While the worker is busy, the kernel completes the handshake and queues the request.
        SocketClient eager(port());
        QVERIFY(eager.send(RawClient::request("test", "/hello")));
        QCOMPARE(holder.read().status, 200);
        const QByteArray response = eager.readResponse();
        QVERIFY2(response.startsWith("HTTP/1.1 503 "), response.constData());
        char byte = 0;
        QCOMPARE(eager.read(&byte, 1), 0); // end of stream, not ECONNRESET
    }

    // A body arriving as fast as the worker reads it (a large deploy over loopback) does not
    // keep the worker's other connections waiting until it ends: each pass reads a bounded
    // share of it, and the other connections' events are taken between passes.
    void aFastUploadDoesNotStarveTheWorker() {
        ServerOptions options = testOptions();
        options.workers = 1;
        QVERIFY(startServer(options));
        RawClient other(port());
        other.send(RawClient::request("test", "/hello"));
        QCOMPARE(other.read().status, 200);

        constexpr qint64 size = qint64(4) << 30;
        SocketClient uploader(port());
        std::thread sender([&] {
            const QByteArray block(int(MiB), 'x');
            bool ok = uploader.send(postHead("/sink?usPerMiB=20000", {contentLength(size)}));
            for (qint64 sent = 0; ok && sent < size; sent += block.size())
                ok = uploader.send(block);
        });
        QTRY_VERIFY(m_handler.sunk() > SinkFastBytes + 16 * MiB);
        // Each pass of the upload now takes about 20 ms; the other client waits for one.
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < 20; ++i) {
            other.send(RawClient::request("test", "/hello"));
            QCOMPARE(other.read().status, 200);
        }
        const qint64 elapsedMs = timer.elapsed();
        const qint64 sunkWhenAnswered = m_handler.sunk();
        uploader.shutdown(); // no need to send the rest
        sender.join();
        QVERIFY2(sunkWhenAnswered < size, "the upload ended before the other client was served");
        // Resumptions piling up (one per arrival of upload bytes) made this 30 s.
        QVERIFY2(elapsedMs < 5000, qPrintable(QString::number(elapsedMs)));
    }

    // --- The owner's connections -------------------------------------------------------------

    // The only accepting worker is held by a user's request, as when user traffic keeps every
    // worker busy: the owner's fresh connection is still accepted and answered at once (by
    // the priority worker), and a user's fresh connection it accepted meanwhile is handed to
    // the accepting worker and answered there once it is free again.
    void ownerGetsInWhileEveryWorkerIsBusy() {
        ServerOptions options = testOptions();
        options.workers = 1;
        options.isPriorityHost = [](QByteArrayView host) { return host == "owner"; };
        QVERIFY(startServer(options));
        RawClient holder(port());
        holder.send(RawClient::request("test", "/hold"));
        QTRY_VERIFY(m_handler.isHolding());

        for (int i = 0; i < 5; ++i) {
            RawClient owner(port());
            owner.send(RawClient::request("owner", "/hello"));
            const HttpResponse response = owner.read(false, 5000);
            QCOMPARE(response.status, 200);
            QCOMPARE(response.body, QByteArray("hello\n"));
        }
        QVERIFY(m_handler.isHolding()); // answered while the accepting worker was held

        RawClient user(port());
        user.send(RawClient::request("test", "/hello"));
        QTest::qWait(200);
        QVERIFY(m_handler.isHolding());
        m_handler.releaseHold();
        QCOMPARE(holder.read().status, 200);
        const HttpResponse answered = user.read();
        QCOMPARE(answered.status, 200);
        QCOMPARE(answered.body, QByteArray("hello\n"));
        // Once the worker is free again it accepts as before, and keep-alive connections moved
        // between workers go on serving.
        expectServing();
        user.send(RawClient::request("test", "/hello"));
        QCOMPARE(user.read().status, 200);
        QTRY_COMPARE(m_server->connectionCount(), 2); // the holder and the user
    }

    // Over TLS the worker is chosen from the ClientHello's server name, before the handshake's
    // costly part: the owner's handshake completes while the only accepting worker is held,
    // and a user's handshake the priority worker took waits for the accepting worker (it was
    // moved there), then completes and is answered.
    void tlsConnectionsMoveAtTheirServerName() {
        tls::CertificateRequest request;
        request.commonName = QStringLiteral("fallback");
        request.dnsNames = {QStringLiteral("owner"), QStringLiteral("user")};
        auto cert = tls::makeSelfSigned(request);
        QVERIFY(cert);
        tls::CertCache cache;
        cache.setFallback(*cert);
        tls::TlsContext context(cache);
        QVERIFY(context.init());
        ServerOptions options = testOptions();
        options.workers = 1;
        options.tls = context.handle();
        options.isPriorityHost = [](QByteArrayView host) { return host == "owner"; };
        QVERIFY(startServer(options));

        const auto connect = [this](QSslSocket &socket, const QString &name) {
            QObject::connect(&socket, &QSslSocket::sslErrors, &socket,
                             [&socket] { socket.ignoreSslErrors(); });
            socket.setPeerVerifyMode(QSslSocket::VerifyNone);
            socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port(), name);
        };
        const auto get = [](QSslSocket &socket, const QByteArray &host, const QByteArray &path) {
            socket.write(RawClient::request(host, path));
            QByteArray answer;
            QElapsedTimer timer;
            timer.start();
            while (!answer.contains("\r\n\r\n") && timer.elapsed() < 10000) {
                if (socket.waitForReadyRead(200))
                    answer += socket.readAll();
            }
            return answer;
        };

        QSslSocket holder;
        connect(holder, QStringLiteral("user"));
        QVERIFY(holder.waitForEncrypted(10000));
        holder.write(RawClient::request("user", "/hold"));
        QTRY_VERIFY(m_handler.isHolding());

        QSslSocket owner;
        connect(owner, QStringLiteral("owner"));
        QVERIFY(owner.waitForEncrypted(5000));
        QVERIFY(get(owner, "owner", "/hello").startsWith("HTTP/1.1 200 "));

        QSslSocket user;
        connect(user, QStringLiteral("user"));
        QVERIFY(!user.waitForEncrypted(300)); // its handshake waits for the held worker
        QVERIFY(m_handler.isHolding());
        m_handler.releaseHold();
        QVERIFY(user.waitForEncrypted(5000));
        QVERIFY(get(user, "user", "/hello").startsWith("HTTP/1.1 200 "));
        QVERIFY(get(holder, "user", "/hello").contains("held"));
    }

    // --- Graceful stop --------------------------------------------------------------------

    void stopLetsAnInFlightResponseFinish() {
        ServerOptions options = testOptions();
        options.workers = 1; // the idle connection below shows when stop() reached the worker
        QVERIFY(startServer(options));
        RawClient idle(port());
        constexpr qint64 size = 32 * MiB;
        auto client = std::make_unique<SocketClient>(port(), int(128 * KiB));
        QVERIFY(client->send(RawClient::request("test", "/count?n=" + QByteArray::number(size))));
        QVERIFY(client->readHead().startsWith("HTTP/1.1 200"));
        QTRY_COMPARE(m_server->connectionCount(), 2);

        std::jthread stopper([this] { m_server->stop(); });
        bool isStopping = false;
        const qint64 received = readPattern(*client, size, 64 * KiB, [&](qint64 soFar) {
            if (soFar >= MiB && !isStopping)
                isStopping = idle.waitForClose(5000); // stop() closed the idle connection
        });
        char byte = 0;
        const qint64 afterBody = client->read(&byte, 1);
        client.reset(); // lets the lingering close end, so stop() can return
        stopper.join();
        QVERIFY(isStopping);
        QCOMPARE(received, size);
        QCOMPARE(afterBody, 0); // the server closed after the response
        QCOMPARE(m_server->connectionCount(), 0);
        QVERIFY(!SocketClient(port()).isConnected());
    }

    void responseFinishedDuringStopSaysConnectionClose() {
        ServerOptions options = testOptions();
        options.workers = 1;
        QVERIFY(startServer(options));
        RawClient idle(port());
        RawClient client(port());
        client.send(postHead("/echo", {contentLength(20)}) + "first half");
        QTRY_COMPARE(m_handler.paths().size(), 1); // reading the body
        QTRY_COMPARE(m_server->connectionCount(), 2);

        std::jthread stopper([this] { m_server->stop(); });
        QVERIFY(idle.waitForClose()); // stop() reached the worker
        client.send("secondhalf");
        const HttpResponse response = client.read();
        QCOMPARE(response.status, 200);
        QCOMPARE(response.body, QByteArray("first halfsecondhalf"));
        // The server closes after this response, so it must say so: a client that believes
        // the connection persists may send its next request into the closing socket.
        QCOMPARE(response.header("Connection"), QByteArray("close"));
        QVERIFY(client.waitForClose());
        stopper.join();
    }
};

QTEST_GUILESS_MAIN(TestHttpServer)
#include "tst_httpserver.moc"
