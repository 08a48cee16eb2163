// Function worker processes through the real `fazt` binary, attacked as a hostile script would:
// deep native recursion, memory past the limit through every door, answers that run script
// while they are converted, loops; a worker killed from outside; the sandbox; and a site whose
// scripts keep killing workers. Throughout, the server process is the same one, static pages
// and another site's functions answer, and the pool comes back to its size.

#include "support/faztprocess.h"
#include "support/serversetup.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <csignal>
#include <memory>
#include <thread>
#include <vector>

using namespace fazt;
using test::FaztProcess;
using test::HttpResponse;
using test::RawClient;

using fazt::test::jsonBody;

namespace {

constexpr int Slots = 3;
constexpr int TimeoutMs = 1000;

constexpr char AttackJs[] = R"JS(
module.exports = function (request) {
    const n = Number(request.query.n || 0);
    switch (request.path) {
    case '/api/regex':           // the engine's regular expression compiler recurses natively
        return new RegExp('('.repeat(n) + 'a' + ')'.repeat(n)).test('a');
    case '/api/proxies': {       // so does a lookup through a chain of proxies
        let p = {};
        for (let i = 0; i < n; ++i) p = new Proxy(p, {});
        return 'x' in p;
    }
    case '/api/native-buffer':   // the engine's own ArrayBuffer, past any guard in script
        return new ((new Uint8Array(1)).buffer.constructor)(2 ** 31).byteLength;
    case '/api/shared-buffer':
        return new SharedArrayBuffer(2 ** 31).byteLength;
    case '/api/split':
        return 'x'.repeat(2 ** 26).split('').length;
    case '/api/bomb': {
        const hoard = [];
        for (;;) hoard.push('x'.repeat(16384) + hoard.length);
    }
    case '/api/loop':
        while (true) {}
    case '/api/tojson-loop':     // script that runs while the answer is converted
        return { toJSON() { for (;;) {} } };
    case '/api/replaced-stringify':
        JSON.stringify = function () { for (;;) {} };
        return { a: 1 };
    case '/api/getter-loops':
        return { get a() { for (;;) {} } };
    case '/api/getter-recursion': {
        const o = {};
        Object.defineProperty(o, 'x', { enumerable: true, get() { return JSON.stringify(o); } });
        return o;
    }
    case '/api/getter-throws':
        return new fazt.Response('x', { headers: { get 'X-A'() { throw new Error('no'); } } });
    case '/api/cyclic': {
        const o = {};
        o.self = o;
        return o;
    }
    case '/api/huge-string':
        return 'x'.repeat(100 * 1024 * 1024);
    case '/api/slow': {
        const end = Date.now() + n;
        while (Date.now() < end) {}
        return { slow: true };
    }
    }
    return { ok: true };
};
)JS";

// Fast answers that say which request they answer, for the pipelining test.
constexpr char EchoJs[] = R"JS(
module.exports = function (request) {
    const n = Number(request.query.n);
    if (request.path === '/api/kv') {
        fazt.kv.set('k' + n, { n });
        return { n, v: fazt.kv.get('k' + n).n };
    }
    if (request.path === '/api/bomb') {
        const hoard = [];
        for (;;) hoard.push('x'.repeat(16384) + hoard.length);
    }
    return { n, v: n };
};
)JS";

} // namespace

class TestFunctionWorkers : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_db;
    std::unique_ptr<FaztProcess> m_fazt;
    QByteArray m_token;
    qint64 m_serverPid = 0;

    HttpResponse admin(const QByteArray &method, const QByteArray &path,
                       const QByteArray &body = {}) {
        return test::callJson(m_fazt->port(), method, path, m_token, body);
    }
    HttpResponse get(const QByteArray &target, const QByteArray &host = "attack.localhost") {
        return test::fetch(m_fazt->port(), host, target);
    }
    void deploy(const QString &site, const QByteArray &mainJs) {
        const QString dir = m_dir.filePath(QStringLiteral("src-") + site);
        test::writeFile(dir + QStringLiteral("/index.html"), "<h1>static</h1>");
        test::writeFile(dir + QStringLiteral("/api/main.js"), mainJs);
        QProcess p;
        p.start(qEnvironmentVariable("FAZT_BIN"),
                {QStringLiteral("deploy"), dir, QStringLiteral("--site"), site,
                 QStringLiteral("--server"),
                 QStringLiteral("http://127.0.0.1:%1").arg(m_fazt->port()),
                 QStringLiteral("--token"), QString::fromLatin1(m_token)});
        QVERIFY(p.waitForFinished(60000));
        QVERIFY2(p.exitCode() == 0, p.readAll().constData());
        QCOMPARE(admin("PUT", "/api/sites/" + site.toUtf8() + "/settings",
                       "{\"functionTimeoutMs\": " + QByteArray::number(TimeoutMs) + "}")
                     .status,
                 200);
    }
    QJsonObject functionMetrics() {
        return jsonBody(admin("GET", "/api/system/metrics"))
            .value(QStringLiteral("functions"))
            .toObject();
    }
    QJsonArray workers() { return functionMetrics().value(QStringLiteral("workers")).toArray(); }
    QString logText(const QByteArray &site = "attack") {
        QString all;
        const HttpResponse log = admin("GET", "/api/sites/" + site + "/logs?limit=1000");
        for (const QJsonValue &entry : jsonBody(log).value(QStringLiteral("entries")).toArray())
            all += entry.toObject().value(QStringLiteral("message")).toString() + u'\n';
        return all;
    }
    bool start() {
        m_fazt = std::make_unique<FaztProcess>();
        return m_fazt->start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), m_db});
    }
    // Every slot with a worker: Slots slow requests at once.
    void fillThePool() {
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int i = 0; i < Slots; ++i) {
            clients.push_back(std::make_unique<RawClient>(m_fazt->port()));
            clients.back()->send(RawClient::request("other.localhost", "/api/slow?n=300"));
        }
        for (auto &client : clients)
            QCOMPARE(client->read().status, 200);
        QTRY_COMPARE_WITH_TIMEOUT(workers().size(), Slots, 10000);
    }

private Q_SLOTS:
    void initTestCase() {
        m_db = m_dir.filePath(QStringLiteral("fazt.db"));
        QVERIFY(test::initDatabase(m_db, QStringLiteral("localhost")));
        m_token = test::createToken(m_db, "workers", "admin");
        QVERIFY(test::overrideLimits(m_db, {{QStringLiteral("maxConcurrentJs"), Slots},
                                            {QStringLiteral("jsWorkerMemoryBytes"), 128 << 20}}));
        // Every attack below kills workers of one site: no backing off here (see the last test).
        QVERIFY(
            test::setConfig(m_db, QStringLiteral("functions.crash_limit"), QStringLiteral("1000")));
        QVERIFY2(start(), m_fazt->output().constData());
        m_serverPid = m_fazt->pid();
        deploy(QStringLiteral("attack"), AttackJs);
        deploy(QStringLiteral("other"), AttackJs);
        QCOMPARE(get("/api/hello").status, 200);
        fillThePool();
    }

    void cleanupTestCase() { m_fazt->stop(SIGKILL); }

    // Each attack ends its request within the deadline plus a second, with a 500 or 504 (or,
    // where the worker's large stack is enough, a plain answer); the server is the same
    // process; during the attack static pages and another site's function answer, and after
    // it the pool has every worker again.
    void attacks_data() {
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QList<int>>("statuses");
        QTest::addColumn<QString>("logged");
        const auto row = [](const char *path, QList<int> statuses, const char *logged) {
            QTest::newRow(path) << QByteArray(path) << statuses << QString::fromLatin1(logged);
        };
        row("/api/regex?n=40000", {200, 500}, "");
        row("/api/regex?n=3000000", {500}, "");
        row("/api/proxies?n=100000", {200, 500}, "");
        row("/api/proxies?n=2000000", {500}, "worker"); // a crash, or the memory limit first
        row("/api/native-buffer", {500}, "memory");
        row("/api/shared-buffer", {500}, "SharedArrayBuffer");
        row("/api/split", {500}, "memory");
        row("/api/bomb", {500}, "memory");
        row("/api/loop", {504}, "deadline");
        row("/api/tojson-loop", {504}, "deadline");
        row("/api/replaced-stringify", {504}, "deadline");
        row("/api/getter-loops", {504}, "deadline");
        row("/api/getter-recursion", {500}, "Maximum call stack size exceeded");
        row("/api/getter-throws", {500}, "Error: no");
        row("/api/cyclic", {500}, "circular structure");
        row("/api/huge-string", {500}, "memory");
    }

    void attacks() {
        QFETCH(QByteArray, path);
        QFETCH(QList<int>, statuses);
        QFETCH(QString, logged);
        const int workersBefore = int(workers().size());
        QElapsedTimer timer;
        timer.start();
        RawClient attack(m_fazt->port());
        attack.send(RawClient::request("attack.localhost", path));
        // While it runs: static files, and another site's function on another worker.
        QCOMPARE(get("/index.html").status, 200);
        QCOMPARE(get("/api/hello", "other.localhost").status, 200);
        const HttpResponse r = attack.read(false, 20000);
        const qint64 elapsed = timer.elapsed();
        QVERIFY2(statuses.contains(r.status),
                 qPrintable(QString::number(r.status) + u' ' + QString::fromUtf8(r.body)));
        QVERIFY2(elapsed < TimeoutMs + 1000, qPrintable(QString::number(elapsed)));
        QCOMPARE(m_fazt->pid(), m_serverPid);
        QCOMPARE(::kill(pid_t(m_serverPid), 0), 0);
        if (!logged.isEmpty())
            QTRY_VERIFY_WITH_TIMEOUT(logText().contains(logged), 10000);
        // After: both sites answer, and every worker that died has been replaced.
        QCOMPARE(get("/api/hello").status, 200);
        QCOMPARE(get("/api/hello", "other.localhost").status, 200);
        QCOMPARE(get("/index.html").status, 200);
        QTRY_VERIFY_WITH_TIMEOUT(workers().size() >= workersBefore, 10000);
    }

    void deathsAreCounted() {
        const QJsonObject metrics = functionMetrics();
        QVERIFY(metrics.value(QStringLiteral("memoryKills")).toInteger() >= 1);
        QVERIFY(metrics.value(QStringLiteral("restarts")).toInteger() >= 2);
        QVERIFY(metrics.value(QStringLiteral("timeouts")).toInteger() >= 4);
        const QByteArray prometheus = admin("GET", "/metrics").body;
        for (const char *name :
             {"fazt_function_worker_crashes_total", "fazt_function_worker_memory_kills_total",
              "fazt_function_worker_deadline_kills_total", "fazt_function_worker_restarts_total",
              "fazt_function_workers "})
            QVERIFY2(prometheus.contains(name), name);
    }

    // SIGKILL from outside, mid-request: that request is a 500 that says so, and the slot
    // gets a new worker.
    void aWorkerKilledFromOutsideIsA500() {
        RawClient slow(m_fazt->port());
        slow.send(RawClient::request("attack.localhost", "/api/slow?n=800"));
        qint64 pid = 0;
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const QJsonObject metrics = functionMetrics();
                if (metrics.value(QStringLiteral("running")).toInt() < 1)
                    return false;
                for (const QJsonValue &worker : metrics.value(QStringLiteral("workers")).toArray())
                    if (worker.toObject().value(QStringLiteral("site")).toString() ==
                            QLatin1String("attack") &&
                        worker.toObject().value(QStringLiteral("busy")).toBool())
                        pid = worker.toObject().value(QStringLiteral("pid")).toInteger();
                return pid > 0;
            }(),
            5000);
        const qint64 crashes = functionMetrics().value(QStringLiteral("crashes")).toInteger();
        QCOMPARE(::kill(pid_t(pid), SIGKILL), 0);
        const HttpResponse r = slow.read();
        QCOMPARE(r.status, 500);
        QVERIFY2(r.body.contains("crashed"), r.body.constData());
        QCOMPARE(m_fazt->pid(), m_serverPid);
        QTRY_COMPARE_WITH_TIMEOUT(workers().size(), Slots, 10000);
        QCOMPARE(get("/api/hello").status, 200);
        QCOMPARE(functionMetrics().value(QStringLiteral("crashes")).toInteger(), crashes + 1);
    }

    // Every worker is a child of the server with the seccomp filter on, a memory limit, and
    // none of the server's descriptors; and the sandbox refuses what it should.
    // Under load a slot sends a fast site's next jobs to its worker behind the running one
    // (pipelining). Each request still gets its own answer, calls made by a job while the
    // next ones wait in the worker get their own replies, and when a worker dies with jobs
    // waiting behind the one that killed it, those jobs run elsewhere: never a wrong answer,
    // never a 500 for a job that did nothing wrong.
    void pipelinedJobsEachGetTheirOwnAnswer() {
        deploy(QStringLiteral("pipe"), EchoJs);
        const qint64 killsBefore = functionMetrics().value(QStringLiteral("memoryKills")).toInteger();
        constexpr int Clients = 24;
        constexpr int Rounds = 12;
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int i = 0; i < Clients; ++i)
            clients.push_back(std::make_unique<RawClient>(m_fazt->port()));
        int answered = 0;
        int refused = 0;
        int bombs = 0;
        for (int round = 0; round < Rounds; ++round) {
            QList<QByteArray> paths;
            for (int i = 0; i < Clients; ++i) {
                const int n = round * 1000 + i;
                // Every fourth round, one client's job kills its worker.
                const QByteArray path = round % 4 == 3 && i == 5 ? QByteArray("/api/bomb")
                                        : i % 3 == 0           ? QByteArray("/api/kv")
                                                               : QByteArray("/api/echo");
                paths.append(path);
                clients[size_t(i)]->send(
                    RawClient::request("pipe.localhost", path + "?n=" + QByteArray::number(n)));
            }
            for (int i = 0; i < Clients; ++i) {
                const HttpResponse r = clients[size_t(i)]->read();
                if (paths[i] == "/api/bomb") {
                    QVERIFY2(r.status == 500 || r.status == 429, r.body.constData());
                    bombs += r.status == 500;
                    continue;
                }
                if (r.status == 429) { // the waiting room's bound: refused, not wrong
                    ++refused;
                    continue;
                }
                QVERIFY2(r.status == 200, r.body.constData());
                const QJsonObject body = QJsonDocument::fromJson(r.body).object();
                const int n = round * 1000 + i;
                QCOMPARE(body.value(QStringLiteral("n")).toInt(), n);
                QCOMPARE(body.value(QStringLiteral("v")).toInt(), n);
                ++answered;
            }
        }
        QVERIFY2(answered > refused * 4, qPrintable(QStringLiteral("%1 answered, %2 refused")
                                                        .arg(answered)
                                                        .arg(refused)));
        const QJsonObject metrics = functionMetrics();
        QVERIFY(bombs > 0);
        QCOMPARE(metrics.value(QStringLiteral("memoryKills")).toInteger(), killsBefore + bombs);
        // The path under test was taken: jobs went ahead, and some came back from a dead worker.
        QVERIFY(metrics.value(QStringLiteral("pipelined")).toInteger() > 0);
        qInfo("pipelined %lld, requeued %lld, answered %d, refused %d",
              metrics.value(QStringLiteral("pipelined")).toInteger(),
              metrics.value(QStringLiteral("requeued")).toInteger(), answered, refused);
    }

    void everyWorkerIsSandboxed() {
        // A worker is a child of the server with the seccomp filter on, a memory limit, no
        // environment, and of the server's descriptors only stderr and the channel: no
        // database file, no listening socket, no client connection. (Checked again until every
        // listed worker passes: one replaced a moment ago may still be on its way in.)
        const auto isSandboxed = [this](qint64 pid) {
            const auto read = [pid](const char *what) {
                QFile file(QStringLiteral("/proc/%1/%2").arg(pid).arg(QLatin1String(what)));
                return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
            };
            const QByteArray status = read("status");
            const QByteArray limits = read("limits");
            const QByteArray addressSpace =
                limits.mid(limits.indexOf("Max address space")).split('\n').front();
            const QDir fdDir(QStringLiteral("/proc/%1/fd").arg(pid));
            int sockets = 0;
            for (const QString &fd : fdDir.entryList(QDir::NoDotAndDotDot | QDir::AllEntries)) {
                const QString target = QFile::symLinkTarget(fdDir.filePath(fd));
                if (target.contains(QLatin1String("fazt.db")))
                    return false;
                sockets += fd != QLatin1String("2") && target.contains(QLatin1String("socket:["));
            }
            return status.contains("\nSeccomp:\t2\n") &&
                   status.contains(
                       QByteArray(QByteArray("\nPPid:\t") + QByteArray::number(m_serverPid))) &&
                   !addressSpace.isEmpty() && !addressSpace.contains("unlimited") && sockets == 1 &&
                   read("environ").isEmpty();
        };
        const auto sandboxedWorkers = [&] {
            int count = 0;
            for (const QJsonValue &worker : workers())
                count += isSandboxed(worker.toObject().value(QStringLiteral("pid")).toInteger());
            return count;
        };
        QTRY_COMPARE_WITH_TIMEOUT(sandboxedWorkers(), Slots, 10000);
        QProcess check;
        check.start(qEnvironmentVariable("FAZT_BIN"),
                    {QStringLiteral("__function-worker"), QStringLiteral("--check-sandbox")});
        QVERIFY(check.waitForFinished(30000));
        const QByteArray report = check.readAllStandardOutput();
        QCOMPARE(check.exitCode(), 0);
        QVERIFY2(report.contains("open a file: refused"), report.constData());
        QVERIFY(report.contains("sandbox ok"));
    }

    // A site whose scripts keep killing workers gets 503 with Retry-After for a while instead
    // of a process start per request; other sites are not affected.
    // Recalibration (here: the limit set through the API) changes the number of worker
    // processes live, while function requests run; none of them fails.
    void slotsFollowTheLimitsLive() {
        std::atomic<bool> stop{false};
        std::atomic<int> ok{0};
        std::atomic<int> failed{0};
        const quint16 port = m_fazt->port();
        std::vector<std::thread> traffic;
        for (int t = 0; t < 2; ++t)
            traffic.emplace_back([&, port] {
                while (!stop) {
                    const HttpResponse r = test::fetch(port, "other.localhost", "/api/slow?n=20");
                    (r.status == 200 ? ok : failed)++;
                }
            });
        const auto setSlots = [this](int slots) {
            return admin("PUT", "/api/system/limits",
                         "{\"limits\": {\"maxConcurrentJs\": " + QByteArray::number(slots) +
                             "}, \"force\": true}")
                .status;
        };
        QTRY_VERIFY_WITH_TIMEOUT(ok > 5, 10000);
        for (const int slots : {Slots + 2, 1, Slots}) {
            QCOMPARE(setSlots(slots), 200);
            QCOMPARE(functionMetrics().value(QStringLiteral("slots")).toInt(), slots);
            QTRY_COMPARE_WITH_TIMEOUT(workers().size(), slots, 10000);
            const int before = ok;
            QTRY_VERIFY_WITH_TIMEOUT(ok > before + 5, 10000); // still answering
        }
        stop = true;
        for (auto &thread : traffic)
            thread.join();
        QCOMPARE(failed.load(), 0);
    }

    void aSiteThatKeepsKillingWorkersIsBackedOff() {
        QCOMPARE(m_fazt->stop(SIGTERM), 0);
        QVERIFY(
            test::setConfig(m_db, QStringLiteral("functions.crash_limit"), QStringLiteral("3")));
        QVERIFY2(start(), m_fazt->output().constData());
        for (int i = 0; i < 3; ++i)
            QCOMPARE(get("/api/proxies?n=2000000").status, 500);
        const HttpResponse backedOff = get("/api/hello");
        QCOMPARE(backedOff.status, 503);
        QVERIFY(backedOff.header("Retry-After").toInt() >= 1);
        QVERIFY(backedOff.body.contains("keep crashing"));
        QCOMPARE(get("/api/hello", "other.localhost").status, 200);
        QCOMPARE(get("/index.html").status, 200);
        QVERIFY(functionMetrics().value(QStringLiteral("backedOff")).toInteger() >= 1);
    }
};

QTEST_GUILESS_MAIN(TestFunctionWorkers)
#include "tst_function_workers.moc"
