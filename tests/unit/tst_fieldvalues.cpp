// The request fields the server acts on: the parser's index of known fields (the same answer
// as a scan by name, in any spelling, for the first line of a repeated field, also when the
// head arrives byte by byte), Accept-Encoding qualities, If-None-Match lists, and the one
// evaluation of preconditions and Range that every file answer goes through.

#include "http/conditional.h"
#include "http/fieldvalues.h"
#include "http/requestparser.h"

#include <QTest>

using namespace fazt::http;

namespace {

// A Request over `lines` (each without its CRLF), parsed the way a connection parses one.
Request requestOf(std::initializer_list<QByteArray> lines) {
    QByteArray text = "GET /a HTTP/1.1\r\nHost: example.com\r\n";
    for (const QByteArray &line : lines)
        text += line + "\r\n";
    text += "\r\n";
    RequestHead head;
    qsizetype scanned = 0;
    const HeadResult result = parseHead(text, HeadLimits{}, head, scanned);
    if (result.status != HeadResult::Status::Complete)
        qFatal("test request did not parse");
    static const QHostAddress peer(QHostAddress::LocalHost);
    return Request(text, head, &peer);
}

constexpr QByteArrayView Etag = "\"abc123\"";
constexpr QByteArrayView GzipEtag = "\"abc123-gz\"";
constexpr qint64 Modified = 1700000000; // Tue, 14 Nov 2023 22:13:20 GMT

Selection::Kind selectionOf(std::initializer_list<QByteArray> lines, qint64 size = 100) {
    return select(requestOf(lines), Validators{Etag, GzipEtag, Modified, size}).kind;
}

} // namespace

class TestFieldValues : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void knownFieldsAreFoundWithoutAScan() {
        const Request request = requestOf({"if-none-match: \"x\"", "USER-AGENT: curl/8",
                                           "X-Custom: 1", "Range: bytes=0-1"});
        QCOMPARE(request.field(Field::IfNoneMatch), QByteArrayView("\"x\""));
        QCOMPARE(request.field(Field::UserAgent), QByteArrayView("curl/8"));
        QCOMPARE(request.field(Field::Range), QByteArrayView("bytes=0-1"));
        QVERIFY(request.field(Field::Cookie).isNull());
        QCOMPARE(request.field("x-custom"), QByteArrayView("1"));
        // Every known field agrees with the scan by name.
        for (int i = 0; i < int(Field::Count); ++i)
            QCOMPARE(request.field(Field(i)), request.field(nameOf(Field(i))));
    }

    void aRepeatedKnownFieldAnswersItsFirstLine() {
        const Request request = requestOf({"Referer: https://a.example/", "Referer: https://b/"});
        QCOMPARE(request.field(Field::Referer), QByteArrayView("https://a.example/"));
    }

    void theIndexSurvivesAHeadArrivingByteByByte() {
        const QByteArray text = "GET / HTTP/1.1\r\nHost: h\r\nAccept-Encoding: gzip\r\n"
                                "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n\r\n";
        RequestHead head;
        qsizetype scanned = 0;
        HeadResult result;
        for (qsizetype n = 1; n <= text.size(); ++n) {
            result = parseHead(QByteArrayView(text).first(n), HeadLimits{}, head, scanned);
            if (result.status != HeadResult::Status::Incomplete)
                break;
        }
        QCOMPARE(result.status, HeadResult::Status::Complete);
        QCOMPARE(head.field(text, Field::AcceptEncoding), QByteArrayView("gzip"));
        QCOMPARE(head.field(text, Field::IfModifiedSince),
                 QByteArrayView("Tue, 14 Nov 2023 22:13:20 GMT"));
    }

    void fieldNamesAreRecognisedInAnyCase() {
        QCOMPARE(fieldOf("accept-encoding"), Field::AcceptEncoding);
        QCOMPARE(fieldOf("X-FORWARDED-FOR"), Field::XForwardedFor);
        QCOMPARE(fieldOf("Accept-Encodin"), Field::Count);
        QCOMPARE(fieldOf(""), Field::Count);
        QCOMPARE(nameOf(Field::IfNoneMatch), QByteArrayView("If-None-Match"));
    }

    void codingQualities_data() {
        QTest::addColumn<QByteArray>("acceptEncoding");
        QTest::addColumn<int>("quality");
        QTest::newRow("absent") << QByteArray() << -1;
        QTest::newRow("plain") << QByteArray("gzip") << 1000;
        QTest::newRow("in a list") << QByteArray("br, gzip, deflate") << 1000;
        QTest::newRow("case") << QByteArray("GZip") << 1000;
        QTest::newRow("q=0.8") << QByteArray("gzip;q=0.8") << 800;
        QTest::newRow("spaces") << QByteArray("br ,  gzip ; q=0.5 ") << 500;
        QTest::newRow("q=0") << QByteArray("gzip;q=0") << 0;
        QTest::newRow("q=0.") << QByteArray("gzip;q=0.") << 0;
        QTest::newRow("q=0.000") << QByteArray("gzip;q=0.000") << 0;
        QTest::newRow("q=0.001") << QByteArray("gzip;q=0.001") << 1;
        QTest::newRow("q=1.000") << QByteArray("gzip;q=1.000") << 1000;
        QTest::newRow("Q=0") << QByteArray("gzip;Q=0") << 0;
        QTest::newRow("other parameter first") << QByteArray("gzip;level=1;q=0.3") << 300;
        QTest::newRow("malformed q counts as 0") << QByteArray("gzip;q=abc") << 0;
        QTest::newRow("q above 1 counts as 0") << QByteArray("gzip;q=1.5") << 0;
        QTest::newRow("too many digits") << QByteArray("gzip;q=0.1234") << 0;
        QTest::newRow("star") << QByteArray("br, *;q=0.2") << 200;
        QTest::newRow("own entry beats star") << QByteArray("*, gzip;q=0") << 0;
        QTest::newRow("x-gzip is another coding") << QByteArray("x-gzip") << -1;
        QTest::newRow("gzipped is another coding") << QByteArray("gzipped") << -1;
        QTest::newRow("empty entries") << QByteArray(",,gzip,,") << 1000;
    }
    void codingQualities() {
        QFETCH(QByteArray, acceptEncoding);
        QFETCH(int, quality);
        QCOMPARE(codingQuality(acceptEncoding, "gzip"), quality);
        QCOMPARE(acceptsCoding(acceptEncoding, "gzip"), quality > 0);
    }

    void etagLists_data() {
        QTest::addColumn<QByteArray>("ifNoneMatch");
        QTest::addColumn<bool>("matches");
        QTest::newRow("same") << QByteArray("\"abc123\"") << true;
        QTest::newRow("weak matches weakly") << QByteArray("W/\"abc123\"") << true;
        QTest::newRow("star") << QByteArray("*") << true;
        QTest::newRow("in a list") << QByteArray("\"x\", \"abc123\"") << true;
        QTest::newRow("list without spaces") << QByteArray("\"x\",W/\"abc123\"") << true;
        QTest::newRow("other") << QByteArray("\"abc1234\"") << false;
        QTest::newRow("prefix") << QByteArray("\"abc12\"") << false;
        QTest::newRow("unquoted") << QByteArray("abc123") << false;
        QTest::newRow("unterminated") << QByteArray("\"abc123") << false;
        QTest::newRow("garbage before") << QByteArray("junk, \"abc123\"") << false;
        QTest::newRow("empty") << QByteArray("") << false;
        QTest::newRow("commas only") << QByteArray(" , ,") << false;
        QTest::newRow("comma inside a tag") << QByteArray("\"a,b\", \"abc123\"") << true;
    }
    void etagLists() {
        QFETCH(QByteArray, ifNoneMatch);
        QFETCH(bool, matches);
        QCOMPARE(etagListMatches(ifNoneMatch, Etag), matches);
        QCOMPARE(etagListMatches(ifNoneMatch, "W/\"abc123\""), matches); // ours weak
    }

    void preconditionsComeBeforeRanges() {
        QCOMPARE(selectionOf({}), Selection::Kind::Full);
        QCOMPARE(selectionOf({"If-None-Match: \"abc123\""}), Selection::Kind::NotModified);
        QCOMPARE(selectionOf({"If-None-Match: \"abc123-gz\""}), Selection::Kind::NotModified);
        QCOMPARE(selectionOf({"If-None-Match: \"abc123\"", "Range: bytes=0-9"}),
                 Selection::Kind::NotModified);
        QCOMPARE(selectionOf({"If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT"}),
                 Selection::Kind::NotModified);
        QCOMPARE(selectionOf({"If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT"}),
                 Selection::Kind::Full);
        QCOMPARE(selectionOf({"If-Modified-Since: yesterday"}), Selection::Kind::Full);
        // If-None-Match decides alone when present (RFC 9110 13.1.3).
        QCOMPARE(selectionOf({"If-None-Match: \"other\"",
                              "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT"}),
                 Selection::Kind::Full);
    }

    void rangesAndIfRange() {
        const Request request = requestOf({"Range: bytes=10-19"});
        const Selection selection = select(request, Validators{Etag, {}, Modified, 100});
        QCOMPARE(selection.kind, Selection::Kind::Partial);
        QCOMPARE(selection.range.first, 10);
        QCOMPARE(selection.range.last, 19);
        QCOMPARE(selectionOf({"Range: bytes=100-"}), Selection::Kind::Unsatisfiable);
        QCOMPARE(selectionOf({"Range: bytes=0-1,5-6"}), Selection::Kind::Full);
        QCOMPARE(selectionOf({"Range: bytes=x-1"}), Selection::Kind::Full);
        QCOMPARE(selectionOf({"Range: bytes=0-9", "If-Range: \"abc123\""}),
                 Selection::Kind::Partial);
        QCOMPARE(selectionOf({"Range: bytes=0-9", "If-Range: \"old\""}), Selection::Kind::Full);
        const Selection suffix = parseRange("bytes=-30", 100);
        QCOMPARE(suffix.kind, Selection::Kind::Partial);
        QCOMPARE(suffix.range.first, 70);
        QCOMPARE(suffix.range.length(), 30);
    }
};

QTEST_APPLESS_MAIN(TestFieldValues)
#include "tst_fieldvalues.moc"
