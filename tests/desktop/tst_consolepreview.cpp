// The console's local preview (PreviewController): a folder served on loopback by the server's
// own code (app::Preview, the one behind `fazt preview`), picked up again as it changes, and
// the pages open in a browser told to reload through the live-reload event stream.

#include "app/functionworker.h"
#include "consoleserver.h"
#include "previewcontroller.h"

#include <QApplication>
#include <QCoreApplication>
#include <QSignalSpy>
#include <QTest>

using namespace fazt;
using namespace fazt::console;
using fazt::test::writeFile;

class TestConsolePreview : public QObject {
    Q_OBJECT

    QTemporaryDir m_scratch;

    QString scratch(const QString &name) const { return m_scratch.filePath(name); }

private Q_SLOTS:
    void initTestCase() { QVERIFY(m_scratch.isValid()); }

    void previewServesTheFolderAndPicksUpEdits() {
        const QString folder = scratch(QStringLiteral("preview"));
        QVERIFY(writeFile(folder + QStringLiteral("/index.html"), "<h1>draft</h1>"));
        QVERIFY(writeFile(folder + QStringLiteral("/about.html"), "<p>about</p>"));
        PreviewController preview;
        QSignalSpy reloaded(&preview, &PreviewController::reloaded);
        preview.start(QUrl::fromLocalFile(folder));
        QVERIFY(reloaded.wait(10000));
        QVERIFY(preview.isRunning());
        QCOMPARE(preview.fileCount(), 2);
        const quint16 port = quint16(preview.url().port());
        QVERIFY(test::fetch(port, "localhost", "/").body.startsWith("<h1>draft</h1>"));
        QVERIFY(test::fetch(port, "localhost", "/about").body.startsWith("<p>about</p>"));
        QCOMPARE(test::fetch(port, "localhost", "/missing").status, 404);

        // Edited and added files show on the next request, without a restart.
        QVERIFY(writeFile(folder + QStringLiteral("/index.html"), "<h1>final</h1>"));
        QVERIFY(writeFile(folder + QStringLiteral("/new/page.html"), "<p>new</p>"));
        QTRY_VERIFY_WITH_TIMEOUT(
            test::fetch(port, "localhost", "/").body.startsWith("<h1>final</h1>") &&
                test::fetch(port, "localhost", "/new/page").body.startsWith("<p>new</p>"),
            10000);
        QTRY_VERIFY(preview.reloadCount() >= 1); // counted when the loader reports back

        preview.stop();
        QVERIFY(!preview.isRunning());
        QVERIFY(!test::RawClient(port).isConnected());

        preview.start(QUrl::fromLocalFile(scratch(QStringLiteral("not-a-folder"))));
        QVERIFY(!preview.isRunning());
        QVERIFY(preview.message().contains(u"is not a folder"));
    }

    // What `netlify dev` does: the page carries a script that listens to an event stream, and
    // a saved file sends it "reload". Stylesheets and scripts are revalidated on every load.
    void pagesReloadThemselvesAndNothingIsCachedStale() {
        const QString folder = scratch(QStringLiteral("live"));
        QVERIFY(writeFile(folder + QStringLiteral("/index.html"),
                          "<html><body><h1>live</h1></body></html>"));
        QVERIFY(writeFile(folder + QStringLiteral("/style.css"), "h1 { color: red }"));
        QVERIFY(writeFile(folder + QStringLiteral("/app.js"), "console.log(1)"));
        PreviewController preview;
        QSignalSpy reloaded(&preview, &PreviewController::reloaded);
        preview.start(QUrl::fromLocalFile(folder));
        QVERIFY(reloaded.wait(10000));
        const quint16 port = quint16(preview.url().port());

        const test::HttpResponse page = test::fetch(port, "localhost", "/");
        QCOMPARE(page.status, 200);
        const qsizetype script = page.body.indexOf("new EventSource('/__fazt/livereload')");
        QVERIFY2(script > 0 && script < page.body.indexOf("</body>"), page.body.constData());
        QCOMPARE(page.header("Content-Length").toLongLong(), page.body.size());
        for (const QByteArray path : {"/style.css", "/app.js", "/"})
            QCOMPARE(test::fetch(port, "localhost", path).header("Cache-Control"),
                     QByteArray("no-cache"));
        QCOMPARE(test::fetch(port, "localhost", "/style.css").body,
                 QByteArray("h1 { color: red }"));

        // A first request learns the version; with it as Last-Event-ID the next one waits.
        const test::HttpResponse first = test::fetch(port, "localhost", "/__fazt/livereload");
        QCOMPARE(first.status, 200);
        QCOMPARE(first.header("Content-Type"), QByteArray("text/event-stream"));
        QVERIFY2(first.body.contains("id: 0\n") && !first.body.contains("reload"),
                 first.body.constData());
        test::RawClient waiting(port);
        waiting.send(
            test::RawClient::request("localhost", "/__fazt/livereload", {"Last-Event-ID: 0"}));
        QTest::qWait(300);
        QCOMPARE(waiting.socket().bytesAvailable(), 0); // nothing changed: no answer yet

        QVERIFY(writeFile(folder + QStringLiteral("/style.css"), "h1 { color: blue }"));
        // The event loop runs meanwhile: the preview redeploys from it.
        QTRY_VERIFY_WITH_TIMEOUT(waiting.socket().bytesAvailable() > 0, 10000);
        const test::HttpResponse event = waiting.read(false, 5000);
        QCOMPARE(event.status, 200);
        QVERIFY2(event.body.contains("event: reload\n") && event.body.contains("id: 1\n"),
                 event.body.constData());
        QCOMPARE(test::fetch(port, "localhost", "/style.css").body,
                 QByteArray("h1 { color: blue }"));
        // A browser that was away while it changed is told at once.
        const test::HttpResponse late =
            test::fetch(port, "localhost", "/__fazt/livereload", {"Last-Event-ID: 0"});
        QVERIFY(late.body.contains("event: reload\n"));

        // Hostile or odd requests get a clear answer, never a hang.
        QCOMPARE(test::fetch(port, "localhost", "/__fazt/livereload", {}, "POST").status, 405);
        const test::HttpResponse garbage =
            test::fetch(port, "localhost", "/__fazt/livereload", {"Last-Event-ID: ../../x"});
        QVERIFY(garbage.body.contains("id: ") && !garbage.body.contains("reload"));

        // Stopping lets a waiting browser go at once instead of holding the stop up.
        test::RawClient held(port);
        const QByteArray version = QByteArray::number(preview.reloadCount());
        held.send(test::RawClient::request("localhost", "/__fazt/livereload",
                                           {"Last-Event-ID: " + version}));
        QTest::qWait(100);
        preview.stop();
        QVERIFY(held.waitForClose(3000));
    }

    // The preview serves a folder as a deploy would: api/main.js answers /api/... from a
    // function worker, and a single-page app's deep link gets its index.html.
    void functionsAnswerAndSpaDeepLinksWork() {
        const QString folder = scratch(QStringLiteral("app"));
        QVERIFY(writeFile(folder + QStringLiteral("/index.html"), "<div id=app></div>"));
        QVERIFY(writeFile(folder + QStringLiteral("/api/main.js"),
                          "module.exports = request => ({ path: request.path, sum: 20 + 22 });\n"));
        PreviewController preview;
        QSignalSpy spaChanged(&preview, &PreviewController::spaChanged);
        preview.setSpa(true);
        QCOMPARE(spaChanged.size(), 1);
        QSignalSpy reloaded(&preview, &PreviewController::reloaded);
        preview.start(QUrl::fromLocalFile(folder));
        QVERIFY(reloaded.wait(10000));
        const quint16 port = quint16(preview.url().port());

        const test::HttpResponse answer = test::fetch(port, "localhost", "/api/hello");
        QCOMPARE(answer.status, 200);
        const QJsonObject json = test::jsonBody(answer);
        QCOMPARE(json.value(QStringLiteral("path")).toString(), QStringLiteral("/api/hello"));
        QCOMPARE(json.value(QStringLiteral("sum")).toInt(), 42);

        const test::HttpResponse deepLink = test::fetch(port, "localhost", "/settings/profile");
        QCOMPARE(deepLink.status, 200);
        QVERIFY(deepLink.body.startsWith("<div id=app></div>"));

        // Without the SPA setting, the same deep link is the 404 a deploy would answer.
        preview.setSpa(false);
        preview.start(QUrl::fromLocalFile(folder));
        QVERIFY(reloaded.wait(10000));
        const quint16 again = quint16(preview.url().port());
        QCOMPARE(test::fetch(again, "localhost", "/settings/profile").status, 404);
        QCOMPARE(test::fetch(again, "localhost", "/api/hello").status, 200);
        preview.stop();
    }
};

// QTEST_MAIN, but a function worker first: the preview starts its workers as this executable.
int main(int argc, char *argv[]) {
    if (const std::optional<int> worker = fazt::app::runAsFunctionWorker(argc, argv))
        return *worker;
    QApplication app(argc, argv);
    TestConsolePreview test;
    return QTest::qExec(&test, argc, argv);
}
#include "tst_consolepreview.moc"
