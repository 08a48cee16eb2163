// The console as a person sees it: started under Xvfb against a seeded server, its window
// saved to PNGs in the build folder (look at them), and checked not to be blank; and left
// idle, checked to leave the CPU alone.

#include "client/apiclient.h"
#include "consoleserver.h"

#include <QDir>
#include <QElapsedTimer>
#include <QImage>
#include <QScopeGuard>
#include <QSet>
#include <QStandardPaths>
#include <QTest>

#include <csignal>
#include <unistd.h>

using namespace fazt;

class TestConsoleScreenshot : public QObject {
    Q_OBJECT

    test::ConsoleServer m_server;
    QTemporaryDir m_home;

    // Starts the console under Xvfb (a real X window, not offscreen) with `args`, and the
    // server's token unless another is given.
    void startConsole(QProcess &console, const QStringList &args, QByteArray token = {}) {
        if (token.isEmpty())
            token = m_server.token();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), m_home.path()); // no saved servers
        env.insert(QStringLiteral("FAZT_TOKEN"), QString::fromLatin1(token));
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));
        env.remove(QStringLiteral("DBUS_SESSION_BUS_ADDRESS"));
        console.setProcessEnvironment(env);
        console.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        console.start(QStringLiteral("xvfb-run"),
                      QStringList{QStringLiteral("-a"), QStringLiteral("-s"),
                                  QStringLiteral("-screen 0 1280x800x24"),
                                  QStringLiteral(FAZT_CONSOLE_BIN), QStringLiteral("--server"),
                                  m_server.url()} +
                          args);
    }

    // Runs the console until it has saved `png`; returns its exit code.
    int screenshot(const QString &png, const QStringList &extra) {
        QProcess console;
        startConsole(console, QStringList{QStringLiteral("--screenshot"), png} + extra);
        if (!console.waitForFinished(60000)) {
            console.kill();
            console.waitForFinished();
            return -1;
        }
        return console.exitStatus() == QProcess::NormalExit ? console.exitCode() : -1;
    }

    // The process below `root` (xvfb-run starts the console as its child) whose name is
    // `name`; 0 if there is none yet.
    static qint64 descendantNamed(qint64 root, const QByteArray &name) {
        QHash<qint64, qint64> parents;
        QHash<qint64, QByteArray> names;
        for (const QString &entry : QDir(QStringLiteral("/proc")).entryList(QDir::Dirs)) {
            QFile stat(QStringLiteral("/proc/%1/stat").arg(entry));
            if (entry.toLongLong() <= 0 || !stat.open(QIODevice::ReadOnly))
                continue;
            const QByteArray text = stat.readAll();
            const qsizetype open = text.indexOf('('), close = text.lastIndexOf(')');
            names.insert(entry.toLongLong(), text.mid(open + 1, close - open - 1));
            parents.insert(entry.toLongLong(),
                           text.mid(close + 2).split(' ').value(1).toLongLong());
        }
        for (auto it = names.begin(); it != names.end(); ++it) {
            if (it.value() != name)
                continue;
            for (qint64 p = parents.value(it.key()); p > 1; p = parents.value(p))
                if (p == root)
                    return it.key();
        }
        return 0;
    }

    // CPU time (user + system) of `pid` so far, in seconds, from /proc/PID/stat; -1 if gone.
    static double cpuSeconds(qint64 pid) {
        QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
        if (!stat.open(QIODevice::ReadOnly))
            return -1;
        const QByteArray text = stat.readAll();
        // After "pid (comm) ": state is field 3, utime field 14 and stime field 15.
        const QList<QByteArray> fields = text.mid(text.lastIndexOf(')') + 2).split(' ');
        return double(fields.value(11).toLongLong() + fields.value(12).toLongLong()) /
               double(::sysconf(_SC_CLK_TCK));
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
            test::fetch(m_server.port(), i % 4 ? "blog.localhost" : "demo.localhost",
                        i % 3 ? "/" : "/about");
        // Counted now, not after the flush interval: the dashboard shows them.
        QVERIFY(client::waitFor<QJsonObject>([&](auto done) {
            api.call("POST", QStringLiteral("/api/stats/flush"), QString(), {}, done);
        }));
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

    void sitesInTheLightPalette() {
        const QString png = QStringLiteral(QT_TESTCASE_BUILDDIR "/console-sites.png");
        QFile::remove(png);
        QCOMPARE(screenshot(png, {QStringLiteral("--page"), QStringLiteral("sites")}), 0);
        verifyNotBlank(QImage(png));
    }

    void dashboardInTheDarkPalette() {
        const QString png = QStringLiteral(QT_TESTCASE_BUILDDIR "/console-dashboard-dark.png");
        QFile::remove(png);
        QCOMPARE(screenshot(png, {QStringLiteral("--dark")}), 0);
        verifyNotBlank(QImage(png));
    }

    // The share of one core the console used while idle on `page`, measured from /proc over
    // five seconds once it has settled; -1 if it could not be measured.
    double idleCpuShare(const QString &page, const QByteArray &token) {
        QProcess console;
        startConsole(console, {QStringLiteral("--page"), page}, token);
        if (!console.waitForStarted())
            return -1;
        qint64 pid = 0;
        double used = -1;
        QElapsedTimer clock;
        {
            // Stops the console itself: xvfb-run then stops its X server and ends (terminated,
            // it would leave the console running).
            const auto stop = qScopeGuard([&] {
                if (pid > 0)
                    ::kill(pid_t(pid), SIGTERM);
                if (!console.waitForFinished(20000)) {
                    if (pid > 0)
                        ::kill(pid_t(pid), SIGKILL);
                    console.kill();
                    console.waitForFinished();
                }
            });
            if (!QTest::qWaitFor(
                    [&] {
                        return (pid = descendantNamed(console.processId(), "fazt-console")) > 0;
                    },
                    20000))
                return -1;
            QTest::qWait(5000); // started, the server's answers shown
            const double before = cpuSeconds(pid);
            clock.start();
            QTest::qWait(5000);
            const double after = cpuSeconds(pid);
            if (before < 0 || after < 0)
                return -1;
            used = after - before;
        }
        const double share = used / (double(clock.elapsed()) / 1000);
        qInfo("idle %s page (%s token): %.2f s of CPU in %.1f s, %.1f %% of one core",
              qPrintable(page), token == m_server.token() ? "valid" : "refused", used,
              double(clock.elapsed()) / 1000, share * 100);
        return share;
    }

    // The Sites page, idle, once kept a transparent spinner animating: up to 1.5 cores for
    // nothing (measured here with a refused token: about half a core on this shared machine).
    // A check of that bug, not a benchmark: the bound is generous for a loaded machine.
    void idleSitesPageLeavesTheCpuAlone() {
        for (const QByteArray &token : {m_server.token(), QByteArray("fazt_refused")}) {
            const double share = idleCpuShare(QStringLiteral("sites"), token);
            QVERIFY(share >= 0);
            QVERIFY2(share < 0.10, qPrintable(QStringLiteral("%1 % of a core").arg(share * 100)));
        }
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
