// `fazt preview DIR`: a local folder served through the real handlers, picked up again when
// it changes, with the pages open in a browser told to reload (the live-reload stream).

#include "support/faztprocess.h"

#include <QDir>
#include <QTemporaryDir>
#include <QTest>

using fazt::test::FaztProcess;
using fazt::test::fetch;

class TestPreview : public QObject {
    Q_OBJECT

    static void write(const QString &path, const QByteArray &content) {
        QDir().mkpath(QFileInfo(path).absolutePath());
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
        file.write(content);
    }

private Q_SLOTS:
    void servesTheFolderAndReloads() {
        QTemporaryDir site;
        write(site.filePath(QStringLiteral("index.html")), "<h1>v1</h1>");
        write(site.filePath(QStringLiteral("blog/post.html")), "<p>post</p>");
        FaztProcess fazt;
        QVERIFY2(fazt.start({QStringLiteral("preview"), site.path()}), fazt.output().constData());
        QVERIFY(fetch(fazt.port(), "localhost", "/").body.startsWith("<h1>v1</h1>"));
        QVERIFY(fetch(fazt.port(), "anything.example", "/blog/post").body.startsWith("<p>post</p>"));
        QCOMPARE(fetch(fazt.port(), "localhost", "/missing").status, 404);

        write(site.filePath(QStringLiteral("index.html")), "<h1>v2</h1>");
        write(site.filePath(QStringLiteral("new/page.html")), "<p>new</p>");
        QTRY_VERIFY_WITH_TIMEOUT(fetch(fazt.port(), "localhost", "/").body.startsWith("<h1>v2</h1>"), 10000);
        QTRY_VERIFY_WITH_TIMEOUT(fetch(fazt.port(), "localhost", "/new/page").body.startsWith("<p>new</p>"), 10000);
        QCOMPARE(fazt.stop(), 0);
    }

    void spaFlag() {
        QTemporaryDir site;
        write(site.filePath(QStringLiteral("index.html")), "<div id=app></div>");
        FaztProcess fazt;
        QVERIFY(fazt.start({QStringLiteral("preview"), site.path(), QStringLiteral("--spa")}));
        const auto r = fetch(fazt.port(), "localhost", "/some/client/route");
        QCOMPARE(r.status, 200);
        QVERIFY(r.body.startsWith("<div id=app></div>"));
        QCOMPARE(fazt.stop(), 0);
    }

    // As the console's preview (the same SiteHandler mode): the page carries the script, a
    // waiting event stream is answered "reload" when a file changes, CSS is never cached stale,
    // and Ctrl+C is not held up by a browser still listening.
    void pagesReloadThemselves() {
        QTemporaryDir site;
        write(site.filePath(QStringLiteral("index.html")), "<body><h1>v1</h1></body>");
        write(site.filePath(QStringLiteral("style.css")), "h1 { color: red }");
        FaztProcess fazt;
        QVERIFY2(fazt.start({QStringLiteral("preview"), site.path()}), fazt.output().constData());
        QVERIFY(fetch(fazt.port(), "localhost", "/").body.contains("<script>"));
        QCOMPARE(fetch(fazt.port(), "localhost", "/style.css").header("Cache-Control"), QByteArray("no-cache"));
        const auto first = fetch(fazt.port(), "localhost", "/__fazt/livereload");
        QCOMPARE(first.header("Content-Type"), QByteArray("text/event-stream"));
        QVERIFY(first.body.contains("id: 0\n"));
        fazt::test::RawClient waiting(fazt.port());
        waiting.send(fazt::test::RawClient::request("localhost", "/__fazt/livereload", {"Last-Event-ID: 0"}));
        write(site.filePath(QStringLiteral("style.css")), "h1 { color: blue }");
        const auto event = waiting.read(false, 15000);
        QVERIFY2(event.body.contains("event: reload\n"), event.body.constData());

        QTest::qWait(1000); // a save can be seen as two changes: both deployed by now
        const QByteArray now = fetch(fazt.port(), "localhost", "/__fazt/livereload").body;
        const QByteArray version = now.split('\n').value(1).mid(4); // "retry: 300\nid: N\n"
        fazt::test::RawClient held(fazt.port());
        held.send(fazt::test::RawClient::request("localhost", "/__fazt/livereload", {"Last-Event-ID: " + version}));
        QTest::qWait(200);
        QCOMPARE(fazt.stop(), 0);
        // Let go with an answer (not cut off when the grace period ran out).
        const auto released = held.read(false, 1000);
        QCOMPARE(released.status, 200);
        QVERIFY(!released.body.contains("reload"));
    }

    // --no-live-reload: the pages as a deploy serves them (what a benchmark compares).
    void withoutLiveReload() {
        QTemporaryDir site;
        const QByteArray page = "<body><h1>as deployed</h1></body>";
        write(site.filePath(QStringLiteral("index.html")), page);
        write(site.filePath(QStringLiteral("style.css")), "h1 { color: red }");
        FaztProcess fazt;
        QVERIFY2(fazt.start({QStringLiteral("preview"), site.path(),
                             QStringLiteral("--no-live-reload")}),
                 fazt.output().constData());
        QCOMPARE(fetch(fazt.port(), "localhost", "/").body, page);
        QVERIFY(fetch(fazt.port(), "localhost", "/style.css").header("Cache-Control") !=
                QByteArray("no-cache"));
        QCOMPARE(fetch(fazt.port(), "localhost", "/__fazt/livereload").status, 404);
    }

    void refusesWhatIsNotAFolder() {
        QProcess p;
        p.start(qEnvironmentVariable("FAZT_BIN"), {QStringLiteral("preview"), QStringLiteral("/no/such/folder")});
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 1);
        QVERIFY(p.readAllStandardError().contains("not a folder"));
        p.start(qEnvironmentVariable("FAZT_BIN"), {QStringLiteral("preview")});
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 2);
        p.start(qEnvironmentVariable("FAZT_BIN"), {QStringLiteral("preview"), QStringLiteral("."), QStringLiteral("--port"), QStringLiteral("99999")});
        QVERIFY(p.waitForFinished(10000));
        QCOMPARE(p.exitCode(), 2);
    }

    void portInUseIsAClearError() {
        QTemporaryDir site;
        write(site.filePath(QStringLiteral("index.html")), "x");
        FaztProcess first;
        QVERIFY(first.start({QStringLiteral("preview"), site.path()}));
        QProcess second;
        second.start(qEnvironmentVariable("FAZT_BIN"), {QStringLiteral("preview"), site.path(), QStringLiteral("--port"),
                                                        QString::number(first.port()), QStringLiteral("--listen"), QStringLiteral("127.0.0.1")});
        QVERIFY(second.waitForFinished(10000));
        QCOMPARE(second.exitCode(), 1);
        QVERIFY(second.readAllStandardError().contains("Pick another with --port"));
        QCOMPARE(first.stop(), 0);
    }
};

QTEST_GUILESS_MAIN(TestPreview)
#include "tst_preview.moc"
