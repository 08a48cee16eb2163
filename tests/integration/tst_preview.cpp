// `fazt preview DIR`: a local folder served through the real handlers, picked up again when
// it changes.

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
        QCOMPARE(fetch(fazt.port(), "localhost", "/").body, QByteArray("<h1>v1</h1>"));
        QCOMPARE(fetch(fazt.port(), "anything.example", "/blog/post").body, QByteArray("<p>post</p>"));
        QCOMPARE(fetch(fazt.port(), "localhost", "/missing").status, 404);

        write(site.filePath(QStringLiteral("index.html")), "<h1>v2</h1>");
        write(site.filePath(QStringLiteral("new/page.html")), "<p>new</p>");
        QTRY_COMPARE_WITH_TIMEOUT(fetch(fazt.port(), "localhost", "/").body, QByteArray("<h1>v2</h1>"), 10000);
        QTRY_COMPARE_WITH_TIMEOUT(fetch(fazt.port(), "localhost", "/new/page").body, QByteArray("<p>new</p>"), 10000);
        QCOMPARE(fazt.stop(), 0);
    }

    void spaFlag() {
        QTemporaryDir site;
        write(site.filePath(QStringLiteral("index.html")), "<div id=app></div>");
        FaztProcess fazt;
        QVERIFY(fazt.start({QStringLiteral("preview"), site.path(), QStringLiteral("--spa")}));
        const auto r = fetch(fazt.port(), "localhost", "/some/client/route");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.body, QByteArray("<div id=app></div>"));
        QCOMPARE(fazt.stop(), 0);
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
