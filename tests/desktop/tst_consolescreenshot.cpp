// The console as a person sees it: started under Xvfb against a seeded server, its window
// saved to PNGs in the build folder (look at them), and checked not to be blank.

#include "client/apiclient.h"
#include "consoleserver.h"

#include <QImage>
#include <QSet>
#include <QStandardPaths>
#include <QTest>

using namespace fazt;

class TestConsoleScreenshot : public QObject {
    Q_OBJECT

    test::ConsoleServer m_server;
    QTemporaryDir m_home;

    // Runs the console until it has saved `png`; returns its exit code.
    int screenshot(const QString &png, const QStringList &extra) {
        QProcess console;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.path()); // no saved servers
        env.insert(QStringLiteral("FAZT_TOKEN"), QString::fromLatin1(m_server.token()));
        env.remove(QStringLiteral("QT_QPA_PLATFORM")); // a real X window, not offscreen
        env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
        console.setProcessEnvironment(env);
        console.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        console.start(QStringLiteral("xvfb-run"),
                      QStringList{QStringLiteral("-a"), QStringLiteral("-s"),
                                  QStringLiteral("-screen 0 1280x800x24"),
                                  QStringLiteral(FAZT_CONSOLE_BIN), QStringLiteral("--server"),
                                  m_server.url(), QStringLiteral("--screenshot"), png} +
                          extra);
        if (!console.waitForFinished(60000)) {
            console.kill();
            console.waitForFinished();
            return -1;
        }
        return console.exitStatus() == QProcess::NormalExit ? console.exitCode() : -1;
    }

    // Not blank: many colours, and no single one covering nearly everything.
    static void verifyNotBlank(const QImage &image) {
        QVERIFY(!image.isNull());
        QVERIFY2(image.width() >= 800 && image.height() >= 500,
                 qPrintable(QStringLiteral("%1x%2").arg(image.width()).arg(image.height())));
        QHash<QRgb, qint64> counts;
        for (int y = 0; y < image.height(); y += 2)
            for (int x = 0; x < image.width(); x += 2)
                ++counts[image.pixel(x, y)];
        qint64 total = 0;
        qint64 largest = 0;
        for (const qint64 c : std::as_const(counts)) {
            total += c;
            largest = std::max(largest, c);
        }
        QVERIFY2(counts.size() > 50, qPrintable(QStringLiteral("%1 colours").arg(counts.size())));
        QVERIFY2(largest < total * 97 / 100, "one colour covers 97 % of the window");
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(!QStandardPaths::findExecutable(QStringLiteral("xvfb-run")).isEmpty(),
                 "xvfb-run is missing: run installers/deps.sh test");
        QVERIFY(m_home.isValid());
        QVERIFY2(m_server.start(), "the fazt server did not start");
        // Seed: a site with two deploys and a custom domain.
        client::ApiClient api;
        QVERIFY(api.setServer(m_server.url()));
        api.setToken(m_server.token());
        const QString folder = m_server.path(QStringLiteral("blog"));
        for (const QByteArray &version : {QByteArray("one"), QByteArray("two")}) {
            QVERIFY(test::writeFile(folder + QStringLiteral("/index.html"),
                                    "<h1>" + version + "</h1>"));
            QVERIFY(test::writeFile(folder + QStringLiteral("/about.html"), "<p>about</p>"));
            QVERIFY(!test::ConsoleServer::runFazt(
                         {QStringLiteral("deploy"), folder, QStringLiteral("--site"),
                          QStringLiteral("blog"), QStringLiteral("--server"), m_server.url(),
                          QStringLiteral("--token"), QString::fromLatin1(m_server.token())})
                         .isEmpty());
        }
        const auto domain = client::waitFor<client::Domain>([&](auto done) {
            api.addDomain(QStringLiteral("blog"), QStringLiteral("blog.example.org"), done);
        });
        QVERIFY2(domain, qPrintable(domain ? QString() : domain.error().message));
        for (int i = 0; i < 20; ++i)
            test::fetch(m_server.port(), "blog.localhost", i % 3 ? "/" : "/about");
    }

    void dashboard() {
        const QString png = QStringLiteral(QT_TESTCASE_BUILDDIR "/console-dashboard.png");
        QFile::remove(png);
        QCOMPARE(screenshot(png, {}), 0);
        verifyNotBlank(QImage(png));
    }

    void sitesInTheDarkPalette() {
        const QString png = QStringLiteral(QT_TESTCASE_BUILDDIR "/console-sites-dark.png");
        QFile::remove(png);
        QCOMPARE(screenshot(png, {QStringLiteral("--page"), QStringLiteral("sites"),
                                  QStringLiteral("--dark")}),
                 0);
        const QImage image(png);
        verifyNotBlank(image);
        // Dark: the middle of the window is a dark colour.
        const QColor middle = image.pixelColor(image.width() * 3 / 4, image.height() - 40);
        QVERIFY2(middle.lightness() < 100, qPrintable(middle.name()));
    }

    void simulator() {
        const QString png = QStringLiteral(QT_TESTCASE_BUILDDIR "/console-simulator.png");
        QFile::remove(png);
        QCOMPARE(screenshot(png, {QStringLiteral("--page"), QStringLiteral("simulator")}), 0);
        verifyNotBlank(QImage(png));
    }
};

QTEST_MAIN(TestConsoleScreenshot)
#include "tst_consolescreenshot.moc"
