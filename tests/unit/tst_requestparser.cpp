// parseHead() and ChunkedDecoder: what a request head must look like to be served, the exact
// status every malformed or hostile one gets, and that feeding bytes in any split changes
// nothing.

#include "http/requestparser.h"

#include <QElapsedTimer>
#include <QTest>

using namespace fazt::http;

namespace {

using HeadStatus = HeadResult::Status;
using ChunkStatus = ChunkedDecoder::Status;

// The lines joined by CRLF, plus the empty line that ends a head.
QByteArray head(std::initializer_list<QByteArray> lines) {
    QByteArray text;
    for (const QByteArray &line : lines) {
        text += line;
        text += "\r\n";
    }
    return text + "\r\n";
}

// A result in words, so a failing QCOMPARE says what happened.
QByteArray outcome(const HeadResult &result) {
    switch (result.status) {
    case HeadStatus::Incomplete:
        return "Incomplete";
    case HeadStatus::Complete:
        return "Complete " + QByteArray::number(result.length);
    case HeadStatus::Invalid:
        return "Invalid " + QByteArray::number(result.httpStatus) + " (" + result.reason + ")";
    }
    return "?";
}

QByteArray complete(qsizetype length) {
    return "Complete " + QByteArray::number(length);
}

HeadResult parseWhole(const QByteArray &data, RequestHead &parsed, const HeadLimits &limits = {}) {
    qsizetype scanned = 0;
    return parseHead(data, limits, parsed, scanned);
}

// Feeds ever longer prefixes of `bytes`, one byte more each time, until the result is not
// Incomplete or all of `bytes` was given.
HeadResult parseByteByByte(const QByteArray &bytes, RequestHead &parsed,
                           const HeadLimits &limits = {}) {
    const QByteArrayView data(bytes);
    qsizetype scanned = 0;
    HeadResult result;
    for (qsizetype n = 1; n <= data.size(); ++n) {
        result = parseHead(data.first(n), limits, parsed, scanned);
        if (result.status != HeadStatus::Incomplete)
            break;
    }
    return result;
}

QByteArray text(Span span, const QByteArray &buffer) {
    return span.in(buffer).toByteArray();
}

QByteArray describeFields(const RequestHead &parsed, const QByteArray &buffer) {
    QByteArray described;
    for (const RequestHead::Field &field : parsed.fields)
        described += text(field.name, buffer) + '=' + text(field.value, buffer) + '|';
    return described;
}

// Everything parseHead() derives, in one comparable line.
QByteArray describe(const RequestHead &parsed, const QByteArray &buffer) {
    return text(parsed.methodText, buffer) + ' ' + text(parsed.target, buffer) +
           " path=" + text(parsed.path, buffer) + " query=" + text(parsed.query, buffer) + " 1." +
           QByteArray::number(parsed.minorVersion) + " host=" + text(parsed.host, buffer) +
           " length=" + QByteArray::number(parsed.contentLength) +
           (parsed.isChunked ? " chunked" : "") + (parsed.keepAlive ? " keep-alive" : "") +
           (parsed.expectsContinue ? " continue" : "") + ' ' + describeFields(parsed, buffer);
}

// Feeds `pieces` in order, each until it is used up or the decoder stops; returns the body.
QByteArray decode(ChunkedDecoder &decoder, const QList<QByteArrayView> &pieces, ChunkStatus &status,
                  qsizetype &consumed) {
    QByteArray body;
    consumed = 0;
    status = ChunkStatus::NeedMore;
    for (QByteArrayView piece : pieces) {
        while (!piece.isEmpty() && status == ChunkStatus::NeedMore) {
            const ChunkedDecoder::Step step = decoder.feed(piece);
            if (step.consumed > piece.size() || step.consumed < 0)
                qFatal("consumed %lld of %lld bytes", qlonglong(step.consumed),
                       qlonglong(piece.size()));
            if (!step.data.isEmpty() &&
                (step.data.data() < piece.data() ||
                 step.data.data() + step.data.size() > piece.data() + step.consumed))
                qFatal("decoded data outside the consumed input");
            body += step.data;
            consumed += step.consumed;
            piece = piece.sliced(step.consumed);
            status = step.status;
            if (status == ChunkStatus::NeedMore && step.consumed == 0)
                qFatal("no progress");
        }
    }
    return body;
}

// "GET / HTTP/1.1", a Host and one field long enough to make the head `size` bytes.
QByteArray headOfSize(qsizetype size) {
    const QByteArray start = "GET / HTTP/1.1\r\nHost: a\r\nX: ";
    return start + QByteArray(size - start.size() - 4, 'v') + "\r\n\r\n";
}

const QByteArray kChunkedBody = "5\r\nhello\r\n"
                                "6;name=value;flag\r\n world\r\n"
                                "1A \t;quoted=\"a b\"\r\nabcdefghijklmnopqrstuvwxyz\r\n"
                                "0\r\n"
                                "X-Checksum: 1234\r\n"
                                "X-Other: a\r\n"
                                "\r\n";
const QByteArray kDecodedBody = "hello worldabcdefghijklmnopqrstuvwxyz";

} // namespace

class TestRequestParser : public QObject {
    Q_OBJECT
private Q_SLOTS:
    // --- A valid head ------------------------------------------------------------------

    void parsesGetWithSeveralHeaders() {
        const QByteArray request =
            head({"GET /docs/index.html?lang=en&x=1 HTTP/1.1", "Host: example.com:8080",
                  "User-Agent: curl/8.0", "Accept: */*", "X-Empty:", "X-Spaced: \t a  b \t"});
        RequestHead parsed;
        const HeadResult result = parseWhole(request, parsed);
        QCOMPARE(outcome(result), complete(request.size()));
        QCOMPARE(result.httpStatus, 0);
        QCOMPARE(parsed.method, Method::Get);
        QCOMPARE(text(parsed.methodText, request), "GET");
        QCOMPARE(text(parsed.target, request), "/docs/index.html?lang=en&x=1");
        QCOMPARE(text(parsed.path, request), "/docs/index.html");
        QCOMPARE(text(parsed.query, request), "lang=en&x=1");
        QCOMPARE(parsed.minorVersion, 1);
        QCOMPARE(text(parsed.host, request), "example.com:8080");
        QCOMPARE(parsed.contentLength, -1);
        QVERIFY(!parsed.isChunked);
        QVERIFY(parsed.keepAlive);
        QVERIFY(!parsed.expectsContinue);
        QVERIFY(!parsed.hasBody());
        QCOMPARE(describeFields(parsed, request), "Host=example.com:8080|User-Agent=curl/8.0|"
                                                  "Accept=*/*|X-Empty=|X-Spaced=a  b|");
    }

    void fieldLookupIgnoresCaseAndReturnsTheFirst() {
        const QByteArray request =
            head({"GET / HTTP/1.1", "Host: a", "X-Tag: one", "x-tag: two", "X-Empty:"});
        RequestHead parsed;
        QCOMPARE(outcome(parseWhole(request, parsed)), complete(request.size()));
        QCOMPARE(parsed.field(request, "HOST"), "a");
        QCOMPARE(parsed.field(request, "X-TAG"), "one");
        QVERIFY(parsed.field(request, "x-empty").isEmpty());
        QVERIFY(!parsed.field(request, "x-empty").isNull());
        QVERIFY(parsed.field(request, "X-Missing").isNull());
        QVERIFY(parsed.field(request, "X-Ta").isNull());
    }

    // RFC 9112 §3.2: Host must be there on HTTP/1.1, but may be empty.
    void hostMayBeEmpty() {
        const QByteArray request = head({"GET / HTTP/1.1", "Host:"});
        RequestHead parsed;
        QCOMPARE(outcome(parseWhole(request, parsed)), complete(request.size()));
        QVERIFY(parsed.host.isEmpty());
    }

    void mapsMethods_data() {
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<Method>("expected");
        QTest::newRow("GET") << QByteArray("GET") << Method::Get;
        QTest::newRow("HEAD") << QByteArray("HEAD") << Method::Head;
        QTest::newRow("POST") << QByteArray("POST") << Method::Post;
        QTest::newRow("PUT") << QByteArray("PUT") << Method::Put;
        QTest::newRow("DELETE") << QByteArray("DELETE") << Method::Delete;
        QTest::newRow("PATCH") << QByteArray("PATCH") << Method::Patch;
        QTest::newRow("OPTIONS") << QByteArray("OPTIONS") << Method::Options;
        QTest::newRow("unknown token") << QByteArray("BREW") << Method::Other;
        QTest::newRow("token punctuation") << QByteArray("M-SEARCH") << Method::Other;
        QTest::newRow("methods are case-sensitive") << QByteArray("get") << Method::Other;
        QTest::newRow("prefix of a known one") << QByteArray("GETS") << Method::Other;
    }
    void mapsMethods() {
        QFETCH(QByteArray, method);
        QFETCH(Method, expected);
        const QByteArray request = head({method + " / HTTP/1.1", "Host: a"});
        RequestHead parsed;
        QCOMPARE(outcome(parseWhole(request, parsed)), complete(request.size()));
        QCOMPARE(parsed.method, expected);
        QCOMPARE(text(parsed.methodText, request), method);
    }

    void splitsTargets_data() {
        QTest::addColumn<QByteArray>("requestLine");
        QTest::addColumn<QByteArray>("path");
        QTest::addColumn<QByteArray>("query");
        QTest::addColumn<QByteArray>("host");
        QTest::newRow("root") << QByteArray("GET / HTTP/1.1") << QByteArray("/") << QByteArray()
                              << QByteArray("field.example");
        QTest::newRow("percent-encoded path stays encoded")
            << QByteArray("GET /a%20b/c HTTP/1.1") << QByteArray("/a%20b/c") << QByteArray()
            << QByteArray("field.example");
        QTest::newRow("query after the first ?")
            << QByteArray("GET /a?b=1?c HTTP/1.1") << QByteArray("/a") << QByteArray("b=1?c")
            << QByteArray("field.example");
        QTest::newRow("empty query") << QByteArray("GET /a? HTTP/1.1") << QByteArray("/a")
                                     << QByteArray() << QByteArray("field.example");
        QTest::newRow("asterisk-form with OPTIONS")
            << QByteArray("OPTIONS * HTTP/1.1") << QByteArray("*") << QByteArray()
            << QByteArray("field.example");
        QTest::newRow("absolute-form: host from the target")
            << QByteArray("GET http://target.example/a/b?q HTTP/1.1") << QByteArray("/a/b")
            << QByteArray("q") << QByteArray("target.example");
        QTest::newRow("absolute-form https with port, scheme in any case")
            << QByteArray("GET HTTPS://target.example:8443/x HTTP/1.1") << QByteArray("/x")
            << QByteArray() << QByteArray("target.example:8443");
        QTest::newRow("absolute-form without a path: empty path means /")
            << QByteArray("GET http://target.example HTTP/1.1") << QByteArray() << QByteArray()
            << QByteArray("target.example");
        QTest::newRow("absolute-form with a query but no path")
            << QByteArray("GET http://target.example?q=1 HTTP/1.1") << QByteArray()
            << QByteArray("q=1") << QByteArray("target.example");
        QTest::newRow("absolute-form IPv6 literal")
            << QByteArray("GET http://[::1]:80/ HTTP/1.1") << QByteArray("/") << QByteArray()
            << QByteArray("[::1]:80");
    }
    void splitsTargets() {
        QFETCH(QByteArray, requestLine);
        QFETCH(QByteArray, path);
        QFETCH(QByteArray, query);
        QFETCH(QByteArray, host);
        const QByteArray request = head({requestLine, "Host: field.example"});
        RequestHead parsed;
        QCOMPARE(outcome(parseWhole(request, parsed)), complete(request.size()));
        QCOMPARE(text(parsed.target, request), requestLine.split(' ').at(1));
        QCOMPARE(text(parsed.path, request), path);
        QCOMPARE(text(parsed.query, request), query);
        QCOMPARE(text(parsed.host, request), host);
    }

    void derivesFraming_data() {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<qint64>("contentLength");
        QTest::addColumn<bool>("isChunked");
        QTest::addColumn<bool>("keepAlive");
        QTest::addColumn<bool>("expectsContinue");
        const auto row = [](const char *name, QByteArray request, qint64 contentLength,
                            bool isChunked, bool keepAlive, bool expectsContinue) {
            QTest::newRow(name) << request << contentLength << isChunked << keepAlive
                                << expectsContinue;
        };
        row("HTTP/1.1 defaults", head({"GET / HTTP/1.1", "Host: a"}), -1, false, true, false);
        row("HTTP/1.0 defaults, Host optional", head({"GET / HTTP/1.0"}), -1, false, false, false);
        row("Content-Length: 0", head({"POST / HTTP/1.1", "Host: a", "Content-Length: 0"}), 0,
            false, true, false);
        row("Content-Length with leading zeros and OWS",
            head({"POST / HTTP/1.1", "Host: a", "content-length: \t00042 "}), 42, false, true,
            false);
        row("Content-Length of 2^62",
            head({"POST / HTTP/1.1", "Host: a", "Content-Length: 4611686018427387904"}),
            Q_INT64_C(4611686018427387904), false, true, false);
        row("chunked", head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked"}), -1, true,
            true, false);
        row("chunked in any case with OWS",
            head({"POST / HTTP/1.1", "Host: a", "transfer-encoding: \tChUnKeD \t"}), -1, true, true,
            false);
        row("Connection: close", head({"GET / HTTP/1.1", "Host: a", "Connection: close"}), -1,
            false, false, false);
        row("close among other options",
            head({"GET / HTTP/1.1", "Host: a", "Connection: Upgrade, ,CLOSE , TE"}), -1, false,
            false, false);
        row("Connection: keep-alive on HTTP/1.1",
            head({"GET / HTTP/1.1", "Host: a", "Connection: keep-alive"}), -1, false, true, false);
        row("HTTP/1.0 keep-alive", head({"GET / HTTP/1.0", "Connection: Keep-Alive"}), -1, false,
            true, false);
        row("HTTP/1.0 close wins over keep-alive in one field",
            head({"GET / HTTP/1.0", "Connection: close, keep-alive"}), -1, false, false, false);
        row("HTTP/1.0 close wins over a later keep-alive field",
            head({"GET / HTTP/1.0", "Connection: close", "Connection: keep-alive"}), -1, false,
            false, false);
        row("unrelated option keeps the default",
            head({"GET / HTTP/1.1", "Host: a", "Connection: closed"}), -1, false, true, false);
        row("Expect: 100-continue",
            head({"PUT / HTTP/1.1", "Host: a", "Content-Length: 5", "Expect: 100-Continue"}), 5,
            false, true, true);
        row("Expect: 100-continue is ignored on HTTP/1.0",
            head({"PUT / HTTP/1.0", "Content-Length: 5", "Expect: 100-continue"}), 5, false, false,
            false);
    }
    void derivesFraming() {
        QFETCH(QByteArray, request);
        QFETCH(qint64, contentLength);
        QFETCH(bool, isChunked);
        QFETCH(bool, keepAlive);
        QFETCH(bool, expectsContinue);
        RequestHead parsed;
        QCOMPARE(outcome(parseWhole(request, parsed)), complete(request.size()));
        QCOMPARE(parsed.contentLength, contentLength);
        QCOMPARE(parsed.isChunked, isChunked);
        QCOMPARE(parsed.keepAlive, keepAlive);
        QCOMPARE(parsed.expectsContinue, expectsContinue);
        QCOMPARE(parsed.hasBody(), isChunked || contentLength > 0);
    }

    void acceptsFieldValues_data() {
        QTest::addColumn<QByteArray>("line");
        QTest::addColumn<QByteArray>("value");
        QTest::newRow("OWS trimmed both sides") << QByteArray("X: \t a b \t") << QByteArray("a b");
        QTest::newRow("no space after colon") << QByteArray("X:a") << QByteArray("a");
        QTest::newRow("empty") << QByteArray("X:") << QByteArray();
        QTest::newRow("only whitespace") << QByteArray("X: \t ") << QByteArray();
        QTest::newRow("HTAB inside") << QByteArray("X: a\tb") << QByteArray("a\tb");
        QTest::newRow("obs-text (UTF-8)")
            << QByteArray("X: caf\xc3\xa9 \xff") << QByteArray("caf\xc3\xa9 \xff");
        QTest::newRow("long value with a late HTAB")
            << QByteArray("X: " + QByteArray(100, 'v') + "\t!")
            << QByteArray(QByteArray(100, 'v') + "\t!");
        QTest::newRow("token punctuation in the name")
            << QByteArray("!#$%&'*+-.^_`|~09az: v") << QByteArray("v");
    }
    void acceptsFieldValues() {
        QFETCH(QByteArray, line);
        QFETCH(QByteArray, value);
        const QByteArray request = head({"GET / HTTP/1.1", "Host: a", line});
        RequestHead parsed;
        QCOMPARE(outcome(parseWhole(request, parsed)), complete(request.size()));
        QCOMPARE(parsed.fields.size(), 2);
        QCOMPARE(text(parsed.fields.at(1).value, request), value);
    }

    // Every byte value at every position of values of lengths around the 16-byte blocks they
    // are checked in: allowed are HTAB, SP, VCHAR and obs-text; everything else is a 400.
    void classifiesEveryByteInFieldValues() {
        for (const int length : {1, 2, 7, 15, 16, 17, 31, 33}) {
            for (int byte = 0; byte < 256; ++byte) {
                const char c = static_cast<char>(byte);
                const bool isAllowed = c == '\t' || (byte >= 0x20 && byte != 0x7F);
                for (int at = 0; at < length; ++at) {
                    // Between non-whitespace, so OWS trimming leaves the value whole.
                    QByteArray value = '<' + QByteArray(length, 'v') + '>';
                    value[at + 1] = c;
                    const QByteArray request = head({"GET / HTTP/1.1", "Host: a", "X: " + value});
                    RequestHead parsed;
                    const HeadResult result = parseWhole(request, parsed);
                    const QByteArray where = "byte " + QByteArray::number(byte) + " at " +
                                             QByteArray::number(at) + " of " +
                                             QByteArray::number(length) + ": " + outcome(result);
                    QVERIFY2(isAllowed ? result.status == HeadStatus::Complete
                                       : result.httpStatus == 400,
                             where.constData());
                    if (isAllowed)
                        QCOMPARE(text(parsed.fields.at(1).value, request), value);
                }
            }
        }
    }

    void queryStartsAtTheFirstQuestionMark() {
        for (int length = 2; length <= 40; ++length) {
            for (int at = 1; at < length; ++at) {
                QByteArray target = '/' + QByteArray(length - 1, 'p');
                target[at] = '?';
                if (at + 2 < length)
                    target[at + 2] = '?';
                const QByteArray request = head({"GET " + target + " HTTP/1.1", "Host: a"});
                RequestHead parsed;
                QCOMPARE(outcome(parseWhole(request, parsed)), complete(request.size()));
                QCOMPARE(text(parsed.path, request), target.first(at));
                QCOMPARE(text(parsed.query, request), target.sliced(at + 1));
            }
        }
    }

    void classifiesEveryByteInNamesAndTargets() {
        const QByteArrayView tokenPunctuation = "!#$%&'*+-.^_`|~";
        for (int byte = 0; byte < 256; ++byte) {
            const char c = static_cast<char>(byte);
            const bool isAlnum =
                (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
            const bool isTokenChar = isAlnum || (byte < 0x80 && tokenPunctuation.contains(c));
            RequestHead parsed;
            const HeadResult name = parseWhole(
                head({"GET / HTTP/1.1", "Host: a", "X" + QByteArray(1, c) + "Y: v"}), parsed);
            const bool endsTheName = c == ':'; // "X:Y: v" is X with the value "Y: v"
            QVERIFY2(isTokenChar || endsTheName ? name.status == HeadStatus::Complete
                                                : name.httpStatus == 400,
                     QByteArray("name byte " + QByteArray::number(byte)).constData());
            const HeadResult method =
                parseWhole(head({"G" + QByteArray(1, c) + "T / HTTP/1.1", "Host: a"}), parsed);
            QVERIFY2(isTokenChar ? method.status == HeadStatus::Complete : method.httpStatus == 400,
                     QByteArray("method byte " + QByteArray::number(byte)).constData());
            const bool isVisible = byte >= 0x21 && byte <= 0x7E;
            for (const int length : {1, 15, 16, 17, 40}) {
                for (int at = 0; at < length; ++at) {
                    QByteArray target = '/' + QByteArray(length, 't');
                    target[at + 1] = c;
                    const HeadResult result =
                        parseWhole(head({"GET " + target + " HTTP/1.1", "Host: a"}), parsed);
                    QVERIFY2(isVisible ? result.status == HeadStatus::Complete
                                       : result.httpStatus == 400,
                             QByteArray("target byte " + QByteArray::number(byte) + " at " +
                                        QByteArray::number(at))
                                 .constData());
                }
            }
        }
    }

    // --- Everything refused, with its status ---------------------------------------------

    void rejects_data() {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("httpStatus");
        const QByteArray nul(1, '\0');
        const auto row = [](const char *name, const QByteArray &request, int httpStatus) {
            QTest::newRow(name) << request << httpStatus;
        };

        // Request line
        row("empty request line", "\r\n\r\n", 400);
        row("empty line before the request line", "\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
        row("empty method", head({" / HTTP/1.1", "Host: a"}), 400);
        row("method with a non-token character", head({"GE(T / HTTP/1.1", "Host: a"}), 400);
        row("method with obs-text", head({"G\xc3\x89T / HTTP/1.1", "Host: a"}), 400);
        row("two spaces after the method", head({"GET  / HTTP/1.1", "Host: a"}), 400);
        row("two spaces before the version", head({"GET /  HTTP/1.1", "Host: a"}), 400);
        row("tab as separator", head({"GET\t/ HTTP/1.1", "Host: a"}), 400);
        row("space inside the target", head({"GET /a b HTTP/1.1", "Host: a"}), 400);
        row("no target", head({"GET HTTP/1.1", "Host: a"}), 400);
        row("no version (HTTP/0.9)", head({"GET /"}), 400);
        row("space after the version", head({"GET / HTTP/1.1 ", "Host: a"}), 400);
        row("lowercase version", head({"GET / http/1.1", "Host: a"}), 400);
        row("two-digit minor version", head({"GET / HTTP/1.10", "Host: a"}), 400);
        row("version without minor", head({"GET / HTTP/1", "Host: a"}), 400);
        row("control character in the target", head({"GET /a\x01 HTTP/1.1", "Host: a"}), 400);
        row("NUL in the target", head({"GET /a" + nul + " HTTP/1.1", "Host: a"}), 400);
        row("DEL in the target", head({"GET /a\x7f HTTP/1.1", "Host: a"}), 400);
        row("obs-text in the target", head({"GET /caf\xc3\xa9 HTTP/1.1", "Host: a"}), 400);
        row("relative target", head({"GET a/b HTTP/1.1", "Host: a"}), 400);
        row("asterisk with GET", head({"GET * HTTP/1.1", "Host: a"}), 400);
        row("asterisk with a path", head({"OPTIONS */a HTTP/1.1", "Host: a"}), 400);
        row("authority-form", head({"CONNECT a.example:443 HTTP/1.1", "Host: a"}), 400);
        row("absolute-form with another scheme", head({"GET ftp://a.example/ HTTP/1.1"}), 400);
        row("absolute-form without a host", head({"GET http:///a HTTP/1.1", "Host: a"}), 400);
        row("absolute-form with userinfo", head({"GET http://user@a.example/ HTTP/1.1", "Host: a"}),
            400);
        row("absolute-form scheme only", head({"GET http:// HTTP/1.1", "Host: a"}), 400);

        // Versions
        row("HTTP/2.0", head({"GET / HTTP/2.0", "Host: a"}), 505);
        row("HTTP/1.2", head({"GET / HTTP/1.2", "Host: a"}), 505);
        row("HTTP/0.9", head({"GET / HTTP/0.9", "Host: a"}), 505);
        row("HTTP/3.0", head({"GET / HTTP/3.0", "Host: a"}), 505);
        row("HTTP/2 connection preface", "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505);

        // Line endings
        row("bare LF ends the request line", "GET / HTTP/1.1\nHost: a\r\n\r\n", 400);
        row("bare LF ends a field line", "GET / HTTP/1.1\r\nHost: a\nX: b\r\n\r\n", 400);
        row("bare LF ends the head", "GET / HTTP/1.1\r\nHost: a\r\n\n", 400);
        row("LF LF ends the head", "GET / HTTP/1.1\nHost: a\n\n", 400);
        row("bare CR in the request line", "GET /\r HTTP/1.1\r\nHost: a\r\n\r\n", 400);
        row("bare CR in a field value", "GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400);
        row("CR CR LF", "GET / HTTP/1.1\r\nHost: a\r\r\n\r\n", 400);

        // Field lines
        row("obs-fold", head({"GET / HTTP/1.1", "Host: a", "X: a", " b"}), 400);
        row("obs-fold with HTAB", head({"GET / HTTP/1.1", "Host: a", "X: a", "\tb"}), 400);
        row("whitespace before the first field", head({"GET / HTTP/1.1", " Host: a"}), 400);
        row("space between name and colon", head({"GET / HTTP/1.1", "Host : a"}), 400);
        row("tab between name and colon", head({"GET / HTTP/1.1", "Host: a", "X\t: b"}), 400);
        row("empty field name", head({"GET / HTTP/1.1", "Host: a", ": b"}), 400);
        row("no colon", head({"GET / HTTP/1.1", "Host: a", "X-Flag"}), 400);
        row("non-token character in the name", head({"GET / HTTP/1.1", "Host: a", "X(: b"}), 400);
        row("obs-text in the name", head({"GET / HTTP/1.1", "Host: a", "X\xc3\xa9: b"}), 400);
        row("NUL in a value", head({"GET / HTTP/1.1", "Host: a", "X: a" + nul + "b"}), 400);
        row("DEL in a value", head({"GET / HTTP/1.1", "Host: a", "X: a\x7f"}), 400);
        row("ESC in a value", head({"GET / HTTP/1.1", "Host: a", "X: \x1b[31m"}), 400);
        row("control character in a long value",
            head({"GET / HTTP/1.1", "Host: a",
                  "X: " + QByteArray(40, 'v') + "\x01" + QByteArray(40, 'v')}),
            400);

        // Host
        row("missing Host on HTTP/1.1", head({"GET / HTTP/1.1", "Accept: */*"}), 400);
        row("missing Host with an absolute-form target", head({"GET http://a.example/ HTTP/1.1"}),
            400);
        row("two Host fields", head({"GET / HTTP/1.1", "Host: a", "Host: a"}), 400);
        row("two Host fields in different case", head({"GET / HTTP/1.1", "Host: a", "HOST: b"}),
            400);
        row("space inside Host", head({"GET / HTTP/1.1", "Host: a b"}), 400);
        row("slash in Host", head({"GET / HTTP/1.1", "Host: a/../b"}), 400);
        row("userinfo in Host", head({"GET / HTTP/1.1", "Host: user@a"}), 400);

        // Content-Length
        row("Content-Length: +5", head({"POST / HTTP/1.1", "Host: a", "Content-Length: +5"}), 400);
        row("Content-Length: -1", head({"POST / HTTP/1.1", "Host: a", "Content-Length: -1"}), 400);
        row("Content-Length: 5, 5", head({"POST / HTTP/1.1", "Host: a", "Content-Length: 5, 5"}),
            400);
        row("Content-Length: 5 5", head({"POST / HTTP/1.1", "Host: a", "Content-Length: 5 5"}),
            400);
        row("Content-Length: 0x5", head({"POST / HTTP/1.1", "Host: a", "Content-Length: 0x5"}),
            400);
        row("empty Content-Length", head({"POST / HTTP/1.1", "Host: a", "Content-Length:"}), 400);
        row("Content-Length of 2^62 + 1",
            head({"POST / HTTP/1.1", "Host: a", "Content-Length: 4611686018427387905"}), 400);
        row("Content-Length overflowing 64 bits",
            head({"POST / HTTP/1.1", "Host: a", "Content-Length: 99999999999999999999999999"}),
            400);
        row("Content-Length twice, equal",
            head({"POST / HTTP/1.1", "Host: a", "Content-Length: 5", "Content-Length: 5"}), 400);
        row("Content-Length twice, different",
            head({"POST / HTTP/1.1", "Host: a", "Content-Length: 5", "content-length: 6"}), 400);

        // Transfer-Encoding
        row("Transfer-Encoding: gzip",
            head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding: gzip"}), 501);
        row("Transfer-Encoding: gzip, chunked",
            head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding: gzip, chunked"}), 501);
        row("Transfer-Encoding: chunked, chunked",
            head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked, chunked"}), 501);
        row("Transfer-Encoding: identity",
            head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding: identity"}), 501);
        row("Transfer-Encoding with a parameter",
            head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked;q=1"}), 501);
        row("empty Transfer-Encoding", head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding:"}),
            501);
        row("Transfer-Encoding on HTTP/1.0",
            head({"POST / HTTP/1.0", "Transfer-Encoding: chunked"}), 400);
        row("Transfer-Encoding twice",
            head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked",
                  "Transfer-Encoding: chunked"}),
            400);

        // Expect
        row("Expect: something else", head({"PUT / HTTP/1.1", "Host: a", "Expect: 200-ok"}), 417);
        row("Expect: 100-continue among others",
            head({"PUT / HTTP/1.1", "Host: a", "Expect: 100-continue, x"}), 417);
        row("empty Expect", head({"PUT / HTTP/1.1", "Host: a", "Expect:"}), 417);

        // Request smuggling classics: every way two servers could disagree on the framing.
        row("smuggling: Content-Length then Transfer-Encoding",
            head({"POST / HTTP/1.1", "Host: a", "Content-Length: 6", "Transfer-Encoding: chunked"}),
            400);
        row("smuggling: Transfer-Encoding then Content-Length",
            head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding: chunked", "Content-Length: 6"}),
            400);
        row("smuggling: Content-Length with an unsupported Transfer-Encoding",
            head({"POST / HTTP/1.1", "Host: a", "Content-Length: 6", "Transfer-Encoding: gzip"}),
            400);
        row("smuggling: Transfer-Encoding : chunked",
            head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding : chunked"}), 400);
        row("smuggling: Transfer-Encoding: xchunked",
            head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding: xchunked"}), 501);
        row("smuggling: Transfer-Encoding folded onto the next line",
            head({"POST / HTTP/1.1", "Host: a", "Transfer-Encoding:", " chunked"}), 501);
        row("smuggling: Transfer-Encoding: chunked with a control character",
            head({"POST / HTTP/1.1", "Host: a",
                  "Transfer-Encoding: \x0b"
                  "chunked"}),
            400);
        row("smuggling: Content-Length: +5",
            head({"POST / HTTP/1.1", "Host: a", "Content-Length: +5"}), 400);
        row("smuggling: Content-Length: 5, 5",
            head({"POST / HTTP/1.1", "Host: a", "Content-Length: 5, 5"}), 400);
        row("smuggling: leading LF", "\nGET / HTTP/1.1\r\nHost: a\r\n\r\n", 400);
        row("smuggling: header with a bare CR",
            "POST / HTTP/1.1\r\nHost: a\r\nX: a\rTransfer-Encoding: chunked\r\n\r\n", 400);
        row("smuggling: header line ending in bare LF",
            "POST / HTTP/1.1\r\nHost: a\r\nX: a\nTransfer-Encoding: chunked\r\n\r\n", 400);
    }
    void rejects() {
        QFETCH(QByteArray, request);
        QFETCH(int, httpStatus);
        RequestHead parsed;
        const HeadResult whole = parseWhole(request, parsed);
        QCOMPARE(whole.status, HeadStatus::Invalid);
        QCOMPARE(whole.httpStatus, httpStatus);
        QVERIFY(whole.reason && qstrlen(whole.reason) > 0);
        QCOMPARE(whole.length, 0);
        // The same verdict when the bytes trickle in.
        RequestHead trickled;
        QCOMPARE(outcome(parseByteByByte(request, trickled)), outcome(whole));
    }

    void reasonsSayWhatIsWrong() {
        const auto reasonFor = [](const QByteArray &request) {
            RequestHead parsed;
            return QByteArray(parseWhole(request, parsed).reason);
        };
        QCOMPARE(reasonFor(head({"POST / HTTP/1.1", "Host: a", "Content-Length: 1",
                                 "Transfer-Encoding: chunked"})),
                 "Both Content-Length and Transfer-Encoding");
        QCOMPARE(reasonFor(head({"GET / HTTP/1.1"})), "Missing Host header");
        QCOMPARE(reasonFor(head({"GET / HTTP/1.1", "Host: a", "X: a", " b"})),
                 "Obsolete line folding");
        QCOMPARE(reasonFor(head({"GET / HTTP/1.1", "Host : a"})),
                 "Whitespace between header name and colon");
        QCOMPARE(reasonFor("GET / HTTP/1.1\r\nHost: a\n\r\n"), "Line ending in LF without CR");
        QCOMPARE(reasonFor(head({"GET / HTTP/2.0"})), "HTTP version not supported");
        QCOMPARE(reasonFor("GET /" + QByteArray(9000, 'a') + " HTTP/1.1\r\n"),
                 "Request line too long");
        QCOMPARE(reasonFor("GET / HTTP/1.1\r\nX: " + QByteArray(40000, 'a')),
                 "Header section too large");
    }

    // --- Limits, exactly at and one past each boundary -------------------------------------

    void requestLineLimit() {
        const HeadLimits limits{64, 1024, 10};
        const auto requestLine = [](qsizetype length) -> QByteArray {
            const QByteArray fixed = "GET / HTTP/1.1";
            return "GET /" + QByteArray(length - fixed.size(), 'a') + " HTTP/1.1";
        };
        RequestHead parsed;
        const QByteArray atLimit = head({requestLine(64), "Host: a"});
        QCOMPARE(outcome(parseWhole(atLimit, parsed, limits)), complete(atLimit.size()));
        QCOMPARE(outcome(parseByteByByte(atLimit, parsed, limits)), complete(atLimit.size()));

        const QByteArray pastLimit = head({requestLine(65), "Host: a"});
        QCOMPARE(parseWhole(pastLimit, parsed, limits).httpStatus, 414);
        QCOMPARE(parseByteByByte(pastLimit, parsed, limits).httpStatus, 414);

        // Decided as soon as the 65th byte is not the CR, without waiting for any line end.
        QCOMPARE(parseWhole(requestLine(65), parsed, limits).httpStatus, 414);
        QCOMPARE(outcome(parseWhole(requestLine(64), parsed, limits)), "Incomplete");
        QCOMPARE(outcome(parseWhole(requestLine(64) + "\r", parsed, limits)), "Incomplete");
        QCOMPARE(parseWhole(requestLine(64) + "\r\r", parsed, limits).httpStatus, 414);
        QCOMPARE(parseWhole(requestLine(64) + "\n", parsed, limits).httpStatus, 400);
    }

    void requestLineLimitByDefault() {
        RequestHead parsed;
        const QByteArray longest = "GET /" + QByteArray(8192 - 14, 'a') + " HTTP/1.1";
        QCOMPARE(longest.size(), 8192);
        const QByteArray atLimit = head({longest, "Host: a"});
        QCOMPARE(outcome(parseWhole(atLimit, parsed)), complete(atLimit.size()));
        QCOMPARE(parseWhole(head({longest + 'a', "Host: a"}), parsed).httpStatus, 414);
    }

    void headSizeLimit() {
        const HeadLimits limits{64, 128, 10};
        RequestHead parsed;
        const QByteArray atLimit = headOfSize(128);
        QCOMPARE(outcome(parseWhole(atLimit, parsed, limits)), complete(128));
        QCOMPARE(outcome(parseByteByByte(atLimit, parsed, limits)), complete(128));

        const QByteArray pastLimit = headOfSize(129);
        QCOMPARE(parseWhole(pastLimit, parsed, limits).httpStatus, 431);
        QCOMPARE(parseByteByByte(pastLimit, parsed, limits).httpStatus, 431);

        // Decided once 128 bytes are buffered without the end of the head among them.
        QCOMPARE(outcome(parseWhole(pastLimit.first(127), parsed, limits)), "Incomplete");
        QCOMPARE(parseWhole(pastLimit.first(128), parsed, limits).httpStatus, 431);
        // A body after a head that fits is none of the head's business.
        const QByteArray withBody = atLimit + QByteArray(1000, 'b');
        QCOMPARE(outcome(parseWhole(withBody, parsed, limits)), complete(128));
    }

    void headSizeLimitByDefault() {
        RequestHead parsed;
        const QByteArray atLimit = headOfSize(32 * 1024);
        QCOMPARE(outcome(parseWhole(atLimit, parsed)), complete(atLimit.size()));
        QCOMPARE(parseWhole(headOfSize(32 * 1024 + 1), parsed).httpStatus, 431);
    }

    void fieldCountLimit() {
        const HeadLimits limits{64, 1024, 3};
        RequestHead parsed;
        const QByteArray atLimit = head({"GET / HTTP/1.1", "Host: a", "B: 2", "C: 3"});
        QCOMPARE(outcome(parseWhole(atLimit, parsed, limits)), complete(atLimit.size()));
        QCOMPARE(parsed.fields.size(), 3);

        const QByteArray pastLimit = head({"GET / HTTP/1.1", "Host: a", "B: 2", "C: 3", "D: 4"});
        QCOMPARE(parseWhole(pastLimit, parsed, limits).httpStatus, 431);
        // Decided when the fourth field line ends, before the head does.
        const QByteArray unfinished = "GET / HTTP/1.1\r\nHost: a\r\nB: 2\r\nC: 3\r\nD: 4\r\n";
        QCOMPARE(parseWhole(unfinished, parsed, limits).httpStatus, 431);
        QCOMPARE(outcome(parseWhole(unfinished.chopped(1), parsed, limits)), "Incomplete");
    }

    void fieldCountLimitByDefaultBeyondTheInlineFields() {
        QByteArray request = "GET / HTTP/1.1\r\nHost: a\r\n";
        for (int i = 1; i < 100; ++i)
            request += "X-" + QByteArray::number(i) + ": " + QByteArray::number(i) + "\r\n";
        RequestHead parsed;
        QCOMPARE(outcome(parseWhole(request + "\r\n", parsed)), complete(request.size() + 2));
        QCOMPARE(parsed.fields.size(), 100);
        QCOMPARE(parsed.field(request, "x-99"), "99");
        QCOMPARE(parseWhole(request + "X-100: 100\r\n\r\n", parsed).httpStatus, 431);
    }

    // --- Incremental parsing ---------------------------------------------------------------

    void isIncompleteUntilTheLastByte() {
        const QByteArray request =
            head({"POST /upload?x=1 HTTP/1.1", "Host: example.com", "Content-Length: 12",
                  "Content-Type: text/plain", "Connection: close"});
        RequestHead oneShot;
        QCOMPARE(outcome(parseWhole(request, oneShot)), complete(request.size()));

        RequestHead parsed;
        qsizetype scanned = 0;
        for (qsizetype n = 0; n < request.size(); ++n) {
            const HeadResult result = parseHead(request.first(n), {}, parsed, scanned);
            QVERIFY2(result.status == HeadStatus::Incomplete,
                     QByteArray(outcome(result) + " after " + QByteArray::number(n)));
        }
        QCOMPARE(outcome(parseHead(request, {}, parsed, scanned)), complete(request.size()));
        QCOMPARE(describe(parsed, request), describe(oneShot, request));
    }

    void everySplitGivesTheSameHead() {
        const QByteArray request = head({"PUT /f HTTP/1.1", "Host: h", "Transfer-Encoding: chunked",
                                         "Expect: 100-continue", "X: \t y \t"});
        RequestHead oneShot;
        QCOMPARE(outcome(parseWhole(request, oneShot)), complete(request.size()));
        for (qsizetype split = 0; split <= request.size(); ++split) {
            RequestHead parsed;
            qsizetype scanned = 0;
            const HeadResult first = parseHead(request.first(split), {}, parsed, scanned);
            if (split < request.size())
                QCOMPARE(outcome(first), "Incomplete");
            QCOMPARE(outcome(parseHead(request, {}, parsed, scanned)), complete(request.size()));
            QCOMPARE(describe(parsed, request), describe(oneShot, request));
        }
    }

    void pipelinedRequestsParseOneAtATime() {
        const QByteArray first = head({"GET /a HTTP/1.1", "Host: a", "X-First: 1", "X-Two: 2"});
        const QByteArray second = head({"GET /b HTTP/1.1", "Host: b"});
        const QByteArray buffer = first + second;
        RequestHead parsed;
        qsizetype scanned = 0;
        const HeadResult one = parseHead(buffer, {}, parsed, scanned);
        QCOMPARE(outcome(one), complete(first.size()));
        QCOMPARE(text(parsed.path, buffer), "/a");

        const QByteArrayView rest = QByteArrayView(buffer).sliced(one.length);
        scanned = 0;
        QCOMPARE(outcome(parseHead(rest, {}, parsed, scanned)), complete(second.size()));
        QCOMPARE(parsed.path.in(rest), "/b");
        QCOMPARE(parsed.host.in(rest), "b");
        QCOMPARE(parsed.fields.size(), 1);
    }

    void headLengthExcludesTheBody() {
        const QByteArray request = head({"POST / HTTP/1.1", "Host: a", "Content-Length: 11"});
        const QByteArray buffer = request + "hello\r\n\r\nxx";
        RequestHead parsed;
        QCOMPARE(outcome(parseWhole(buffer, parsed)), complete(request.size()));
        QCOMPARE(parsed.contentLength, 11);
    }

    // Passing back a different head, or calling again after Complete, parses from the start
    // instead of trusting state that does not belong to these bytes.
    void aHeadOutOfStepIsParsedAgain() {
        const QByteArray request = head({"GET / HTTP/1.1", "Host: a", "X: 1"});
        RequestHead parsed;
        qsizetype scanned = 0;
        QCOMPARE(outcome(parseHead(request.first(20), {}, parsed, scanned)), "Incomplete");
        QVERIFY(scanned > 0);
        RequestHead other;
        QCOMPARE(outcome(parseHead(request, {}, other, scanned)), complete(request.size()));
        QCOMPARE(other.fields.size(), 2);

        const QByteArray withBody = request + "Y: not a header\r\n\r\n";
        QCOMPARE(outcome(parseHead(withBody, {}, other, scanned)), complete(request.size()));
        QCOMPARE(other.fields.size(), 2);
    }

    // A head fed one byte at a time costs O(n): each call searches only the new bytes.
    void byteByByteStaysLinear() {
        const QByteArray value(30 * 1024 - 64, 'v');
        const QByteArray request = head({"GET / HTTP/1.1", "Host: a", "X-Long: " + value});
        RequestHead parsed;
        QCOMPARE(outcome(parseByteByByte(request, parsed)), complete(request.size()));
        QCOMPARE(parsed.fields.at(1).value.length, value.size());

        // With room for 16 MiB, a quadratic parser would need about 10^14 byte visits here.
        const HeadLimits roomy{8192, 16 << 20, 100};
        const QByteArray huge =
            head({"GET / HTTP/1.1", "Host: a", "X-Huge: " + QByteArray(16 << 20, 'v').chopped(64)});
        QElapsedTimer timer;
        timer.start();
        QCOMPARE(outcome(parseByteByByte(huge, parsed, roomy)), complete(huge.size()));
        QVERIFY2(timer.elapsed() < 20'000, QByteArray(QByteArray::number(timer.elapsed()) + " ms"));
    }

    // --- Chunked bodies ------------------------------------------------------------------

    void decodesChunkedBody() {
        ChunkedDecoder decoder;
        ChunkStatus status;
        qsizetype consumed;
        QCOMPARE(decode(decoder, {kChunkedBody}, status, consumed), kDecodedBody);
        QCOMPARE(status, ChunkStatus::Done);
        QCOMPARE(consumed, kChunkedBody.size());
        QVERIFY(decoder.isDone());
        QVERIFY(!decoder.error());
    }

    void decodesChunkedBodySplitAnywhere() {
        for (qsizetype split = 0; split <= kChunkedBody.size(); ++split) {
            ChunkedDecoder decoder;
            ChunkStatus status;
            qsizetype consumed;
            const QByteArrayView body(kChunkedBody);
            QCOMPARE(decode(decoder, {body.first(split), body.sliced(split)}, status, consumed),
                     kDecodedBody);
            QCOMPARE(status, ChunkStatus::Done);
            QCOMPARE(consumed, kChunkedBody.size());
        }
        ChunkedDecoder decoder;
        QList<QByteArrayView> bytes;
        for (qsizetype i = 0; i < kChunkedBody.size(); ++i)
            bytes.append(QByteArrayView(kChunkedBody).sliced(i, 1));
        ChunkStatus status;
        qsizetype consumed;
        QCOMPARE(decode(decoder, bytes, status, consumed), kDecodedBody);
        QCOMPARE(status, ChunkStatus::Done);
    }

    void chunkedDataComesAsViewsIntoTheInput() {
        ChunkedDecoder decoder;
        const QByteArray input = "4\r\nabcd\r\n3\r\nefg\r\n0\r\n\r\n";
        ChunkedDecoder::Step step = decoder.feed(input);
        QCOMPARE(step.status, ChunkStatus::NeedMore);
        QCOMPARE(step.data, "abcd");
        QCOMPARE(step.data.data(), input.constData() + 3);
        step = decoder.feed(QByteArrayView(input).sliced(step.consumed));
        QCOMPARE(step.status, ChunkStatus::Done); // the last piece arrives with the end
        QCOMPARE(step.data, "efg");
    }

    void chunkedStopsAtTheEndOfTheBody() {
        const QByteArray next = "GET /next HTTP/1.1\r\nHost: a\r\n\r\n";
        const QByteArray input = kChunkedBody + next;
        ChunkedDecoder decoder;
        ChunkStatus status;
        qsizetype consumed;
        QCOMPARE(decode(decoder, {input}, status, consumed), kDecodedBody);
        QCOMPARE(status, ChunkStatus::Done);
        QCOMPARE(consumed, kChunkedBody.size());
        const ChunkedDecoder::Step after = decoder.feed(next);
        QCOMPARE(after.status, ChunkStatus::Done);
        QCOMPARE(after.consumed, 0);
        QVERIFY(after.data.isEmpty());
    }

    void chunkedAccepts_data() {
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QByteArray>("body");
        QTest::newRow("empty body") << QByteArray("0\r\n\r\n") << QByteArray();
        QTest::newRow("uppercase and lowercase hex")
            << QByteArray("A\r\n0123456789\r\nb\r\nabcdefghijk\r\n0\r\n\r\n")
            << QByteArray("0123456789abcdefghijk");
        QTest::newRow("16 digits with leading zeros")
            << QByteArray("0000000000000003\r\nabc\r\n0\r\n\r\n") << QByteArray("abc");
        QTest::newRow("whitespace before an extension")
            << QByteArray("3 \t;a=b\r\nabc\r\n0 ;last\r\n\r\n") << QByteArray("abc");
        QTest::newRow("size line of 4096 bytes")
            << QByteArray("3;" + QByteArray(4094, 'e') + "\r\nabc\r\n0\r\n\r\n")
            << QByteArray("abc");
        QTest::newRow("trailer line of 4096 bytes")
            << QByteArray("0\r\nX: " + QByteArray(4093, 't') + "\r\n\r\n") << QByteArray();
        QTest::newRow("obs-text in extension and trailer")
            << QByteArray("1;\xc3\xa9\r\nx\r\n0\r\nX: \xff\r\n\r\n") << QByteArray("x");
    }
    void chunkedAccepts() {
        QFETCH(QByteArray, input);
        QFETCH(QByteArray, body);
        ChunkedDecoder decoder;
        ChunkStatus status;
        qsizetype consumed;
        QCOMPARE(decode(decoder, {input}, status, consumed), body);
        QCOMPARE(status, ChunkStatus::Done);
        QCOMPARE(consumed, input.size());
    }

    void chunkedRejects_data() {
        QTest::addColumn<QByteArray>("input");
        QTest::newRow("no size") << QByteArray("\r\n\r\n");
        QTest::newRow("extension without a size") << QByteArray(";a\r\n");
        QTest::newRow("non-hex size") << QByteArray("g\r\n");
        QTest::newRow("negative size") << QByteArray("-1\r\n");
        QTest::newRow("0x prefix") << QByteArray("0x5\r\nhello\r\n0\r\n\r\n");
        QTest::newRow("17 digits") << QByteArray("00000000000000001\r\nx\r\n0\r\n\r\n");
        QTest::newRow("17 digits overflowing") << QByteArray("10000000000000000\r\n");
        QTest::newRow("whitespace after the size") << QByteArray("5 \r\nhello\r\n0\r\n\r\n");
        QTest::newRow("whitespace then garbage") << QByteArray("5 x\r\nhello\r\n0\r\n\r\n");
        QTest::newRow("bare LF after the size") << QByteArray("5\nhello\r\n0\r\n\r\n");
        QTest::newRow("bare CR after the size") << QByteArray("5\rhello\r\n0\r\n\r\n");
        QTest::newRow("bare LF after an extension") << QByteArray("5;a\nhello\r\n0\r\n\r\n");
        QTest::newRow("control character in an extension")
            << QByteArray("5;a\x01\r\nhello\r\n0\r\n\r\n");
        QTest::newRow("size line over 4096 bytes")
            << QByteArray("5;" + QByteArray(4095, 'e') + "\r\nhello\r\n0\r\n\r\n");
        QTest::newRow("data longer than its size") << QByteArray("5\r\nhello!\r\n0\r\n\r\n");
        QTest::newRow("data shorter than its size") << QByteArray("5\r\nhell\r\n0\r\n\r\n");
        QTest::newRow("bare LF after the data") << QByteArray("5\r\nhello\n0\r\n\r\n");
        QTest::newRow("CR without LF after the data") << QByteArray("5\r\nhello\r00\r\n\r\n");
        QTest::newRow("bare LF after the last chunk") << QByteArray("0\n\r\n");
        QTest::newRow("bare LF ending the body") << QByteArray("0\r\n\n");
        QTest::newRow("bare LF ending a trailer") << QByteArray("0\r\nX: a\n\r\n");
        QTest::newRow("bare CR in a trailer") << QByteArray("0\r\nX: a\rb\r\n\r\n");
        QTest::newRow("NUL in a trailer") << QByteArray("0\r\nX: a\0b\r\n\r\n", 13);
        QTest::newRow("trailer line over 4096 bytes")
            << QByteArray("0\r\nX: " + QByteArray(4094, 't') + "\r\n\r\n");
        QByteArray manyTrailers = "0\r\n";
        for (int i = 0; i < 100; ++i)
            manyTrailers += "X-" + QByteArray::number(i) + ": " + QByteArray(100, 't') + "\r\n";
        QTest::newRow("trailer section over 8 KiB") << manyTrailers + "\r\n";
    }
    void chunkedRejects() {
        QFETCH(QByteArray, input);
        ChunkedDecoder decoder;
        ChunkStatus status;
        qsizetype consumed;
        decode(decoder, {input}, status, consumed);
        QCOMPARE(status, ChunkStatus::Invalid);
        QVERIFY(decoder.error() && qstrlen(decoder.error()) > 0);
        QVERIFY(consumed <= input.size());
        QVERIFY(!decoder.isDone());
        // Invalid is final.
        const ChunkedDecoder::Step again = decoder.feed("0\r\n\r\n");
        QCOMPARE(again.status, ChunkStatus::Invalid);
        QCOMPARE(again.consumed, 0);

        // The same verdict one byte at a time.
        ChunkedDecoder trickled;
        QList<QByteArrayView> bytes;
        for (qsizetype i = 0; i < input.size(); ++i)
            bytes.append(QByteArrayView(input).sliced(i, 1));
        decode(trickled, bytes, status, consumed);
        QCOMPARE(status, ChunkStatus::Invalid);
        QCOMPARE(QByteArray(trickled.error()), QByteArray(decoder.error()));
    }

    void chunkedHugeSizeStreamsWithoutOverflow() {
        ChunkedDecoder decoder;
        const QByteArray input = "FFFFFFFFFFFFFFFF\r\n" + QByteArray(1000, 'x');
        ChunkStatus status;
        qsizetype consumed;
        QCOMPARE(decode(decoder, {input}, status, consumed), QByteArray(1000, 'x'));
        QCOMPARE(status, ChunkStatus::NeedMore);
        QCOMPARE(consumed, input.size());
    }
};

QTEST_APPLESS_MAIN(TestRequestParser)
#include "tst_requestparser.moc"
