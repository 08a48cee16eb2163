// Analytics through the real `fazt` binary: requests and events counted, broken /track bodies
// refused with nothing stored, a database that refuses writes, and SIGTERM losing nothing.
#include "config/config.h"
#include "db/database.h"
#include "support/faztprocess.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace fazt;
using test::FaztProcess;
using test::HttpResponse;
using test::RawClient;

using fazt::test::jsonBody;

namespace {

QByteArray trackRequest(const QByteArray &body, const QByteArray &host = "demo.localhost") {
    return RawClient::request(host, "/track",
                              {"Content-Type: text/plain", // what sendBeacon sends
                               "Content-Length: " + QByteArray::number(body.size())},
                              "POST") +
           body;
}

} // namespace

class TestStats : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_db;
    FaztProcess m_fazt;
    QByteArray m_token;

    HttpResponse call(const QByteArray &method, const QByteArray &path,
                      const QByteArray &body = {}) {
        return test::callJson(m_fazt.port(), method, path, m_token, body);
    }
    QJsonObject flush() {
        const HttpResponse r = call("POST", "/api/stats/flush");
        if (r.status != 200)
            qWarning("flush: %d %s", r.status, r.body.constData());
        return jsonBody(r);
    }
    QJsonObject totals(const QByteArray &site = "demo") {
        return jsonBody(call("GET", "/api/stats?site=" + site))
            .value(QStringLiteral("totals"))
            .toObject();
    }
    qint64 eventCount() { return totals().value(QStringLiteral("events")).toInteger(); }
    HttpResponse track(const QByteArray &body) {
        RawClient client(m_fazt.port());
        client.send(trackRequest(body));
        return client.read();
    }
    void setConfig(const char *key, qint64 value) {
        const HttpResponse r =
            call("PUT", "/api/config",
                 QJsonDocument(QJsonObject{{QString::fromLatin1(key), value}}).toJson());
        QVERIFY2(r.status == 200, r.body.constData());
    }

private Q_SLOTS:
    void initTestCase() {
        m_db = m_dir.filePath(QStringLiteral("fazt.db"));
        QVERIFY(test::initDatabase(m_db, QStringLiteral("localhost")));
        m_token = test::createToken(m_db, "stats", "admin");
        {
            // Only explicit flushes (and SIGTERM) write, so the tests see exactly what they sent.
            auto db = db::Database::open(m_db);
            QVERIFY(db);
            Config config(**db);
            QVERIFY(config.load());
            QVERIFY(config.set(QStringLiteral("stats.flush_interval_ms"), 3600000));
            QVERIFY(config.set(QStringLiteral("stats.flush_threshold"), 1000000));
            QVERIFY(config.set(QStringLiteral("stats.buffer_bytes"), 65536));
        }
        QVERIFY2(m_fazt.start({QStringLiteral("server"), QStringLiteral("start"),
                               QStringLiteral("--db"), m_db}),
                 m_fazt.output().constData());
    }

    void cleanupTestCase() { m_fazt.stop(SIGKILL); }

    void requestsAndEventsAreCounted() {
        const QJsonObject before = totals();
        for (int i = 0; i < 3; ++i) {
            const HttpResponse page =
                test::fetch(m_fazt.port(), "demo.localhost", "/",
                            {"User-Agent: Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
                             "Referer: https://news.example.org/item?id=1"});
            QCOMPARE(page.status, 200);
        }
        QCOMPARE(test::fetch(m_fazt.port(), "demo.localhost", "/missing").status, 404);
        QCOMPARE(track(R"({"event": "signup", "path": "/pricing", "properties": {"plan": "pro",
                          "seats": 3, "trial": true}})")
                     .status,
                 204);
        const HttpResponse pixel =
            test::fetch(m_fazt.port(), "demo.localhost", "/pixel.gif?e=newsletter-open&p=/mail");
        QCOMPARE(pixel.status, 200);
        QCOMPARE(pixel.header("Content-Type"), QByteArray("image/gif"));
        QVERIFY(pixel.header("Cache-Control").contains("no-store"));
        QCOMPARE(pixel.body.size(), 43);
        QVERIFY(pixel.body.startsWith("GIF89a"));

        const QJsonObject counters = flush();
        QCOMPARE(counters.value(QStringLiteral("pending")).toInt(), 0);
        const QJsonObject report = jsonBody(call("GET", "/api/stats?site=demo"));
        const QJsonObject t = report.value(QStringLiteral("totals")).toObject();
        const auto delta = [&](const char *key) {
            return t.value(QLatin1String(key)).toInteger() -
                   before.value(QLatin1String(key)).toInteger();
        };
        QCOMPARE(delta("visits"), 3);
        QCOMPARE(delta("hits"), 4);
        QCOMPARE(delta("events"), 2);
        QVERIFY(delta("bytes") > 3 * 100);
        QVERIFY(t.value(QStringLiteral("visitors")).toInt() >= 1);
        const QJsonArray referrers = report.value(QStringLiteral("topReferrers")).toArray();
        QCOMPARE(referrers.first().toObject().value(QStringLiteral("host")).toString(),
                 QStringLiteral("news.example.org"));
        bool saw404 = false;
        for (const QJsonValue &v : report.value(QStringLiteral("statusCodes")).toArray())
            saw404 |= v.toObject().value(QStringLiteral("status")).toInt() == 404;
        QVERIFY(saw404);

        const QJsonArray events = jsonBody(call("GET", "/api/stats/events?site=demo&name=signup"))
                                      .value(QStringLiteral("events"))
                                      .toArray();
        QCOMPARE(events.size(), 1);
        const QJsonObject signup = events.first().toObject();
        QCOMPARE(signup.value(QStringLiteral("path")).toString(), QStringLiteral("/pricing"));
        QCOMPARE(signup.value(QStringLiteral("properties"))
                     .toObject()
                     .value(QStringLiteral("seats"))
                     .toInt(),
                 3);
        // The client's address is never stored, only a daily-salted hash of it.
        auto db = db::Database::open(m_db);
        QVERIFY(db);
        auto raw = (*db)->reader().queryInt(
            "SELECT count(*) FROM stats_events WHERE instr(coalesce(properties, '') || path || "
            "coalesce(referrer, ''), '127.0.0.1') > 0");
        QVERIFY(raw);
        QCOMPARE(*raw, 0);
    }

    void reportAcrossSitesAndRanges() {
        QCOMPARE(test::fetch(m_fazt.port(), "localhost", "/").status, 200);
        flush();
        const QJsonObject all = jsonBody(call("GET", "/api/stats?bucket=day"));
        QCOMPARE(all.value(QStringLiteral("bucket")).toString(), QStringLiteral("day"));
        QCOMPARE(all.value(QStringLiteral("series")).toArray().size(), 31); // 30 days and today
        QVERIFY(all.value(QStringLiteral("topSites")).toArray().size() >= 2);
        QCOMPARE(call("GET", "/api/stats?bucket=minute").status, 400);
        QCOMPARE(call("GET", "/api/stats?from=tomorrow").status, 400);
        QCOMPARE(call("GET", "/api/stats?site=..%2Fetc").status, 400);
        QCOMPARE(call("GET", "/api/stats/events?limit=100000").status, 400);
        QCOMPARE(test::call(m_fazt.port(), "GET", "/api/stats").status, 401); // no token
    }

    void brokenTrackBodiesAreRefused_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::newRow("not json") << QByteArray("event=signup") << 400;
        QTest::newRow("truncated") << QByteArray("{\"event\": \"sig") << 400;
        QTest::newRow("array") << QByteArray(R"(["signup"])") << 400;
        QTest::newRow("no event") << QByteArray(R"({"path": "/"})") << 400;
        QTest::newRow("empty event") << QByteArray(R"({"event": ""})") << 400;
        QTest::newRow("event with markup") << QByteArray(R"({"event": "<script>"})") << 400;
        QTest::newRow("long event")
            << QByteArray("{\"event\": \"" + QByteArray(65, 'a') + "\"}") << 400;
        QTest::newRow("relative path") << QByteArray(R"({"event": "a", "path": "x"})") << 400;
        QTest::newRow("nested property")
            << QByteArray(R"({"event": "a", "properties": {"k": {"deep": 1}}})") << 400;
        QTest::newRow("properties not object")
            << QByteArray(R"({"event": "a", "properties": [1]})") << 400;
        QByteArray many = "{\"event\": \"a\", \"properties\": {";
        for (int i = 0; i < 33; ++i)
            many += (i ? "," : "") + QByteArray("\"k") + QByteArray::number(i) + "\": 1";
        QTest::newRow("too many properties") << many + "}}" << 400;
        QTest::newRow("other site") << QByteArray(R"({"event": "a", "site": "root"})") << 400;
        QTest::newRow("trailing garbage") << QByteArray(R"({"event": "a"} {"event": "b"})") << 400;
        QTest::newRow("invalid utf-8")
            << QByteArray("{\"event\": \"a\", \"path\": \"/\xff\xfe\"}") << 400;
        QTest::newRow("duplicate property")
            << QByteArray(R"({"event": "a", "properties": {"k": 1, "k": 2}})") << 400;
        QTest::newRow("null path") << QByteArray(R"({"event": "a", "path": null})") << 400;
        QTest::newRow("long property")
            << QByteArray("{\"event\": \"a\", \"properties\": {\"k\": \"" + QByteArray(257, 'x') +
                          "\"}}")
            << 400;
        QTest::newRow("oversized") << QByteArray("{\"event\": \"a\", \"properties\": {\"k\": \"" +
                                                 QByteArray(5000, 'x') + "\"}}")
                                   << 413;
    }
    void brokenTrackBodiesAreRefused() {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        const qint64 before = (flush(), eventCount());
        const HttpResponse r = track(body);
        QCOMPARE(r.status, status);
        if (status == 400)
            QVERIFY2(!jsonBody(r).value(QStringLiteral("error")).toString().isEmpty(),
                     r.body.constData());
        flush();
        QCOMPARE(eventCount(), before); // nothing stored
    }

    // A body that arrives in several reads is gathered before it is parsed.
    void trackBodyInPiecesIsGathered() {
        const qint64 before = (flush(), eventCount());
        const QByteArray request =
            trackRequest(R"({"event": "slow", "path": "/pieces", "properties": {"k": "v"}})");
        RawClient client(m_fazt.port());
        const qsizetype bodyStart = request.indexOf("\r\n\r\n") + 4;
        client.send(request.first(bodyStart + 10));
        QTest::qWait(50); // the server reads the first part on its own
        client.send(request.sliced(bodyStart + 10, 20));
        QTest::qWait(50);
        client.send(request.sliced(bodyStart + 30));
        QCOMPARE(client.read().status, 204);
        flush();
        QCOMPARE(eventCount(), before + 1);
    }

    void trackAnswersOtherMethods() {
        HttpResponse r = test::fetch(m_fazt.port(), "demo.localhost", "/track");
        QCOMPARE(r.status, 405);
        QVERIFY(r.header("Allow").contains("POST"));
        r = test::fetch(m_fazt.port(), "demo.localhost", "/pixel.gif", {}, "DELETE");
        QCOMPARE(r.status, 405);
        r = test::fetch(m_fazt.port(), "demo.localhost", "/pixel.gif?e=%3Cx%3E");
        QCOMPARE(r.status, 400);
        // A chunked body past the limit is cut off at 4 KiB.
        RawClient client(m_fazt.port());
        QByteArray chunked =
            RawClient::request("demo.localhost", "/track", {"Transfer-Encoding: chunked"}, "POST");
        for (int i = 0; i < 10; ++i)
            chunked += "400\r\n" + QByteArray(1024, 'x') + "\r\n";
        client.send(chunked + "0\r\n\r\n");
        QCOMPARE(client.read().status, 413);
    }

    // The database refuses writes (another process holds the write lock): the server keeps
    // serving pages and the admin API, retries once, then drops the oldest events to stay in
    // its budget, says so in the log, and writes what it kept once the lock is gone.
    void refusedWritesDropOldestAndKeepServing() {
        setConfig("stats.flush_threshold", 100);
        const qint64 eventsBefore = (flush(), eventCount());
        const QJsonObject countersBefore = flush();
        auto blocker = db::Connection::open(m_db, db::OpenMode::ReadWrite);
        QVERIFY(blocker);
        QVERIFY((*blocker)->exec("BEGIN IMMEDIATE"));

        constexpr int Sent = 300;
        RawClient client(m_fazt.port());
        const QByteArray padding(200, 'p');
        for (int i = 0; i < Sent; ++i) {
            client.send(trackRequest("{\"event\": \"e\", \"path\": \"/e" + QByteArray::number(i) +
                                     "\", \"properties\": {\"pad\": \"" + padding + "\"}}"));
            QCOMPARE(client.read().status, 204);
        }
        // Serving goes on while analytics cannot write; so does the admin API.
        QCOMPARE(test::fetch(m_fazt.port(), "demo.localhost", "/").status, 200);
        QCOMPARE(call("GET", "/api/sites").status, 200);
        // Two failed attempts (each waits out SQLite's 5 s busy timeout), then the drop.
        QByteArray log;
        QTRY_VERIFY_WITH_TIMEOUT(
            (log += m_fazt.process().readAllStandardError()).count("records failed") == 2, 40000);
        QTRY_VERIFY((log += m_fazt.process().readAllStandardError()).contains("oldest events"));
        QCOMPARE(test::fetch(m_fazt.port(), "demo.localhost", "/").status, 200);

        // The metrics show the drops while it happens.
        const QJsonObject metrics =
            jsonBody(call("GET", "/api/system/metrics")).value(QStringLiteral("stats")).toObject();
        QVERIFY2(metrics.value(QStringLiteral("dropped")).toInteger() >
                     countersBefore.value(QStringLiteral("dropped")).toInteger(),
                 QJsonDocument(metrics).toJson().constData());
        QVERIFY(call("GET", "/metrics").body.contains("fazt_stats_events_dropped_total "));

        QVERIFY((*blocker)->exec("ROLLBACK"));
        const QJsonObject after = flush();
        const auto delta = [&](const char *key) {
            return after.value(QLatin1String(key)).toInteger() -
                   countersBefore.value(QLatin1String(key)).toInteger();
        };
        QVERIFY2(delta("dropped") > 0, QJsonDocument(after).toJson().constData());
        QVERIFY(delta("flushFailures") >= 2);
        QCOMPARE(after.value(QStringLiteral("pending")).toInt(), 0);
        QCOMPARE(eventCount() - eventsBefore, Sent); // the event counts were all kept
        auto db = db::Database::open(m_db);
        QVERIFY(db);
        auto rows = (*db)->reader().queryInt("SELECT count(*) FROM stats_events WHERE name = 'e'");
        QVERIFY(rows);
        QCOMPARE(*rows, Sent - delta("dropped")); // raw events: the oldest went
        setConfig("stats.flush_threshold", 1000000);
    }

    // SIGTERM with thousands of events pending: every one is in the database after exit.
    void sigtermLosesNoAcceptedEvent() {
        setConfig("stats.buffer_bytes", 64 << 20); // room for all of them
        flush();
        auto db = db::Database::open(m_db);
        QVERIFY(db);
        const qint64 before = *(*db)->reader().queryInt("SELECT count(*) FROM stats_events");
        db->reset();
        constexpr int Connections = 4, PerConnection = 500;
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int c = 0; c < Connections; ++c) {
            clients.push_back(std::make_unique<RawClient>(m_fazt.port()));
            QByteArray pipelined;
            for (int i = 0; i < PerConnection; ++i)
                pipelined += trackRequest("{\"event\": \"bye\", \"path\": \"/" +
                                          QByteArray::number(c * PerConnection + i) + "\"}");
            clients.back()->send(pipelined);
        }
        for (auto &client : clients)
            for (int i = 0; i < PerConnection; ++i)
                QCOMPARE(client->read().status, 204);
        QCOMPARE(m_fazt.stop(SIGTERM), 0);
        const QByteArray log = m_fazt.process().readAllStandardError();
        auto reopened = db::Database::open(m_db);
        QVERIFY(reopened);
        QVERIFY2(*(*reopened)->reader().queryInt("SELECT count(*) FROM stats_events") ==
                     before + Connections * PerConnection,
                 log.constData());
        QVERIFY(log.contains("analytics:"));
    }

    void pruneRemovesOldRawEventsOnly() {
        {
            auto db = db::Database::open(m_db);
            QVERIFY(db);
            QVERIFY((*db)->writer().run([](db::Connection &c) {
                return c.exec("INSERT INTO stats_events (at, site, path, name) VALUES "
                              "(1000, 'demo', '/ancient', 'old')");
            }));
        }
        const auto prune = [this](const char *age) {
            auto p = std::make_unique<QProcess>();
            p->start(qEnvironmentVariable("FAZT_BIN"),
                     {QStringLiteral("db"), QStringLiteral("prune"), QStringLiteral("--older-than"),
                      QString::fromLatin1(age), QStringLiteral("--db"), m_db});
            p->waitForFinished(30000);
            return p;
        };
        const auto pruned = prune("30d");
        QCOMPARE(pruned->exitCode(), 0);
        QVERIFY2(pruned->readAllStandardOutput().contains("Removed 1 analytics events"),
                 "prune did not report the old event");
        const auto bad = prune("soon");
        QCOMPARE(bad->exitCode(), 2);
        QVERIFY(bad->readAllStandardError().contains("30d"));
        auto db = db::Database::open(m_db);
        QVERIFY(db);
        QCOMPARE(*(*db)->reader().queryInt("SELECT count(*) FROM stats_events WHERE name = 'old'"),
                 0);
        QVERIFY(*(*db)->reader().queryInt("SELECT count(*) FROM stats_events WHERE name = 'bye'") >
                0);
        QVERIFY(*(*db)->reader().queryInt("SELECT sum(hits) FROM stats_hourly") > 0);
    }
};

QTEST_GUILESS_MAIN(TestStats)
#include "tst_stats.moc"
