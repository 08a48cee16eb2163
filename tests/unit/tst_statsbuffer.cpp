#include "bench/stats/naivewriter.h"
#include "db/database.h"
#include "stats/statsbuffer.h"
#include "stats/statsreport.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSet>
#include <QTemporaryDir>
#include <QTest>

#include <thread>

using namespace fazt;
using stats::StatsBuffer;

class TestStatsBuffer : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<db::Database> m_db;
    int m_serial = 0;

    qint64 queryInt(const char *sql) {
        auto v = m_db->reader().queryInt(sql);
        return v ? *v : -1;
    }

    static stats::RequestRecord page(const QString &site, const QString &path, qint64 at,
                                     stats::VisitorId visitor = 1) {
        stats::RequestRecord r;
        r.site = site;
        r.path = path.toUtf8();
        r.status = 200;
        r.bytes = 100;
        r.isPageView = true;
        r.agent = stats::Agent::Desktop;
        r.visitor = visitor;
        r.at = at;
        return r;
    }

    // Options that flush every `intervalMs` or at `threshold` rows.
    static StatsBuffer::Options flushingAfter(int intervalMs, int threshold) {
        StatsBuffer::Options options;
        options.flushIntervalMs = intervalMs;
        options.flushThreshold = threshold;
        return options;
    }

    static stats::Event event(const QString &site, const QString &path, qint64 atMs,
                              QByteArray properties = {}) {
        stats::Event e;
        e.site = site;
        e.setTexts(path.toUtf8(), "signup", properties);
        e.atMs = atMs;
        e.visitor = 7;
        return e;
    }

private Q_SLOTS:
    void init() {
        auto db = db::Database::open(m_dir.filePath(QStringLiteral("s%1.db").arg(++m_serial)));
        QVERIFY2(db, db ? "" : qPrintable(db.error().message));
        m_db = std::move(*db);
    }
    void cleanup() { m_db.reset(); }

    void classifiesAgents_data() {
        QTest::addColumn<QByteArray>("ua");
        QTest::addColumn<QString>("agent");
        QTest::newRow("firefox") << QByteArray("Mozilla/5.0 (X11; Linux x86_64; rv:120.0) "
                                               "Gecko/20100101 Firefox/120.0")
                                 << "desktop";
        QTest::newRow("iphone") << QByteArray("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac "
                                              "OS X) Mobile/15E148")
                                << "mobile";
        QTest::newRow("android phone")
            << QByteArray("Mozilla/5.0 (Linux; Android 14) Chrome/120 Mobile Safari/537.36")
            << "mobile";
        QTest::newRow("android tablet")
            << QByteArray("Mozilla/5.0 (Linux; Android 14; SM-X700) Chrome/120 Safari/537.36")
            << "tablet";
        QTest::newRow("ipad") << QByteArray("Mozilla/5.0 (iPad; CPU OS 17_0)") << "tablet";
        QTest::newRow("googlebot")
            << QByteArray(
                   "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)")
            << "bot";
        QTest::newRow("curl") << QByteArray("curl/7.88.1") << "bot";
        QTest::newRow("empty") << QByteArray() << "other";
    }
    void classifiesAgents() {
        QFETCH(QByteArray, ua);
        QFETCH(QString, agent);
        QCOMPARE(stats::agentName(stats::classifyAgent(ua)), agent);
    }

    void referrerHostIsExternalOnly_data() {
        QTest::addColumn<QByteArray>("referer");
        QTest::addColumn<QByteArray>("host");
        QTest::addColumn<QString>("expected");
        QTest::newRow("external") << QByteArray("https://News.Example.org/item?id=1")
                                  << QByteArray("blog.example.com") << "news.example.org";
        QTest::newRow("same host") << QByteArray("http://blog.example.com:8080/a")
                                   << QByteArray("blog.example.com:8080") << "";
        QTest::newRow("with port and user")
            << QByteArray("https://u:p@a.example:444/x") << QByteArray("b.example") << "a.example";
        QTest::newRow("no scheme") << QByteArray("example.org/x") << QByteArray("b") << "";
        QTest::newRow("hostile") << QByteArray("https://<script>/") << QByteArray("b") << "";
        QTest::newRow("empty") << QByteArray() << QByteArray("b") << "";
    }
    void referrerHostIsExternalOnly() {
        QFETCH(QByteArray, referer);
        QFETCH(QByteArray, host);
        QFETCH(QString, expected);
        QCOMPARE(stats::referrerHost(referer, host), expected);
    }

    void visitorIdIsStableWithinADayAndNeverTheAddress() {
        StatsBuffer buffer(*m_db, {});
        const QByteArray one = QByteArray::fromHex("7f000001"),
                         two = QByteArray::fromHex("7f000002");
        const stats::VisitorId a = buffer.visitor(one, "Firefox");
        QCOMPARE(buffer.visitor(one, "Firefox"), a);
        QVERIFY(buffer.visitor(two, "Firefox") != a);
        QVERIFY(buffer.visitor(one, "Chrome") != a);
        // A second buffer on the same database (a restart) uses the same salt today.
        QTRY_COMPARE(queryInt("SELECT count(*) FROM stats_salt"), 1);
        StatsBuffer restarted(*m_db, {});
        QCOMPARE(restarted.visitor(one, "Firefox"), a);
    }

    // The core promise: every record from every thread ends up in the database, in far fewer
    // transactions than records.
    void countsHundredThousandRecordsFromManyThreads() {
        StatsBuffer::Options options = flushingAfter(60000, 1000);
        options.budgetBytes = 64 << 20;
        StatsBuffer buffer(*m_db, options);
        buffer.start();
        constexpr int Threads = 8;
        constexpr int PerThread = 12500;
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        std::atomic<int> done{0};
        std::vector<std::thread> threads;
        for (int t = 0; t < Threads; ++t)
            threads.emplace_back([&, t] {
                for (int i = 0; i < PerThread; ++i) {
                    const QString site = QStringLiteral("s%1").arg((t + i) % 3);
                    if (i % 5 == 4) {
                        buffer.record(event(site, QStringLiteral("/e"), now * 1000));
                    } else {
                        auto r = page(site, QStringLiteral("/p%1").arg(i % 50), now,
                                      stats::VisitorId(1 + (t * PerThread + i) % 300));
                        r.status = i % 10 == 3 ? 404 : 200;
                        r.isPageView = r.status == 200;
                        buffer.record(r);
                    }
                }
                ++done;
            });
        QTRY_VERIFY_WITH_TIMEOUT(done == Threads, 60000); // flushes run meanwhile
        for (auto &thread : threads)
            thread.join();
        QVERIFY(buffer.flushAll());

        constexpr qint64 Total = qint64(Threads) * PerThread;
        constexpr qint64 Events = Total / 5;
        constexpr qint64 Requests = Total - Events;
        QCOMPARE(queryInt("SELECT sum(hits) FROM stats_hourly"), Requests);
        QCOMPARE(queryInt("SELECT sum(bytes) FROM stats_hourly"), Requests * 100);
        QCOMPARE(queryInt("SELECT count(*) FROM stats_events"), Events);
        QCOMPARE(queryInt("SELECT sum(count) FROM stats_dimensions WHERE kind = 'event'"), Events);
        QCOMPARE(queryInt("SELECT sum(count) FROM stats_dimensions WHERE kind = 'status'"),
                 Requests);
        QCOMPARE(queryInt("SELECT sum(count) FROM stats_dimensions WHERE kind = 'status' AND "
                          "value = '404'"),
                 Total / 10);
        // Unique visitors: each distinct id counted once per day, overall and per site.
        QSet<stats::VisitorId> overall{7};
        QHash<QString, QSet<stats::VisitorId>> perSite;
        for (int t = 0; t < Threads; ++t)
            for (int i = 0; i < PerThread; ++i) {
                const QString site = QStringLiteral("s%1").arg((t + i) % 3);
                const stats::VisitorId id =
                    i % 5 == 4 ? 7 : (i % 10 == 3 ? 0 : 1 + (t * PerThread + i) % 300);
                if (id) {
                    overall.insert(id);
                    perSite[site].insert(id);
                }
            }
        QCOMPARE(queryInt("SELECT visitors FROM stats_uniques WHERE site = '' AND period = 'd'"),
                 overall.size());
        QCOMPARE(queryInt("SELECT visitors FROM stats_uniques WHERE site = 's1' AND period = 'd'"),
                 perSite.value(QStringLiteral("s1")).size());
        const StatsBuffer::Counters c = buffer.counters();
        QCOMPARE(c.accepted, quint64(Total));
        QCOMPARE(c.flushed, quint64(Total));
        QCOMPARE(c.dropped, 0u);
        QCOMPARE(c.pending, 0);
        // One flush at a time: records arriving during a flush go into the next, so under load
        // batches grow instead of transactions multiplying.
        QVERIFY2(c.flushes >= 1 && c.flushes <= 101, qPrintable(QString::number(c.flushes)));
    }

    // A flush writes raw events many rows per statement, the rest one by one: every field of
    // every event lands in its own row, in order, either way.
    void eventsAreStoredFieldForField() {
        StatsBuffer buffer(*m_db, {});
        constexpr int Count = 64 * 2 + 3;
        const qint64 at = 1'700'000'000'000;
        for (int i = 0; i < Count; ++i) {
            stats::Event e = event(QStringLiteral("s%1").arg(i % 3), QString(), at + i);
            const QByteArray properties =
                i % 2 ? "{\"n\":" + QByteArray::number(i) + '}' : QByteArray();
            const QByteArray referrer =
                i % 4 ? "r" + QByteArray::number(i) + ".example" : QByteArray();
            e.setTexts(QStringLiteral("/é%1").arg(i).toUtf8(),
                       QByteArray("n" + QByteArray::number(i)), properties, referrer);
            e.agent = i % 5 ? stats::Agent::Mobile : stats::Agent::Bot;
            e.visitor = stats::VisitorId(i % 7);
            buffer.record(e);
        }
        QVERIFY(buffer.flushAll());
        auto rows = m_db->reader().prepare(
            "SELECT at, site, path, name, properties, referrer, agent, visitor FROM stats_events "
            "ORDER BY id");
        QVERIFY(rows);
        int i = 0;
        for (; rows->next(); ++i) {
            QCOMPARE(rows->int64(0), at + i);
            QCOMPARE(rows->text(1), QStringLiteral("s%1").arg(i % 3));
            QCOMPARE(rows->text(2), QStringLiteral("/é%1").arg(i));
            QCOMPARE(rows->text(3), QStringLiteral("n%1").arg(i));
            QCOMPARE(rows->isNull(4), i % 2 == 0);
            if (i % 2)
                QCOMPARE(rows->text(4), QStringLiteral("{\"n\":%1}").arg(i));
            QCOMPARE(rows->isNull(5), i % 4 == 0);
            if (i % 4)
                QCOMPARE(rows->text(5), QStringLiteral("r%1.example").arg(i));
            QCOMPARE(rows->text(6), QString::fromLatin1(i % 5 ? "mobile" : "bot"));
            QCOMPARE(rows->isNull(7), i % 7 == 0);
        }
        QCOMPARE(i, Count);
    }

    void flushesAtTheThreshold() {
        StatsBuffer buffer(*m_db, flushingAfter(3600000, 100));
        buffer.start();
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        // Each new path is a row to write.
        for (int i = 0; i < 150; ++i)
            buffer.record(page(QStringLiteral("a"), QStringLiteral("/p%1").arg(i), now));
        // The commit is visible before the buffer's thread has counted the flush: wait for both.
        QTRY_COMPARE(buffer.counters().flushes, 1u);
        QCOMPARE(queryInt("SELECT sum(hits) FROM stats_hourly"), 150);
        QCOMPARE(buffer.counters().pendingRows, 0);
    }

    // The threshold counts rows to write, not requests: hits on a page already counted this
    // hour only raise its count, so a busy page does not make the database busy. Raw events
    // are a row each and do bring the flush.
    void repeatedHitsBringNoFlushButEventsDo() {
        StatsBuffer buffer(*m_db, flushingAfter(3600000, 100));
        buffer.start();
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        for (int i = 0; i < 5000; ++i)
            buffer.record(page(QStringLiteral("a"), QStringLiteral("/"), now));
        QTest::qWait(50);
        StatsBuffer::Counters c = buffer.counters();
        QCOMPARE(c.flushes, 0u);
        QCOMPARE(c.pending, 5000);
        // The path, the status and agent counts, the visitor for the site and for all sites.
        QCOMPARE(c.pendingRows, 5);

        for (int i = 0; i < 95; ++i)
            buffer.record(event(QStringLiteral("a"), QStringLiteral("/e"), now * 1000 + i));
        QTRY_COMPARE(buffer.counters().flushes, 1u);
        QCOMPARE(queryInt("SELECT sum(hits) FROM stats_hourly"), 5000);
        QCOMPARE(queryInt("SELECT count(*) FROM stats_events"), 95);
        c = buffer.counters();
        QCOMPARE(c.pending, 0);
        QCOMPARE(c.pendingRows, 0);
    }

    void flushesOnTheInterval() {
        StatsBuffer buffer(*m_db, flushingAfter(100, 1000000));
        buffer.start();
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        for (int i = 0; i < 5; ++i)
            buffer.record(page(QStringLiteral("a"), QStringLiteral("/"), now));
        QTRY_COMPARE(buffer.counters().flushes, 1u);
        QCOMPARE(queryInt("SELECT sum(hits) FROM stats_hourly"), 5);
    }

    // A database that refuses writes: the flush is retried once, then the oldest events are
    // dropped to stay within the budget (with a warning), the counts of requests are kept, and
    // once the database accepts writes again everything still held is written.
    void refusedWritesRetryThenDropOldest() {
        StatsBuffer::Options options = flushingAfter(3600000, 1000000);
        options.retryDelayMs = 50;
        options.budgetBytes = 64 * 1024;
        StatsBuffer buffer(*m_db, options);
        buffer.start();
        // The disk is "full": the file may not grow by one page.
        QVERIFY(m_db->writer().run([](db::Connection &c) -> Status {
            auto pages = c.queryInt("PRAGMA page_count");
            if (!pages)
                return pages.error();
            return c.exec("PRAGMA max_page_count = " + std::to_string(*pages));
        }));
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const QByteArray properties(200, 'x');
        constexpr int Sent = 400; // ~400 * 700 bytes: far past the 64 KiB budget
        for (int i = 0; i < Sent; ++i) {
            buffer.record(event(QStringLiteral("a"), QStringLiteral("/e%1").arg(i), now * 1000,
                                "{\"k\":\"" + properties + "\"}"));
            buffer.record(page(QStringLiteral("a"), QStringLiteral("/"), now));
        }
        const quint64 droppedWhileRecording = buffer.counters().dropped;
        QVERIFY(droppedWhileRecording > 0); // the budget holds even before any flush
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "Analytics: writing \\d+ records failed.*")));
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral(
                                               "Analytics: writing \\d+ records failed.*")));
        QTest::ignoreMessage(QtWarningMsg,
                             QRegularExpression(QStringLiteral("Analytics: dropped the \\d+ "
                                                               "oldest events.*")));
        buffer.flush();
        QTRY_COMPARE(buffer.counters().flushFailures, 2u); // the attempt and its retry
        StatsBuffer::Counters c = buffer.counters();
        QCOMPARE(c.flushed, 0u);
        QVERIFY(c.pendingBytes <= options.budgetBytes);
        QCOMPARE(qint64(c.accepted), qint64(2 * Sent));
        QCOMPARE(qint64(c.dropped) + c.pending, qint64(2 * Sent));

        // The disk has room again.
        QVERIFY(m_db->writer().run(
            [](db::Connection &w) { return w.exec("PRAGMA max_page_count = 1073741823"); }));
        QVERIFY(buffer.flushAll());
        c = buffer.counters();
        QCOMPARE(c.pending, 0);
        QCOMPARE(queryInt("SELECT sum(hits) FROM stats_hourly"), Sent); // no request lost
        const qint64 kept = queryInt("SELECT count(*) FROM stats_events");
        QCOMPARE(kept, Sent - qint64(c.dropped));
        // The newest were kept: the oldest kept event is the first one not dropped.
        auto oldest = m_db->reader().prepare("SELECT path FROM stats_events ORDER BY id LIMIT 1");
        QVERIFY(oldest && oldest->next());
        QCOMPARE(oldest->text(0), QStringLiteral("/e%1").arg(c.dropped));
    }

    void pruneKeepsRollups() {
        StatsBuffer buffer(*m_db, {});
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        const qint64 old = now - 40 * 86400;
        buffer.record(event(QStringLiteral("a"), QStringLiteral("/old"), old * 1000));
        buffer.record(event(QStringLiteral("a"), QStringLiteral("/new"), now * 1000));
        buffer.record(page(QStringLiteral("a"), QStringLiteral("/"), old));
        QVERIFY(buffer.flushAll());
        auto removed = m_db->writer().run(
            [now](db::Connection &c) { return StatsBuffer::prune(c, now, 30 * 86400); });
        QVERIFY(removed);
        QCOMPARE(*removed, 1);
        QCOMPARE(queryInt("SELECT count(*) FROM stats_events"), 1);
        QCOMPARE(queryInt("SELECT sum(hits) FROM stats_hourly"), 1);
        QCOMPARE(queryInt("SELECT sum(count) FROM stats_dimensions WHERE kind = 'event'"), 2);
        // Visitor hashes of closed periods go: only today's event's (site and overall, hour and
        // day).
        QCOMPARE(queryInt("SELECT count(*) FROM stats_visitors"), 4);
        QCOMPARE(queryInt("SELECT count(*) FROM stats_uniques WHERE period = 'd'"), 4);
    }

    void reportAddsUpBuckets() {
        StatsBuffer buffer(*m_db, {});
        const qint64 day = QDateTime::currentSecsSinceEpoch() / 86400 * 86400 - 86400;
        for (int h = 0; h < 3; ++h)
            for (int i = 0; i <= h; ++i)
                buffer.record(page(QStringLiteral("a"), QStringLiteral("/x"), day + h * 3600,
                                   stats::VisitorId(10 + i)));
        buffer.record(page(QStringLiteral("b"), QStringLiteral("/"), day, 99));
        QVERIFY(buffer.flushAll());
        auto q =
            stats::ReportQuery::fromParameters(QStringLiteral("a"), QString::number(day),
                                               QString::number(day + 86400), {}, {}, day + 86400);
        QVERIFY(q);
        auto report = stats::report(m_db->reader(), *q);
        QVERIFY2(report, report ? "" : qPrintable(report.error().message));
        const QJsonObject totals = report->value(QStringLiteral("totals")).toObject();
        QCOMPARE(totals.value(QStringLiteral("visits")).toInt(), 6);
        QCOMPARE(totals.value(QStringLiteral("visitors")).toInt(), 3); // 10, 11, 12 that day
        const QJsonArray series = report->value(QStringLiteral("series")).toArray();
        QCOMPARE(series.size(), 24);
        QCOMPARE(series[2].toObject().value(QStringLiteral("visits")).toInt(), 3);
        QCOMPARE(series[2].toObject().value(QStringLiteral("visitors")).toInt(), 3);
        QCOMPARE(series[5].toObject().value(QStringLiteral("visits")).toInt(), 0);

        auto all = stats::ReportQuery::fromParameters({}, QString::number(day),
                                                      QString::number(day + 86400),
                                                      QStringLiteral("day"), {}, day + 86400);
        QVERIFY(all);
        auto overall = stats::report(m_db->reader(), *all);
        QVERIFY(overall);
        QCOMPARE(overall->value(QStringLiteral("series")).toArray().size(), 1);
        QCOMPARE(overall->value(QStringLiteral("topSites")).toArray().size(), 2);
        QCOMPARE(overall->value(QStringLiteral("totals"))
                     .toObject()
                     .value(QStringLiteral("visitors"))
                     .toInt(),
                 4);
    }

    void reportRefusesBadRanges_data() {
        QTest::addColumn<QString>("from");
        QTest::addColumn<QString>("to");
        QTest::addColumn<QString>("bucket");
        QTest::newRow("reversed") << "2000"
                                  << "1000"
                                  << "";
        QTest::newRow("not a time") << "yesterday"
                                    << ""
                                    << "";
        QTest::newRow("bad bucket") << ""
                                    << ""
                                    << "week";
        QTest::newRow("too many hours") << "0" << QString::number(200 * 86400) << "hour";
        QTest::newRow("over a year") << "0" << QString::number(400 * 86400) << "day";
    }
    void reportRefusesBadRanges() {
        QFETCH(QString, from);
        QFETCH(QString, to);
        QFETCH(QString, bucket);
        auto q = stats::ReportQuery::fromParameters({}, from, to, bucket, {}, 1800000000);
        QVERIFY(!q);
        QCOMPARE(q.error().code, Error::Code::Invalid);
    }

    // The benchmark's peer (tests/bench/stats/naivewriter.h) stores each record, in a
    // transaction of its own.
    void naiveModeInsertsEachRecord_data() {
        QTest::addColumn<bench::NaiveWriter::Pragmas>("mode");
        QTest::newRow("sqlite defaults") << bench::NaiveWriter::Pragmas::SqliteDefaults;
        QTest::newRow("server settings") << bench::NaiveWriter::Pragmas::ServerPragmas;
    }
    void naiveModeInsertsEachRecord() {
        QFETCH(bench::NaiveWriter::Pragmas, mode);
        auto writer = bench::NaiveWriter::open(*m_db, mode);
        QVERIFY(writer);
        for (int i = 0; i < 50; ++i)
            QVERIFY((*writer)->insert("a", "/", "pageview", qint64(1800000000) * 1000));
        QCOMPARE(queryInt("SELECT count(*) FROM stats_events"), 50);
        QCOMPARE((*writer)->written(), 50u);
    }
};

QTEST_GUILESS_MAIN(TestStatsBuffer)
#include "tst_statsbuffer.moc"
