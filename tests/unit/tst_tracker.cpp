// Tracker through a FakeExchange: what a response counts comes from the Response itself
// (status, type, body bytes as sent): a GET of an HTML page is a view with its bytes, the
// same answer to a HEAD is a hit of no bytes and no view, a streamed body counts its
// declared length, a 304 counts nothing sent; /track takes an event and answers 204.

#include "db/database.h"
#include "hosting/tracker.h"
#include "stats/statsbuffer.h"
#include "support/fakeexchange.h"

#include <QTemporaryDir>
#include <QTest>

using namespace fazt;
using test::FakeExchange;

namespace {

// A body of `size` bytes, produced in one piece.
class FixedSource : public http::BodySource {
public:
    explicit FixedSource(qint64 size)
        : m_left(size) {}
    Result<QByteArray> next(qint64 maxBytes) override {
        const qint64 n = std::min(maxBytes, m_left);
        m_left -= n;
        return QByteArray(n, 'x');
    }

private:
    qint64 m_left;
};

} // namespace

class TestTracker : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<db::Database> m_db;

    qint64 queryInt(const char *sql) {
        auto v = m_db->reader().queryInt(sql);
        return v ? *v : -1;
    }

private Q_SLOTS:
    void init() {
        auto db = db::Database::open(m_dir.filePath(
            QStringLiteral("%1.db").arg(QString::fromLatin1(QTest::currentTestFunction()))));
        QVERIFY(db);
        m_db = std::move(*db);
    }

    void countsWhatTheResponseSays() {
        stats::StatsBuffer buffer(*m_db, {});
        hosting::Tracker tracker(buffer);
        const QString site = QStringLiteral("t");
        const auto answer = [&](QByteArrayView method, QByteArrayView path, http::Response r) {
            FakeExchange exchange(method, "t.example.com", path);
            hosting::Tracker::CountingExchange counted(exchange, tracker, site);
            counted.respond(std::move(r));
            QCOMPARE(exchange.responseCount(), 1);
        };
        answer("GET", "/", http::Response(200, "text/html; charset=utf-8", "<h1>12</h1>"));
        answer("HEAD", "/", http::Response(200, "text/html; charset=utf-8", "<h1>12</h1>"));
        http::Response streamed(200);
        streamed.contentType = "application/octet-stream";
        streamed.contentLength = 5000;
        streamed.stream = std::make_unique<FixedSource>(5000);
        answer("GET", "/big.bin", std::move(streamed));
        http::Response notModified(304);
        notModified.contentType = "text/html";
        answer("GET", "/", std::move(notModified));
        QVERIFY(buffer.flushAll());
        QCOMPARE(queryInt("SELECT sum(hits) FROM stats_hourly"), 4);
        QCOMPARE(queryInt("SELECT sum(views) FROM stats_hourly"), 1);
        QCOMPARE(queryInt("SELECT sum(bytes) FROM stats_hourly"), 11 + 5000);
        QCOMPARE(queryInt("SELECT sum(count) FROM stats_dimensions "
                          "WHERE kind = 'status' AND value = '304'"),
                 1);
    }

    void trackTakesAnEvent() {
        stats::StatsBuffer buffer(*m_db, {});
        hosting::Tracker tracker(buffer);
        FakeExchange exchange("POST", "t.example.com", "/track",
                              {"Content-Type: application/json"},
                              R"({"event":"signup","path":"/join"})");
        QVERIFY(tracker.handleEndpoint(exchange, QStringLiteral("t")));
        QCOMPARE(exchange.status(), 204);
        QCOMPARE(exchange.header("Cache-Control"), QByteArray("no-store"));
        FakeExchange get("GET", "t.example.com", "/track");
        QVERIFY(tracker.handleEndpoint(get, QStringLiteral("t")));
        QCOMPARE(get.status(), 405);
        QCOMPARE(get.header("Allow"), QByteArray("POST, OPTIONS"));
        QVERIFY(buffer.flushAll());
        QCOMPARE(queryInt("SELECT count(*) FROM stats_events WHERE name = 'signup'"), 1);
    }
};

QTEST_GUILESS_MAIN(TestTracker)
#include "tst_tracker.moc"
