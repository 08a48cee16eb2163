// The guard, from the outside: the real `fazt` with its breakers tripped for real (a flood of
// connections, a full filesystem, a memory limit below what the process uses, a database too
// large for the memory), health and metrics, limits with the force rule, recalibration under
// traffic, and `fazt probe`/`fazt simulate` agreeing with each other.

#include "archive/archivewriter.h"
#include "config/config.h"
#include "db/database.h"
#include "support/faztprocess.h"
#include "support/serversetup.h"
#include "system/probe.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <arpa/inet.h>
#include <atomic>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace fazt;
using fazt::test::FaztProcess;
using fazt::test::HttpResponse;
using fazt::test::jsonBody;
using fazt::test::RawClient;

namespace {

// Runs `fazt ARGS`; returns its standard output (standard error in `errors`).
QString runFazt(const QStringList &args,
                const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment(),
                int *exitCode = nullptr, QString *errors = nullptr) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(qEnvironmentVariable("FAZT_BIN"), args);
    p.waitForFinished(60000);
    if (exitCode)
        *exitCode = p.exitCode();
    if (errors)
        *errors = QString::fromUtf8(p.readAllStandardError());
    return QString::fromUtf8(p.readAllStandardOutput());
}

// A fake /proc + /sys tree for FAZT_PROBE_ROOT: a cgroup v2 memory limit that a test changes.
class FakeMachine {
public:
    FakeMachine() {
        write("proc/meminfo", "MemTotal:       16777216 kB\n");
        write("proc/self/cgroup", "0::/fazt.service\n");
        write("sys/devices/system/cpu/online", "0-1\n");
        setMemory(qint64(4) << 30);
    }
    void setMemory(qint64 bytes) {
        write("sys/fs/cgroup/fazt.service/memory.max", QByteArray::number(bytes));
    }
    void setCpuMax(const QByteArray &line) { write("sys/fs/cgroup/fazt.service/cpu.max", line); }
    QString root() const { return m_dir.path(); }

private:
    void write(const char *relative, const QByteArray &content) {
        const QString path = m_dir.filePath(QLatin1String(relative));
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile f(path);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(content);
    }
    QTemporaryDir m_dir;
};

// A small site as a tar.gz, packed by the same code `fazt deploy` uses.
// `noiseBytes` of incompressible data in a second file make it a large upload.
QByteArray siteArchive(const QByteArray &marker, int noiseBytes = 0) {
    QTemporaryDir dir;
    QFile page(dir.filePath(QStringLiteral("site/index.html")));
    QDir().mkpath(dir.filePath(QStringLiteral("site")));
    if (!page.open(QIODevice::WriteOnly))
        return {};
    page.write("<h1>" + marker + "</h1>");
    page.close();
    if (noiseBytes > 0) {
        QFile noise(dir.filePath(QStringLiteral("site/noise.bin")));
        if (!noise.open(QIODevice::WriteOnly))
            return {};
        QByteArray bytes(noiseBytes, Qt::Uninitialized);
        quint32 state = 2463534242u;
        for (char &c : bytes) { // xorshift: does not compress
            state ^= state << 13;
            state ^= state >> 17;
            state ^= state << 5;
            c = char(state);
        }
        noise.write(bytes);
    }
    const QString out = dir.filePath(QStringLiteral("site.tar.gz"));
    if (!archive::packDirectory(dir.filePath(QStringLiteral("site")), out, {}))
        return {};
    QFile f(out);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

// Keep-alive GETs on one plain socket from another thread (Qt sockets belong to one thread).
class TrafficThread {
public:
    TrafficThread(quint16 port, QByteArray host, QByteArray path)
        : m_thread([this, port, host = std::move(host), path = std::move(path)] {
            run(port, host, path);
        }) {}
    ~TrafficThread() { stop(); }
    void stop() {
        m_stop = true;
        if (m_thread.joinable())
            m_thread.join();
    }
    int ok() const { return m_ok; }
    int failed() const { return m_failed; }
    QByteArray firstFailure() const { return m_firstFailure; }

private:
    void run(quint16 port, const QByteArray &host, const QByteArray &path) {
        const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
            m_failed = 1;
            m_firstFailure = "connect failed";
            ::close(fd);
            return;
        }
        const QByteArray request = "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n\r\n";
        QByteArray buffer;
        char chunk[65536];
        while (!m_stop) {
            if (::send(fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) !=
                request.size())
                break;
            // One response: the head, then Content-Length bytes.
            qsizetype headEnd = -1;
            qint64 length = -1;
            while (true) {
                headEnd = buffer.indexOf("\r\n\r\n");
                if (headEnd >= 0) {
                    const qsizetype at = buffer.left(headEnd).toLower().indexOf("content-length:");
                    length = at < 0 ? 0
                                    : buffer.mid(at + 15, buffer.indexOf('\r', at) - at - 15)
                                          .trimmed()
                                          .toLongLong();
                    if (buffer.size() >= headEnd + 4 + length)
                        break;
                }
                const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
                if (n <= 0) {
                    record("connection closed: " + buffer.left(200));
                    ::close(fd);
                    return;
                }
                buffer.append(chunk, n);
            }
            const QByteArray statusLine = buffer.left(buffer.indexOf('\r'));
            if (statusLine.startsWith("HTTP/1.1 200"))
                ++m_ok;
            else
                record(statusLine);
            buffer.remove(0, headEnd + 4 + length);
        }
        ::close(fd);
    }
    void record(const QByteArray &failure) {
        if (m_failed++ == 0)
            m_firstFailure = failure;
    }

    std::atomic<bool> m_stop{false};
    std::atomic<int> m_ok{0};
    std::atomic<int> m_failed{0};
    QByteArray m_firstFailure;
    std::thread m_thread;
};

} // namespace

class TestGuard : public QObject {
    Q_OBJECT

    // One server per test: its own database, token and environment.
    struct Server {
        QTemporaryDir dir;
        QString db;
        QByteArray token;
        std::unique_ptr<FaztProcess> process;
        FaztProcess &fazt() { return *process; }
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();

        bool init(const QString &databasePath = {}) {
            db = databasePath.isEmpty() ? dir.filePath(QStringLiteral("fazt.db")) : databasePath;
            int code = -1;
            const QString output = runFazt({QStringLiteral("server"), QStringLiteral("init"),
                                            QStringLiteral("--domain"), QStringLiteral("localhost"),
                                            QStringLiteral("--db"), db},
                                           env, &code);
            if (code != 0 || !output.contains(QLatin1String("limits stored"))) {
                qWarning("init failed: %s", qPrintable(output));
                return false;
            }
            token =
                runFazt({QStringLiteral("server"), QStringLiteral("create-token"),
                         QStringLiteral("--name"), QStringLiteral("t"), QStringLiteral("--scopes"),
                         QStringLiteral("admin"), QStringLiteral("--db"), db},
                        env)
                    .trimmed()
                    .split(u'\n')
                    .last()
                    .toLatin1();
            return token.startsWith("fazt_");
        }
        // A started server whose connection cap is `cap`.
        bool startWithCap(int cap) {
            return init() && start() &&
                   call("PUT", "/api/system/limits",
                        R"({"limits":{"maxConnections":)" + QByteArray::number(cap) + "}}")
                           .status == 200;
        }
        bool setPassword(const QByteArray &password) {
            const QString file = dir.filePath(QStringLiteral("password"));
            test::writeFile(file, password + '\n');
            int code = -1;
            runFazt({QStringLiteral("server"), QStringLiteral("set-credentials"),
                     QStringLiteral("--db"), db, QStringLiteral("--password-file"), file},
                    env, &code);
            return code == 0;
        }
        bool start() {
            process =
                std::make_unique<FaztProcess>(); // a fresh one: the old output has an old port
            return fazt().start(
                {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db},
                env);
        }
        HttpResponse call(const QByteArray &method, const QByteArray &path,
                          const QByteArray &body = QByteArray(),
                          const QList<QByteArray> &extra = {}) {
            RawClient client(fazt().port());
            QList<QByteArray> headers{"Authorization: Bearer " + token};
            headers += extra;
            if (!body.isNull())
                headers.append("Content-Length: " + QByteArray::number(body.size()));
            client.send(RawClient::request("admin.localhost", path, headers, method) + body);
            return client.read(method == "HEAD", 60000);
        }
        QJsonObject health() { return jsonBody(call("GET", "/api/system/health")); }
        bool isTripped(const QString &kind) {
            for (const QJsonValue &b : health().value(QStringLiteral("breakers")).toArray())
                if (b.toObject().value(QStringLiteral("kind")).toString() == kind)
                    return b.toObject().value(QStringLiteral("tripped")).toBool();
            return false;
        }
        qint64 trips(const QString &kind) {
            return qint64(jsonBody(call("GET", "/api/system/metrics"))
                              .value(QStringLiteral("breakers"))
                              .toObject()
                              .value(kind)
                              .toDouble(-1));
        }
        HttpResponse site(const QByteArray &path, const QByteArray &host = "demo.localhost") {
            return test::fetch(fazt().port(), host, path);
        }
        HttpResponse deploy(const QByteArray &marker, int noiseBytes = 0) {
            return call("POST", "/api/sites/demo/deploys", siteArchive(marker, noiseBytes),
                        {"Content-Type: application/gzip"});
        }
    };

private Q_SLOTS:
    void healthMetricsAndLiveness() {
        Server s;
        QVERIFY(s.init());
        QVERIFY(s.start());
        // Liveness on any host, even one that maps to nothing.
        for (const QByteArray host : {"nowhere.example", "demo.localhost", "admin.localhost"}) {
            const HttpResponse live = s.site("/health", host);
            QCOMPARE(live.status, 200);
            QCOMPARE(live.body, QByteArray("ok\n"));
        }
        QCOMPARE(s.site("/").status, 200);
        QCOMPARE(s.site("/nope").status, 404);

        const HttpResponse ready = s.call("GET", "/api/system/health");
        QCOMPARE(ready.status, 200);
        const QJsonObject health = jsonBody(ready);
        QCOMPARE(health.value(QStringLiteral("ready")).toBool(), true);
        QCOMPARE(health.value(QStringLiteral("maintenance")).toBool(), false);
        QVERIFY(!health.value(QStringLiteral("version")).toString().isEmpty());
        QVERIFY(health.value(QStringLiteral("uptimeSeconds")).isDouble());
        QStringList kinds;
        for (const QJsonValue &b : health.value(QStringLiteral("breakers")).toArray()) {
            kinds.append(b.toObject().value(QStringLiteral("kind")).toString());
            QCOMPARE(b.toObject().value(QStringLiteral("tripped")).toBool(), false);
        }
        QCOMPARE(kinds, (QStringList{QStringLiteral("connections"), QStringLiteral("memory"),
                                     QStringLiteral("disk"), QStringLiteral("maintenance")}));
        // Without credentials: refused.
        QCOMPARE(test::fetch(s.fazt().port(), "admin.localhost", "/api/system/health").status, 401);

        const QJsonObject metrics = jsonBody(s.call("GET", "/api/system/metrics"));
        for (const char *key : {"uptimeSeconds", "rssBytes", "limits", "cache", "writeQueue",
                                "connections", "breakers", "requests"})
            QVERIFY2(metrics.contains(QLatin1String(key)), key);
        QVERIFY(metrics.value(QStringLiteral("rssBytes")).toDouble() > 1 << 20);
        const QJsonObject cache = metrics.value(QStringLiteral("cache")).toObject();
        QVERIFY(cache.value(QStringLiteral("entries")).toDouble() >= 1); // the demo page
        QVERIFY(cache.value(QStringLiteral("budgetBytes")).toDouble() ==
                metrics.value(QStringLiteral("limits"))
                    .toObject()
                    .value(QStringLiteral("cacheBytes"))
                    .toDouble());
        QVERIFY(cache.value(QStringLiteral("hitRate")).toDouble() <= 1);
        const QJsonObject requests = metrics.value(QStringLiteral("requests")).toObject();
        QVERIFY(requests.value(QStringLiteral("total")).toDouble() >= 6);
        QVERIFY(requests.value(QStringLiteral("byClass"))
                    .toObject()
                    .value(QStringLiteral("4xx"))
                    .toDouble() >= 2);
        const QJsonObject latency = requests.value(QStringLiteral("latencySeconds")).toObject();
        const QJsonArray buckets = latency.value(QStringLiteral("buckets")).toArray();
        QCOMPARE(buckets.last().toObject().value(QStringLiteral("le")).toString(),
                 QStringLiteral("+Inf"));
        QCOMPARE(buckets.last().toObject().value(QStringLiteral("count")).toDouble(),
                 latency.value(QStringLiteral("count")).toDouble());
        double previous = 0;
        for (const QJsonValue &b : buckets) { // cumulative
            QVERIFY(b.toObject().value(QStringLiteral("count")).toDouble() >= previous);
            previous = b.toObject().value(QStringLiteral("count")).toDouble();
        }
        const QJsonObject connections = metrics.value(QStringLiteral("connections")).toObject();
        QVERIFY(connections.value(QStringLiteral("open")).toDouble() >= 1);
        QCOMPARE(connections.value(QStringLiteral("cap")).toDouble(),
                 metrics.value(QStringLiteral("limits"))
                     .toObject()
                     .value(QStringLiteral("maxConnections"))
                     .toDouble());

        // Prometheus text on the admin host (from this machine: no token needed), not on sites.
        const HttpResponse prometheus = test::fetch(s.fazt().port(), "admin.localhost", "/metrics");
        QCOMPARE(prometheus.status, 200);
        QVERIFY(prometheus.header("Content-Type").startsWith("text/plain; version=0.0.4"));
        for (const char *line :
             {"fazt_http_request_duration_seconds_bucket{le=\"+Inf\"}",
              "fazt_http_responses_total{class=\"2xx\"}", "fazt_cache_bytes ",
              "fazt_breaker_trips_total{kind=\"memory\"} 0", "fazt_connections_open ",
              "fazt_write_queue_depth ", "fazt_limit{name=\"cacheBytes\"}",
              "# TYPE fazt_uptime_seconds gauge"})
            QVERIFY2(prometheus.body.contains(line), line);
        QCOMPARE(s.site("/metrics").status, 404); // a site's own path, untouched

        const QJsonObject limits = jsonBody(s.call("GET", "/api/system/limits"));
        QVERIFY(limits.value(QStringLiteral("limits"))
                    .toObject()
                    .contains(QStringLiteral("cacheBytes")));
        QVERIFY(limits.value(QStringLiteral("safe"))
                    .toObject()
                    .contains(QStringLiteral("maxConnections")));
        QVERIFY(limits.value(QStringLiteral("probe"))
                    .toObject()
                    .value(QStringLiteral("memoryBytes"))
                    .toDouble() > 0);
        QCOMPARE(s.fazt().stop(), 0);
    }

    void limitsNeedForceAboveSafe() {
        Server s;
        QVERIFY(s.init());
        QVERIFY(s.start());
        const QJsonObject safe =
            jsonBody(s.call("GET", "/api/system/limits")).value(QStringLiteral("safe")).toObject();
        const qint64 tooMuch = qint64(safe.value(QStringLiteral("cacheBytes")).toDouble()) * 4;
        const QByteArray body = R"({"limits":{"cacheBytes":)" + QByteArray::number(tooMuch) + "}}";
        const HttpResponse refused = s.call("PUT", "/api/system/limits", body);
        QCOMPARE(refused.status, 409);
        QVERIFY2(refused.body.contains("force") && refused.body.contains("above the safe"),
                 refused.body.constData());
        QVERIFY(refused.body.contains("%")); // the estimated risk

        const HttpResponse forced =
            s.call("PUT", "/api/system/limits",
                   R"({"limits":{"cacheBytes":)" + QByteArray::number(tooMuch) +
                       R"(,"maxConnections":100},"force":true})");
        QCOMPARE(forced.status, 200);
        QVERIFY(!jsonBody(forced).value(QStringLiteral("warnings")).toArray().isEmpty());
        QCOMPARE(qint64(jsonBody(forced)
                            .value(QStringLiteral("limits"))
                            .toObject()
                            .value(QStringLiteral("cacheBytes"))
                            .toDouble()),
                 tooMuch);
        // Applied live...
        const QJsonObject metrics = jsonBody(s.call("GET", "/api/system/metrics"));
        QCOMPARE(qint64(metrics.value(QStringLiteral("cache"))
                            .toObject()
                            .value(QStringLiteral("budgetBytes"))
                            .toDouble()),
                 tooMuch);
        QCOMPARE(metrics.value(QStringLiteral("connections"))
                     .toObject()
                     .value(QStringLiteral("cap"))
                     .toInt(),
                 100);
        // ... a value at or below safe needs no force...
        QCOMPARE(
            s.call("PUT", "/api/system/limits", R"({"limits":{"maintenanceRatio":50}})").status,
            200);

        // ... and hostile input is refused with nothing changed.
        for (const QByteArray &bad :
             {QByteArray(R"({"limits":{"cacheBytes":-1}})"),
              QByteArray(R"({"limits":{"cacheBytes":"lots"}})"),
              QByteArray(R"({"limits":{"cacheBytes":1.5}})"),
              QByteArray(R"({"limits":{"usableMemoryBytes":1}})"),
              QByteArray(R"({"limits":{"nope":1}})"), QByteArray(R"({"limits":{}})"),
              QByteArray(R"({"limits":[]})"), QByteArray(R"({"limits":{"maxConnections":1e300}})"),
              QByteArray(R"({"limits":{"workerThreads":0}})"),
              QByteArray(R"({"limits":{"cacheBytes":1},"force":"yes"})"),
              QByteArray(R"({"limits":{"cacheBytes":1},"extra":1})"), QByteArray("[1,2]"),
              QByteArray("{"), QByteArray(R"({"limits":{"maintenanceRatio":0}})")}) {
            const HttpResponse r = s.call("PUT", "/api/system/limits", bad);
            QVERIFY2(r.status == 400, bad.constData());
        }
        QCOMPARE(s.call("PUT", "/api/system/limits", R"({"limits":{"cacheBytes":1}})", {}).status,
                 200);

        // They survive a restart: `server start` runs with the stored limits.
        QCOMPARE(s.fazt().stop(), 0);
        QVERIFY(s.start());
        const QJsonObject after = jsonBody(s.call("GET", "/api/system/limits"))
                                      .value(QStringLiteral("limits"))
                                      .toObject();
        QCOMPARE(after.value(QStringLiteral("cacheBytes")).toInt(), 1);
        QCOMPARE(after.value(QStringLiteral("maxConnections")).toInt(), 100);
        QCOMPARE(after.value(QStringLiteral("maintenanceRatio")).toInt(), 50);
        QCOMPARE(s.fazt().stop(), 0);
    }

    void connectionFloodGetsFast503() {
        Server s;
        QVERIFY(s.startWithCap(8));
        // The admin's keep-alive connection, opened first, then idle ones up to the cap.
        RawClient admin(s.fazt().port());
        const auto adminCall = [&](const QByteArray &path) {
            admin.send(
                RawClient::request("admin.localhost", path, {"Authorization: Bearer " + s.token}));
            return admin.read();
        };
        QCOMPARE(adminCall("/api/system/health").status, 200);
        // Earlier calls' connections are gone: only the admin's is open.
        QTRY_COMPARE_WITH_TIMEOUT(jsonBody(adminCall("/api/system/metrics"))
                                      .value(QStringLiteral("connections"))
                                      .toObject()
                                      .value(QStringLiteral("open"))
                                      .toInt(),
                                  1, 5000);
        std::vector<std::unique_ptr<RawClient>> idle;
        for (int i = 0; i < 7; ++i) {
            idle.push_back(std::make_unique<RawClient>(s.fazt().port()));
            idle.back()->send(RawClient::request("demo.localhost", "/"));
            QCOMPARE(idle.back()->read().status, 200); // accepted and kept alive
        }
        // Past the cap: an immediate 503 with Retry-After, and the connection is closed.
        for (int i = 0; i < 5; ++i) {
            RawClient extra(s.fazt().port());
            extra.send(RawClient::request("demo.localhost", "/"));
            const HttpResponse refused = extra.read();
            QCOMPARE(refused.status, 503);
            QCOMPARE(refused.header("Retry-After"), QByteArray("5"));
            QVERIFY(extra.waitForClose());
        }
        // The admin keeps answering on its connection, and readiness says why it is not ready.
        QTRY_VERIFY_WITH_TIMEOUT(adminCall("/api/system/health").status == 503, 5000);
        const QJsonObject health = jsonBody(adminCall("/api/system/health"));
        QCOMPARE(health.value(QStringLiteral("ready")).toBool(), false);
        bool found = false;
        for (const QJsonValue &b : health.value(QStringLiteral("breakers")).toArray()) {
            const QJsonObject breaker = b.toObject();
            if (breaker.value(QStringLiteral("kind")).toString() == QLatin1String("connections")) {
                found = breaker.value(QStringLiteral("tripped")).toBool();
                QVERIFY(breaker.value(QStringLiteral("reason"))
                            .toString()
                            .contains(QLatin1String("cap is 8")));
            }
        }
        QVERIFY(found);
        QTRY_VERIFY_WITH_TIMEOUT(jsonBody(adminCall("/api/system/metrics"))
                                         .value(QStringLiteral("breakers"))
                                         .toObject()
                                         .value(QStringLiteral("connections"))
                                         .toInt() >= 5,
                                 5000);
        // Room again: new connections are served and readiness comes back.
        idle.clear();
        QTRY_COMPARE_WITH_TIMEOUT(s.site("/").status, 200, 5000);
        QTRY_VERIFY_WITH_TIMEOUT(adminCall("/api/system/health").status == 200, 10000);
        QCOMPARE(s.fazt().stop(), 0);
    }

    // The cockpit rule at the connection cap: user connections hold every place, and the owner
    // still gets in on fresh connections (from the reserve past the cap), while users get the
    // 503; idle sockets past the cap cannot keep the reserve from the admin.
    void adminGetsInPastTheConnectionCap() {
        Server s;
        QVERIFY(s.startWithCap(16));
        // User connections up to the cap (however many earlier calls still hold): kept alive
        // until one is refused.
        std::vector<std::unique_ptr<RawClient>> users;
        // Opens user connections, kept alive, until one is refused; returns that answer.
        const auto fillToCap = [&] {
            for (;;) {
                auto user = std::make_unique<RawClient>(s.fazt().port());
                user->send(RawClient::request("demo.localhost", "/"));
                HttpResponse answer = user->read();
                if (answer.status != 200 || users.size() > 40) {
                    if (!user->waitForClose())
                        answer.status = -answer.status; // the refused connection stayed open
                    return answer;
                }
                users.push_back(std::move(user));
            }
        };
        QCOMPARE(fillToCap().status, 503);
        QVERIFY(users.size() >= 15 && users.size() <= 17);
        for (int i = 0; i < 20; ++i) {
            QCOMPARE(s.call("GET", "/api/sites").status, 200);
            // (a place the admin's connection held a moment ago may be free again)
            const HttpResponse refused = fillToCap();
            QCOMPARE(refused.status, 503);
            QCOMPARE(refused.header("Retry-After"), QByteArray("5"));
        }
        QVERIFY(users.size() <= 17);
        // More sockets past the cap than the reserve holds, sending nothing: the oldest give
        // their places up to newer connections, and the admin's request gets through.
        std::vector<std::unique_ptr<RawClient>> silent;
        for (int i = 0; i < 80; ++i)
            silent.push_back(std::make_unique<RawClient>(s.fazt().port()));
        for (int i = 0; i < 5; ++i)
            QCOMPARE(s.call("GET", "/api/sites").status, 200);
        // A keep-alive admin connection opened past the cap keeps being served.
        {
            RawClient admin(s.fazt().port());
            for (int i = 0; i < 5; ++i) {
                admin.send(RawClient::request("admin.localhost", "/api/sites",
                                              {"Authorization: Bearer " + s.token}));
                QCOMPARE(admin.read().status, 200);
            }
            const QJsonObject connections = jsonBody(s.call("GET", "/api/system/metrics"))
                                                .value(QStringLiteral("connections"))
                                                .toObject();
            QVERIFY(connections.value(QStringLiteral("reserved")).toInt() >= 1);
            QVERIFY(connections.value(QStringLiteral("reserved")).toInt() <= 64);
        }
        silent.clear();
        users.clear();
        QTRY_COMPARE_WITH_TIMEOUT(s.site("/").status, 200, 5000);
        const auto connectionsNow = [&s] {
            return jsonBody(s.call("GET", "/api/system/metrics"))
                .value(QStringLiteral("connections"))
                .toObject();
        };
        QTRY_COMPARE_WITH_TIMEOUT(connectionsNow().value(QStringLiteral("reserved")).toInt(), 0,
                                  5000);
        // Everything closed but the metrics call's own connection (polled gently: each poll
        // is a connection of its own).
        int open = -1;
        for (int i = 0; i < 40 && open != 1; ++i, QTest::qWait(250))
            open = connectionsNow().value(QStringLiteral("open")).toInt();
        QCOMPARE(open, 1);
        QCOMPARE(s.fazt().stop(), 0);
    }

    void memoryPressureRefusesFillsAndServesHits() {
        FakeMachine machine;
        Server s;
        s.env.insert(QStringLiteral("FAZT_PROBE_ROOT"), machine.root());
        QVERIFY(s.init());
        QVERIFY(s.setPassword("cockpit password"));
        QVERIFY(s.start());
        QCOMPARE(s.site("/").status, 200); // cached now
        QVERIFY(s.isTripped(QStringLiteral("memory")) == false);

        // The machine shrinks below what the process uses: recalibrate sees it.
        machine.setMemory(16 << 20);
        const HttpResponse recalibrated = s.call("POST", "/api/system/recalibrate");
        QCOMPARE(recalibrated.status, 200);
        QCOMPARE(jsonBody(recalibrated)
                     .value(QStringLiteral("probe"))
                     .toObject()
                     .value(QStringLiteral("memoryBytes"))
                     .toInt(),
                 16 << 20);
        QTRY_VERIFY_WITH_TIMEOUT(s.isTripped(QStringLiteral("memory")), 5000);
        QCOMPARE(s.call("GET", "/api/system/health").status, 503);
        const QJsonObject metrics = jsonBody(s.call("GET", "/api/system/metrics"));
        QCOMPARE(qint64(metrics.value(QStringLiteral("cache"))
                            .toObject()
                            .value(QStringLiteral("budgetBytes"))
                            .toDouble()),
                 qint64(metrics.value(QStringLiteral("limits"))
                            .toObject()
                            .value(QStringLiteral("cacheBytes"))
                            .toDouble()) /
                     4);

        const HttpResponse hit = s.site("/");
        QCOMPARE(hit.status, 200); // from the cache
        QVERIFY(hit.body.contains("<"));
        const HttpResponse miss = s.site("/css/site.css");
        QCOMPARE(miss.status, 503);
        QCOMPARE(miss.header("Retry-After"), QByteArray("5"));
        QCOMPARE(s.deploy("small").status, 201); // small uploads cost little: still taken
        QCOMPARE(s.site("/").status, 503);       // (and the new page is not in the cache)
        const HttpResponse upload = s.deploy("refused", 256 << 10);
        QCOMPARE(upload.status, 503);
        QVERIFY(upload.body.contains("memory"));
        QCOMPARE(s.call("GET", "/api/sites").status, 200); // the admin API keeps answering
        const HttpResponse login =
            s.call("POST", "/api/login", R"({"username":"admin","password":"cockpit password"})",
                   {"Content-Type: application/json"});
        QCOMPARE(login.status, 200); // and so does the login
        QVERIFY(!login.header("Set-Cookie").isEmpty());
        QVERIFY(s.trips(QStringLiteral("memory")) >= 2);

        machine.setMemory(qint64(4) << 30);
        QCOMPARE(s.call("POST", "/api/system/recalibrate").status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(!s.isTripped(QStringLiteral("memory")), 5000);
        QVERIFY(s.site("/").body.contains("small")); // filled again
        QCOMPARE(s.deploy("accepted", 256 << 10).status, 201);
        QVERIFY(s.site("/").body.contains("accepted"));
        QCOMPARE(s.fazt().stop(), 0);
    }

    void diskGuardRefusesUploadsOnAFullFilesystem() {
        if (geteuid() != 0)
            QSKIP("Mounting a small tmpfs needs root; run the tests as root to cover the disk "
                  "guard.");
        QTemporaryDir mountPoint;
        const QByteArray target = QFile::encodeName(mountPoint.path());
        if (::mount("tmpfs", target.constData(), "tmpfs", 0, "size=24m") != 0)
            QSKIP("Cannot mount a tmpfs here (no CAP_SYS_ADMIN in this container).");
        const auto unmount = qScopeGuard([&] { ::umount2(target.constData(), MNT_DETACH); });
        Server s;
        QVERIFY(s.init(mountPoint.filePath(QStringLiteral("fazt.db"))));
        QVERIFY(s.start());
        QCOMPARE(s.deploy("one").status, 201);

        // Fill the filesystem to past 90 %.
        const system::DiskUsage before = system::Probe::disk(s.db);
        QFile filler(mountPoint.filePath(QStringLiteral("filler")));
        QVERIFY(filler.open(QIODevice::WriteOnly));
        const qint64 fill = before.freeBytes - before.totalBytes / 20; // leaves 5 % free
        const QByteArray block(1 << 20, 'x');
        for (qint64 written = 0; written < fill; written += block.size())
            QVERIFY(filler.write(block.constData(),
                                 std::min<qint64>(block.size(), fill - written)) > 0);
        filler.close();

        const HttpResponse full = s.deploy("two");
        QCOMPARE(full.status, 507);
        QVERIFY2(jsonBody(full)
                     .value(QStringLiteral("error"))
                     .toObject()
                     .value(QStringLiteral("message"))
                     .toString()
                     .contains(QLatin1String("full")),
                 full.body.constData());
        QTRY_VERIFY_WITH_TIMEOUT(s.isTripped(QStringLiteral("disk")), 5000);
        QCOMPARE(s.call("GET", "/api/system/health").status, 503);
        QCOMPARE(s.call("GET", "/api/sites").status, 200);
        QVERIFY(s.site("/").body.contains("one")); // sites are still served
        QVERIFY(s.trips(QStringLiteral("disk")) >= 1);

        QVERIFY(filler.remove());
        QCOMPARE(s.deploy("three").status, 201);
        QVERIFY(s.site("/").body.contains("three"));
        QTRY_VERIFY_WITH_TIMEOUT(!s.isTripped(QStringLiteral("disk")), 5000);
        QCOMPARE(s.fazt().stop(), 0);
    }

    void maintenanceModeEnteredAndLeft() {
        Server s;
        QVERIFY(s.init());
        // A threshold this database already passes on this machine: DB size / RAM > ratio.
        const QJsonObject probe =
            QJsonDocument::fromJson(runFazt({QStringLiteral("probe"), QStringLiteral("--json"),
                                             QStringLiteral("--db"), s.db})
                                        .toUtf8())
                .object();
        const double memory = probe.value(QStringLiteral("probe"))
                                  .toObject()
                                  .value(QStringLiteral("memoryBytes"))
                                  .toDouble();
        QVERIFY(memory > 0);
        const double ratio = double(QFileInfo(s.db).size()) / memory / 2;
        {
            auto db = db::Database::open(s.db);
            QVERIFY(db);
            Config config(**db);
            QVERIFY(config.load());
            QJsonObject limits =
                QJsonDocument::fromJson(config.value(QStringLiteral("system.limits")).toUtf8())
                    .object();
            QVERIFY(!limits.isEmpty());
            limits.insert(QStringLiteral("maintenanceRatio"), ratio);
            QVERIFY(config.set(QStringLiteral("system.limits"),
                               QString::fromUtf8(QJsonDocument(limits).toJson())));
        }
        QVERIFY(s.start());
        const HttpResponse paused = s.site("/");
        QCOMPARE(paused.status, 503);
        QCOMPARE(paused.header("Retry-After"), QByteArray("300"));
        QVERIFY(paused.body.contains("maintenance"));
        QCOMPARE(s.site("/health").status, 200);
        QCOMPARE(s.call("GET", "/api/sites").status, 200); // the admin is served
        const HttpResponse notReady = s.call("GET", "/api/system/health");
        QCOMPARE(notReady.status, 503);
        QCOMPARE(jsonBody(notReady).value(QStringLiteral("maintenance")).toBool(), true);
        QVERIFY(notReady.body.contains("times this machine"));
        QVERIFY(s.trips(QStringLiteral("maintenance")) >= 1);

        QCOMPARE(s.call("POST", "/api/system/maintenance", R"({"enabled":"no"})").status, 400);
        QCOMPARE(s.call("POST", "/api/system/maintenance", R"({})").status, 400);
        const HttpResponse left = s.call("POST", "/api/system/maintenance", R"({"enabled":false})");
        QCOMPARE(left.status, 200);
        QCOMPARE(jsonBody(left).value(QStringLiteral("maintenance")).toBool(), false);
        QCOMPARE(s.site("/").status, 200);
        QCOMPARE(s.call("GET", "/api/system/health").status, 200);
        QCOMPARE(s.call("POST", "/api/system/maintenance", R"({"enabled":true})").status, 200);
        QCOMPARE(s.site("/").status, 503);

        // A restart with the database still too large enters it again...
        QCOMPARE(s.fazt().stop(), 0);
        QVERIFY(s.start());
        QCOMPARE(s.site("/").status, 503);
        // ... one with a threshold this machine meets does not.
        QCOMPARE(
            s.call("PUT", "/api/system/limits", R"({"limits":{"maintenanceRatio":100}})").status,
            200);
        QCOMPARE(s.fazt().stop(), 0);
        QVERIFY(s.start());
        QCOMPARE(s.site("/").status, 200);
        QCOMPARE(s.fazt().stop(), 0);
    }

    void recalibrateUnderTrafficDropsNothing() {
        FakeMachine machine;
        Server s;
        s.env.insert(QStringLiteral("FAZT_PROBE_ROOT"), machine.root());
        QVERIFY(s.init());
        QVERIFY(s.start());
        std::vector<std::unique_ptr<TrafficThread>> traffic;
        for (int i = 0; i < 4; ++i)
            traffic.push_back(std::make_unique<TrafficThread>(s.fazt().port(), "demo.localhost",
                                                              i % 2 ? "/" : "/css/site.css"));
        QTRY_VERIFY_WITH_TIMEOUT(traffic.back()->ok() > 50, 10000);
        qint64 previousCache = -1;
        for (int round = 0; round < 6; ++round) {
            machine.setMemory((round % 2 ? qint64(2) << 30 : qint64(512) << 20));
            machine.setCpuMax(round % 2 ? "200000 100000" : "100000 100000"); // 2 cores, 1
            const HttpResponse r = s.call("POST", "/api/system/recalibrate");
            QCOMPARE(r.status, 200);
            // The HTTP workers follow, live: retired ones serve their connections to the end.
            const int workers = jsonBody(r)
                                    .value(QStringLiteral("limits"))
                                    .toObject()
                                    .value(QStringLiteral("workerThreads"))
                                    .toInt();
            QCOMPARE(workers, round % 2 ? 2 : 1);
            QCOMPARE(jsonBody(s.call("GET", "/api/system/metrics"))
                         .value(QStringLiteral("connections"))
                         .toObject()
                         .value(QStringLiteral("workers"))
                         .toInt(),
                     workers);
            const qint64 cache = qint64(jsonBody(r)
                                            .value(QStringLiteral("limits"))
                                            .toObject()
                                            .value(QStringLiteral("cacheBytes"))
                                            .toDouble());
            QVERIFY(cache != previousCache); // resized each time
            previousCache = cache;
            QCOMPARE(qint64(jsonBody(s.call("GET", "/api/system/metrics"))
                                .value(QStringLiteral("cache"))
                                .toObject()
                                .value(QStringLiteral("budgetBytes"))
                                .toDouble()),
                     cache);
        }
        const int before = traffic.front()->ok();
        QTRY_VERIFY_WITH_TIMEOUT(traffic.front()->ok() > before + 50, 10000); // still flowing
        for (auto &t : traffic) {
            t->stop();
            QVERIFY2(t->failed() == 0, t->firstFailure().constData());
            QVERIFY(t->ok() > 50);
        }
        QCOMPARE(s.fazt().stop(), 0);
    }

    void probeAndSimulateAgree() {
        FakeMachine machine;
        machine.setMemory(qint64(512) << 20);
        machine.setCpuMax("150000 100000\n");
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("FAZT_PROBE_ROOT"), machine.root());
        QTemporaryDir dir;
        int code = -1;
        const QJsonObject probed =
            QJsonDocument::fromJson(
                runFazt({QStringLiteral("probe"), QStringLiteral("--json"), QStringLiteral("--db"),
                         dir.filePath(QStringLiteral("x.db"))},
                        env, &code)
                    .toUtf8())
                .object();
        QCOMPARE(code, 0);
        const QJsonObject probe = probed.value(QStringLiteral("probe")).toObject();
        QCOMPARE(probe.value(QStringLiteral("memoryBytes")).toInt(), 512 << 20);
        QCOMPARE(probe.value(QStringLiteral("memorySource")).toString(), QStringLiteral("cgroup2"));
        QCOMPARE(probe.value(QStringLiteral("cpus")).toDouble(), 1.5);
        const QJsonObject simulated =
            QJsonDocument::fromJson(
                runFazt({QStringLiteral("simulate"), QStringLiteral("--ram"),
                         QStringLiteral("512M"), QStringLiteral("--cpus"), QStringLiteral("1.5"),
                         QStringLiteral("--disk"), QStringLiteral("20G"), QStringLiteral("--json")},
                        env, &code)
                    .toUtf8())
                .object();
        QCOMPARE(code, 0);
        QJsonObject a = probed.value(QStringLiteral("limits")).toObject();
        QJsonObject b = simulated.value(QStringLiteral("limits")).toObject();
        a.remove(QStringLiteral("largestUploadBytes")); // depends on this machine's free disk
        b.remove(QStringLiteral("largestUploadBytes"));
        QCOMPARE(a, b);

        const QString table =
            runFazt({QStringLiteral("simulate"), QStringLiteral("--ram"), QStringLiteral("200M")},
                    env, &code);
        QCOMPARE(code, 0);
        QVERIFY(table.contains(QLatin1String("concurrent visitors")));
        QVERIFY(table.contains(QLatin1String("file cache")));
        for (const QStringList &bad :
             {QStringList{QStringLiteral("--ram"), QStringLiteral("lots")},
              QStringList{QStringLiteral("--ram"), QStringLiteral("-5G")},
              QStringList{QStringLiteral("--cpus"), QStringLiteral("0")},
              QStringList{QStringLiteral("--cpus"), QStringLiteral("nan")},
              QStringList{QStringLiteral("--disk"), QStringLiteral("1G"),
                          QStringLiteral("--disk-free"), QStringLiteral("2G")}}) {
            QString errors;
            runFazt(QStringList{QStringLiteral("simulate")} + bad, env, &code, &errors);
            QVERIFY2(code == 2, qPrintable(bad.join(u' ')));
            QVERIFY(errors.contains(QLatin1String("fazt: --")));
        }
    }
};

QTEST_GUILESS_MAIN(TestGuard)
#include "tst_guard.moc"
