// The real `fazt server start` over real sockets: static hosting, host routing, caching
// headers, ranges, the engine's limits and timeouts, and graceful shutdown.

#include "support/faztprocess.h"
#include "vfs/vfs.h"

#include <QTemporaryDir>
#include <QTest>

#include <zlib.h>

using namespace fazt;
using fazt::test::FaztProcess;
using fazt::test::fetch;
using fazt::test::HttpResponse;
using fazt::test::RawClient;

namespace {

// Over the server's large-file threshold (2 MiB): streamed, never cached.
constexpr qsizetype StreamedSize = 3 << 20;

const QByteArray bigCss = [] {
    QByteArray css;
    for (int i = 0; i < 400; ++i)
        css += ".rule-" + QByteArray::number(i) + " { color: #" +
               QByteArray::number(i * 7919 % 0xffffff, 16) +
               "; margin: " + QByteArray::number(i % 17) + "px; }\n";
    return css;
}();

QByteArray gunzip(const QByteArray &data) {
    z_stream s{};
    inflateInit2(&s, 15 + 16);
    QByteArray out(1 << 20, Qt::Uninitialized);
    s.next_in = reinterpret_cast<Bytef *>(const_cast<char *>(data.constData()));
    s.avail_in = uInt(data.size());
    s.next_out = reinterpret_cast<Bytef *>(out.data());
    s.avail_out = uInt(out.size());
    inflate(&s, Z_FINISH);
    out.truncate(qsizetype(s.total_out));
    inflateEnd(&s);
    return out;
}

} // namespace

class TestHttp : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_db;
    FaztProcess m_fazt;
    quint16 port() const { return m_fazt.port(); }

    void deploy(vfs::Vfs &vfs, const QString &site,
                const QList<QPair<QString, QByteArray>> &files) {
        QVERIFY(vfs.createSite(site));
        auto writer = vfs.beginDeploy(site);
        QVERIFY(writer);
        for (const auto &[path, content] : files)
            QVERIFY((*writer)->addFile(path, content));
        QVERIFY((*writer)->commit());
    }

private Q_SLOTS:
    void initTestCase() {
        m_db = m_dir.filePath(QStringLiteral("fazt.db"));
        QVERIFY(test::initDatabase(m_db, QStringLiteral("example.com")));
        {
            auto db = db::Database::open(m_db);
            QVERIFY(db);
            vfs::Vfs vfs(**db);
            deploy(vfs, QStringLiteral("t"),
                   {{QStringLiteral("index.html"), "<h1>t home</h1>"},
                    {QStringLiteral("about.html"), "<h1>about</h1>"},
                    {QStringLiteral("docs/index.html"), "<h1>docs</h1>"},
                    {QStringLiteral("404.html"), "<h1>custom 404</h1>"},
                    {QStringLiteral("style.css"), bigCss},
                    {QStringLiteral("app.3f9a2c1b.js"), "console.log(1)"},
                    {QStringLiteral("digits.txt"), "0123456789"},
                    {QStringLiteral("name with space.txt"), "spaced"},
                    {QStringLiteral("big.bin"), QByteArray(StreamedSize, 'b')}});
            deploy(vfs, QStringLiteral("spa"),
                   {{QStringLiteral("index.html"), "<div id=app></div>"}});
            QVERIFY(vfs.setSiteSettings(QStringLiteral("spa"), QStringLiteral("{\"spa\": true}")));
            QVERIFY((*db)
                        ->writer()
                        .submitSql("INSERT INTO domains(hostname, site_id, created_at) "
                                   "SELECT 'www.custom.test', id, 0 FROM sites WHERE name = 't'")
                        .result());
        }
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("FAZT_HTTP_HEADER_TIMEOUT_MS"), QStringLiteral("1500"));
        env.insert(QStringLiteral("FAZT_HTTP_IDLE_TIMEOUT_MS"), QStringLiteral("1500"));
        QVERIFY2(m_fazt.start({QStringLiteral("server"), QStringLiteral("start"),
                               QStringLiteral("--db"), m_db},
                              env),
                 m_fazt.output().constData());
    }

    void cleanupTestCase() { QCOMPARE(m_fazt.stop(SIGTERM), 0); }

    void servesFileWithHeaders() {
        const HttpResponse r = fetch(port(), "t.example.com", "/");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("<h1>t home</h1>"));
        QCOMPARE(r.header("Content-Type"), QByteArray("text/html; charset=utf-8"));
        QCOMPARE(r.header("Content-Length"), QByteArray("15"));
        QCOMPARE(r.header("Cache-Control"), QByteArray("no-cache"));
        QCOMPARE(r.header("X-Content-Type-Options"), QByteArray("nosniff"));
        QVERIFY(r.header("ETag").startsWith('"'));
        QVERIFY(r.header("Last-Modified").endsWith("GMT"));
        QVERIFY(r.header("Date").endsWith("GMT"));
        const HttpResponse js = fetch(port(), "t.example.com", "/app.3f9a2c1b.js");
        QCOMPARE(js.header("Cache-Control"), QByteArray("public, max-age=31536000, immutable"));
        QCOMPARE(js.header("Content-Type"), QByteArray("text/javascript; charset=utf-8"));
        QCOMPARE(fetch(port(), "t.example.com", "/name%20with%20space.txt").body,
                 QByteArray("spaced"));
    }

    void hostRouting() {
        QVERIFY(fetch(port(), "example.com", "/").body.contains("This server runs Fazt"));
        QVERIFY(fetch(port(), "root.example.com", "/").body.contains("This server runs Fazt"));
        QVERIFY(fetch(port(), "EXAMPLE.com.:8080", "/").body.contains("This server runs Fazt"));
        QVERIFY(fetch(port(), "demo.example.com", "/").body.contains("Hello from Fazt"));
        QVERIFY(fetch(port(), "demo.localhost:1234", "/").body.contains("Hello from Fazt"));
        QCOMPARE(fetch(port(), "www.custom.test", "/").body, QByteArray("<h1>t home</h1>"));
        const HttpResponse ghost = fetch(port(), "ghost.example.com", "/");
        QCOMPARE(ghost.status, 404);
        QVERIFY(ghost.body.contains("no site named"));
        const HttpResponse other = fetch(port(), "elsewhere.org", "/");
        QCOMPARE(other.status, 404);
        QVERIFY(other.body.contains("No site is configured"));
        QCOMPARE(fetch(port(), "a.b.example.com", "/").status, 404);
        QVERIFY(fetch(port(), "admin.example.com", "/").body.contains("<title>Fazt admin</title>"));
        QCOMPARE(fetch(port(), "bad host!", "/").status, 400); // the parser refuses such a Host
    }

    void conditionalRequests() {
        const HttpResponse first = fetch(port(), "t.example.com", "/about.html");
        const QByteArray etag = first.header("ETag");
        const HttpResponse cached =
            fetch(port(), "t.example.com", "/about.html", {"If-None-Match: " + etag});
        QCOMPARE(cached.status, 304);
        QVERIFY(cached.body.isEmpty());
        QCOMPARE(cached.header("ETag"), etag);
        QCOMPARE(
            fetch(port(), "t.example.com", "/about.html", {"If-None-Match: W/" + etag + ", \"x\""})
                .status,
            304);
        QCOMPARE(fetch(port(), "t.example.com", "/about.html", {"If-None-Match: \"other\""}).status,
                 200);
        const QByteArray modified = first.header("Last-Modified");
        QCOMPARE(fetch(port(), "t.example.com", "/about.html", {"If-Modified-Since: " + modified})
                     .status,
                 304);
        QCOMPARE(fetch(port(), "t.example.com", "/about.html",
                       {"If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT"})
                     .status,
                 200);
        QCOMPARE(
            fetch(port(), "t.example.com", "/about.html", {"If-Modified-Since: garbage"}).status,
            200);
    }

    // A file over the large-file threshold is streamed from the database, never cached; it
    // answers conditional requests as a cached one does.
    void streamedFilesAnswerConditionalRequests() {
        const HttpResponse first = fetch(port(), "t.example.com", "/big.bin");
        QCOMPARE(first.status, 200);
        QCOMPARE(first.body.size(), StreamedSize);
        const QByteArray modified = first.header("Last-Modified");
        QVERIFY(modified.endsWith("GMT"));
        const HttpResponse notModified =
            fetch(port(), "t.example.com", "/big.bin", {"If-Modified-Since: " + modified});
        QCOMPARE(notModified.status, 304);
        QVERIFY(notModified.body.isEmpty());
        QCOMPARE(fetch(port(), "t.example.com", "/big.bin",
                       {"If-Modified-Since: Mon, 01 Jan 2001 00:00:00 GMT"})
                     .body.size(),
                 StreamedSize);
        QCOMPARE(fetch(port(), "t.example.com", "/big.bin",
                       {"If-None-Match: \"x\", W/" + first.header("ETag")})
                     .status,
                 304);
        // If-None-Match decides alone: a tag that does not match wins over a matching date.
        QCOMPARE(fetch(port(), "t.example.com", "/big.bin",
                       {"If-None-Match: \"other\"", "If-Modified-Since: " + modified})
                     .status,
                 200);
        const HttpResponse part =
            fetch(port(), "t.example.com", "/big.bin", {"Range: bytes=-3"});
        QCOMPARE(part.status, 206);
        QCOMPARE(part.body, QByteArray("bbb"));
    }

    void ranges() {
        const HttpResponse part =
            fetch(port(), "t.example.com", "/digits.txt", {"Range: bytes=2-5"});
        QCOMPARE(part.status, 206);
        QCOMPARE(part.body, QByteArray("2345"));
        QCOMPARE(part.header("Content-Range"), QByteArray("bytes 2-5/10"));
        QCOMPARE(fetch(port(), "t.example.com", "/digits.txt", {"Range: bytes=7-"}).body,
                 QByteArray("789"));
        QCOMPARE(fetch(port(), "t.example.com", "/digits.txt", {"Range: bytes=-3"}).body,
                 QByteArray("789"));
        QCOMPARE(fetch(port(), "t.example.com", "/digits.txt", {"Range: bytes=5-100"}).body,
                 QByteArray("56789"));
        const HttpResponse outside =
            fetch(port(), "t.example.com", "/digits.txt", {"Range: bytes=10-20"});
        QCOMPARE(outside.status, 416);
        QCOMPARE(outside.header("Content-Range"), QByteArray("bytes */10"));
        QCOMPARE(fetch(port(), "t.example.com", "/digits.txt", {"Range: bytes=0-1,4-5"}).status,
                 200);
        QCOMPARE(fetch(port(), "t.example.com", "/digits.txt", {"Range: lines=1-2"}).status, 200);
        QCOMPARE(fetch(port(), "t.example.com", "/digits.txt", {"Range: bytes=5-2"}).status, 200);
        QCOMPARE(fetch(port(), "t.example.com", "/digits.txt",
                       {"Range: bytes=2-5", "If-Range: \"stale\""})
                     .status,
                 200);
    }

    void headHasHeadersButNoBody() {
        RawClient client(port());
        client.send(RawClient::request("t.example.com", "/style.css", {}, "HEAD") +
                    RawClient::request("t.example.com", "/digits.txt"));
        const HttpResponse head = client.read(true);
        QCOMPARE(head.status, 200);
        QCOMPARE(head.header("Content-Length").toLongLong(), bigCss.size());
        const HttpResponse next = client.read(); // proves no body bytes followed the HEAD
        QCOMPARE(next.body, QByteArray("0123456789"));
    }

    void cleanUrlsAndRedirects() {
        QCOMPARE(fetch(port(), "t.example.com", "/about").body, QByteArray("<h1>about</h1>"));
        const HttpResponse dir = fetch(port(), "t.example.com", "/docs?x=1");
        QCOMPARE(dir.status, 301);
        QCOMPARE(dir.header("Location"), QByteArray("/docs/?x=1"));
        QCOMPARE(fetch(port(), "t.example.com", "/docs/").body, QByteArray("<h1>docs</h1>"));
        QCOMPARE(fetch(port(), "t.example.com", "/docs/index.html").body,
                 QByteArray("<h1>docs</h1>"));
    }

    void notFoundUsesTheSitesPage() {
        const HttpResponse missing = fetch(port(), "t.example.com", "/no/such/page");
        QCOMPARE(missing.status, 404);
        QCOMPARE(missing.body, QByteArray("<h1>custom 404</h1>"));
        const HttpResponse plain = fetch(port(), "demo.example.com", "/nothing-here");
        QCOMPARE(plain.status, 404);
        QVERIFY(plain.body.contains("Nothing here")); // the demo's own 404.html
    }

    void spaFallbackServesIndex() {
        const HttpResponse deep = fetch(port(), "spa.example.com", "/users/42/profile");
        QCOMPARE(deep.status, 200);
        QCOMPARE(deep.body, QByteArray("<div id=app></div>"));
    }

    void gzipWhenAccepted() {
        const HttpResponse plain = fetch(port(), "t.example.com", "/style.css");
        QCOMPARE(plain.body, bigCss);
        QVERIFY(!plain.hasHeader("Content-Encoding"));
        QCOMPARE(plain.header("Vary"), QByteArray("Accept-Encoding"));
        const HttpResponse zipped =
            fetch(port(), "t.example.com", "/style.css", {"Accept-Encoding: br, gzip;q=0.8"});
        QCOMPARE(zipped.header("Content-Encoding"), QByteArray("gzip"));
        QVERIFY(zipped.body.size() < bigCss.size() / 2);
        QCOMPARE(gunzip(zipped.body), bigCss);
        QVERIFY(zipped.header("ETag") != plain.header("ETag"));
        QVERIFY(!fetch(port(), "t.example.com", "/style.css", {"Accept-Encoding: gzip;q=0"})
                     .hasHeader("Content-Encoding"));
        QVERIFY(!fetch(port(), "t.example.com", "/digits.txt", {"Accept-Encoding: gzip"})
                     .hasHeader("Content-Encoding")); // too small
    }

    void curlAgrees() {
        QProcess curl;
        curl.start(QStringLiteral("curl"),
                   {QStringLiteral("-sS"), QStringLiteral("--compressed"), QStringLiteral("-H"),
                    QStringLiteral("Host: t.example.com"),
                    QStringLiteral("http://127.0.0.1:%1/style.css").arg(port())});
        QVERIFY(curl.waitForFinished(10000));
        QCOMPARE(curl.exitCode(), 0);
        QCOMPARE(curl.readAllStandardOutput(), bigCss);
    }

    void keepAliveAndPipelining() {
        RawClient client(port());
        QByteArray three;
        for (const char *path : {"/digits.txt", "/about", "/nope"})
            three += RawClient::request("t.example.com", path);
        client.send(three); // one write, three requests
        QCOMPARE(client.read().body, QByteArray("0123456789"));
        QCOMPARE(client.read().body, QByteArray("<h1>about</h1>"));
        QCOMPARE(client.read().status, 404);
        client.send(RawClient::request("t.example.com", "/digits.txt", {"Connection: close"}));
        const HttpResponse last = client.read();
        QCOMPARE(last.header("Connection"), QByteArray("close"));
        QVERIFY(client.waitForClose());
    }

    void http10() {
        RawClient client(port());
        client.send("GET /digits.txt HTTP/1.0\r\nHost: t.example.com\r\n\r\n");
        QCOMPARE(client.read().body, QByteArray("0123456789"));
        QVERIFY(client.waitForClose()); // 1.0 without keep-alive
        RawClient kept(port());
        kept.send(
            "GET /digits.txt HTTP/1.0\r\nHost: t.example.com\r\nConnection: keep-alive\r\n\r\n");
        QCOMPARE(kept.read().header("Connection"), QByteArray("keep-alive"));
        kept.send("GET /about HTTP/1.0\r\nHost: t.example.com\r\n\r\n");
        QCOMPARE(kept.read().body, QByteArray("<h1>about</h1>"));
    }

    void limitsAnswerWithTheRightStatus_data() {
        QTest::addColumn<QByteArray>("request");
        QTest::addColumn<int>("status");
        QTest::newRow("request line too long")
            << "GET /" + QByteArray(9000, 'a') + " HTTP/1.1\r\nHost: t.example.com\r\n\r\n"
            << 414;
        QTest::newRow("header section too large")
            << "GET / HTTP/1.1\r\nHost: t.example.com\r\nX: " + QByteArray(40000, 'a') + "\r\n\r\n"
            << 431;
        QByteArray many = "GET / HTTP/1.1\r\nHost: t.example.com\r\n";
        for (int i = 0; i < 150; ++i)
            many += "X-" + QByteArray::number(i) + ": v\r\n";
        QTest::newRow("too many headers") << many + "\r\n" << 431;
        QTest::newRow("CL and TE")
            << QByteArray("POST / HTTP/1.1\r\nHost: t.example.com\r\nContent-Length: "
                          "3\r\nTransfer-Encoding: chunked\r\n\r\n")
            << 400;
        QTest::newRow("duplicate CL")
            << QByteArray("POST / HTTP/1.1\r\nHost: t.example.com\r\nContent-Length: "
                          "3\r\nContent-Length: 3\r\n\r\nabc")
            << 400;
        QTest::newRow("unknown TE")
            << QByteArray(
                   "POST / HTTP/1.1\r\nHost: t.example.com\r\nTransfer-Encoding: gzip\r\n\r\n")
            << 501;
        QTest::newRow("bare LF") << QByteArray("GET / HTTP/1.1\nHost: t.example.com\r\n\r\n")
                                 << 400;
        QTest::newRow("no Host") << QByteArray("GET / HTTP/1.1\r\n\r\n") << 400;
        QTest::newRow("HTTP/2.0 line")
            << QByteArray("GET / HTTP/2.0\r\nHost: t.example.com\r\n\r\n") << 505;
        QTest::newRow("obs-fold")
            << QByteArray("GET / HTTP/1.1\r\nHost: t.example.com\r\nX: a\r\n b\r\n\r\n") << 400;
        QTest::newRow("traversal")
            << RawClient::request("t.example.com", "/../../etc/passwd") << 400;
        QTest::newRow("encoded traversal")
            << RawClient::request("t.example.com", "/%2e%2e/%2e%2e/etc/passwd") << 400;
        QTest::newRow("NUL") << RawClient::request("t.example.com", "/index.html%00.txt") << 400;
        QTest::newRow("bad escape") << RawClient::request("t.example.com", "/a%zz") << 400;
        QTest::newRow("backslash") << RawClient::request("t.example.com", "/a%5c..%5cb") << 400;
        QTest::newRow("raw backslash") << RawClient::request("t.example.com", "/a\\b") << 400;
        QTest::newRow("traversal at the end")
            << RawClient::request("t.example.com", "/a/..") << 400;
        QTest::newRow("POST to a site")
            << QByteArray(
                   "POST /x HTTP/1.1\r\nHost: t.example.com\r\nContent-Length: 5\r\n\r\nhello")
            << 405;
        QTest::newRow("DELETE") << RawClient::request("t.example.com", "/index.html", {}, "DELETE")
                                << 405;
    }

    void limitsAnswerWithTheRightStatus() {
        QFETCH(QByteArray, request);
        QFETCH(int, status);
        RawClient client(port());
        client.send(request);
        const HttpResponse r = client.read();
        QVERIFY(r.isValid);
        QCOMPARE(r.status, status);
        QVERIFY2(r.body.size() > 20, "the error page says what went wrong");
        if (status != 405 || request.startsWith("POST"))
            QVERIFY(client.waitForClose()); // after a broken or bodied request: never reuse
        QCOMPARE(fetch(port(), "t.example.com", "/digits.txt").status,
                 200); // and the server is fine
    }

    void expectContinueIsNotSentForRefusedBodies() {
        RawClient client(port());
        client.send("PUT /x HTTP/1.1\r\nHost: t.example.com\r\nContent-Length: "
                    "100000000\r\nExpect: 100-continue\r\n\r\n");
        const HttpResponse r = client.read();
        QCOMPARE(r.status, 405); // at once, without 100 Continue and without waiting for the body
        QVERIFY(client.waitForClose());
    }

    // A client that sends its head slowly gets 408 after the header timeout, and does not
    // keep others from being served meanwhile.
    void slowClientsDoNotBlockOthers() {
        QList<RawClient *> slow;
        for (int i = 0; i < 20; ++i) {
            slow.append(new RawClient(port()));
            slow.last()->send("GET / HTTP/1.1\r\nHost: t.exa");
        }
        QElapsedTimer timer;
        timer.start();
        for (int i = 0; i < 20; ++i)
            QCOMPARE(fetch(port(), "t.example.com", "/digits.txt").status, 200);
        QVERIFY(timer.elapsed() < 1000);
        for (RawClient *client : slow) {
            client->send("m"); // a byte now and then does not extend the deadline
            const HttpResponse r = client->read(false, 5000);
            QCOMPARE(r.status, 408);
            QVERIFY(client->waitForClose());
            delete client;
        }
    }

    void idleKeepAliveConnectionsAreClosed() {
        RawClient client(port());
        client.send(RawClient::request("t.example.com", "/digits.txt"));
        QCOMPARE(client.read().status, 200);
        QElapsedTimer timer;
        timer.start();
        QVERIFY(client.waitForClose(5000));
        QVERIFY(timer.elapsed() > 1000);
        RawClient silent(port()); // connected, never sends anything
        QVERIFY(silent.waitForClose(5000));
    }

    void clientsThatVanishDoNotHurt() {
        for (int i = 0; i < 50; ++i) {
            RawClient client(port());
            client.send(RawClient::request("t.example.com", "/style.css").left(20 + i));
            client.socket().abort();
        }
        QCOMPARE(fetch(port(), "t.example.com", "/digits.txt").status, 200);
    }
};

QTEST_GUILESS_MAIN(TestHttp)
#include "tst_http.moc"
