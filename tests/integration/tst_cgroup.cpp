// The promise: a 200 MB machine serving a database many times its RAM stays up, stays fast for
// the admin, and says 503 instead of crashing. Under a real cgroup memory limit of 200 MiB, a
// database over 10x that and a minute of traffic over many sites with large Range downloads:
// never OOM-killed, peak RSS under the limit, every answer 2xx/3xx/304/206 or an honest 503.
// (FAZT_SOAK_SECONDS shortens or lengthens the run.)

#include "support/faztprocess.h"
#include "support/soak.h"

#include <QJsonDocument>
#include <QDir>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace fazt;
using namespace fazt::test;

namespace {
constexpr qint64 Limit = qint64(200) << 20;
}

class TestCgroup : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void twoHundredMegabytesStayUp() {
        if (::geteuid() != 0)
            QSKIP("Creating a memory cgroup needs root: run as root to test the 200 MB promise.");
        QString why;
        const auto cgroup = MemoryCgroup::create(Limit, &why);
        if (!cgroup)
            QSKIP(qPrintable(QStringLiteral("No memory cgroup for this test: %1.").arg(why)));
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("fazt.db"));
        const SoakSites sites;
        QVERIFY(sites.build(db));
        QVERIFY2(
            QFileInfo(db).size() >= 10 * Limit,
            qPrintable(QStringLiteral("the database is only %1 bytes").arg(QFileInfo(db).size())));

        // Every fazt of this test runs inside the cgroup, from its first instruction.
        const QString realFazt = qEnvironmentVariable("FAZT_BIN");
        const QString launcher = cgroup->writeLauncher(dir.path(), realFazt);
        QVERIFY(!launcher.isEmpty());
        const auto run = [&](const QStringList &args) {
            QProcess p;
            p.start(launcher, args);
            p.waitForFinished(120000);
            return p.readAllStandardOutput();
        };
        QVERIFY(run({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                     QStringLiteral("localhost"), QStringLiteral("--db"), db})
                    .contains("limits stored for 200.00 MiB"));
        const QByteArray token =
            run({QStringLiteral("server"), QStringLiteral("create-token"), QStringLiteral("--name"),
                 QStringLiteral("soak"), QStringLiteral("--scopes"), QStringLiteral("admin"),
                 QStringLiteral("--db"), db})
                .trimmed();
        QVERIFY(token.startsWith("fazt_"));

        FaztProcess fazt;
        qputenv("FAZT_BIN", QFile::encodeName(launcher));
        const bool started = fazt.start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db});
        qputenv("FAZT_BIN", QFile::encodeName(realFazt));
        QVERIFY2(started, fazt.process().readAllStandardError().constData());
        const QJsonObject probe =
            QJsonDocument::fromJson(fetch(fazt.port(), "admin.localhost", "/api/system/limits",
                                          {"Authorization: Bearer " + token})
                                        .body)
                .object()
                .value(QStringLiteral("probe"))
                .toObject();
        QCOMPARE(qint64(probe.value(QStringLiteral("memoryBytes")).toDouble()), Limit);
        QVERIFY(probe.value(QStringLiteral("memorySource"))
                    .toString()
                    .startsWith(QLatin1String("cgroup")));

        bool isNumber = false;
        const int seconds = qEnvironmentVariableIntValue("FAZT_SOAK_SECONDS", &isNumber);
        const SoakReport report = runSoak(fazt.port(), token, fazt.pid(), sites,
                                          isNumber && seconds > 0 ? seconds : 60, 16);

        qInfo("%lld requests in %.1f s (%.0f/s), %.1f GB sent; 503: %.2f %%; pages p99 %.1f ms; "
              "ranges p99 %.0f ms; admin p99 %.1f ms; peak RSS %.1f MiB of %lld MiB",
              report.requests, report.seconds, double(report.requests) / report.seconds,
              double(report.bytes) / 1e9, report.share503() * 100,
              SoakReport::percentile(report.pageMs, 0.99),
              SoakReport::percentile(report.rangeMs, 0.99),
              SoakReport::percentile(report.adminMs, 0.99), double(report.peakRssBytes) / (1 << 20),
              Limit >> 20);
        QCOMPARE(fazt.process().state(), QProcess::Running);
        QCOMPARE(cgroup->oomKills(), 0);
        QVERIFY2(report.badAnswers.isEmpty(), report.badAnswers.value(0).constData());
        QVERIFY(report.requests > 100);
        QVERIFY(!report.rangeMs.empty() && !report.pageMs.empty());
        QVERIFY2(report.peakRssBytes < Limit,
                 qPrintable(QStringLiteral("peak RSS %1 bytes").arg(report.peakRssBytes)));
        QCOMPARE(report.adminFailures, 0);
        QVERIFY(!report.adminMs.empty());
        QCOMPARE(fazt.stop(), 0);
    }

    // Scripts run in worker processes inside the same 200 MiB: a memory bomb meets its
    // worker's own limit (from Capacity) long before the cgroup's, so the kernel's OOM killer
    // never picks a process, the server least of all.
    void aMemoryBombKillsItsWorkerNotTheServer() {
        if (::geteuid() != 0)
            QSKIP("Creating a memory cgroup needs root.");
        QString why;
        const auto cgroup = MemoryCgroup::create(Limit, &why);
        if (!cgroup)
            QSKIP(qPrintable(QStringLiteral("No memory cgroup for this test: %1.").arg(why)));
        QTemporaryDir dir;
        const QString db = dir.filePath(QStringLiteral("fazt.db"));
        const QString realFazt = qEnvironmentVariable("FAZT_BIN");
        const QString launcher = cgroup->writeLauncher(dir.path(), realFazt);
        QVERIFY(!launcher.isEmpty());
        // Initialised inside the cgroup: the limits stored are the 200 MiB machine's.
        QProcess init;
        init.start(launcher, {QStringLiteral("server"), QStringLiteral("init"),
                              QStringLiteral("--domain"), QStringLiteral("localhost"),
                              QStringLiteral("--db"), db});
        QVERIFY(init.waitForFinished(120000));
        QVERIFY(init.readAllStandardOutput().contains("limits stored for 200.00 MiB"));
        const QByteArray token = createToken(db, "bomb", "admin");
        FaztProcess fazt;
        qputenv("FAZT_BIN", QFile::encodeName(launcher));
        const bool started = fazt.start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db});
        qputenv("FAZT_BIN", QFile::encodeName(realFazt));
        QVERIFY2(started, fazt.process().readAllStandardError().constData());
        QDir().mkpath(dir.filePath(QStringLiteral("site/api")));
        QFile main(dir.filePath(QStringLiteral("site/api/main.js")));
        QVERIFY(main.open(QIODevice::WriteOnly));
        main.write("module.exports = r => { if (r.path === '/api/bomb') { const h = [];\n"
                   "  for (;;) h.push('x'.repeat(65536) + h.length); } return { ok: true }; };\n");
        main.close();
        QProcess deploy;
        deploy.start(realFazt, {QStringLiteral("deploy"), dir.filePath(QStringLiteral("site")),
                                QStringLiteral("--site"), QStringLiteral("bomb"),
                                QStringLiteral("--server"),
                                QStringLiteral("http://127.0.0.1:%1").arg(fazt.port()),
                                QStringLiteral("--token"), QString::fromLatin1(token)});
        QVERIFY(deploy.waitForFinished(60000));
        QCOMPARE(deploy.exitCode(), 0);
        const qint64 serverPid = fazt.pid();
        for (int i = 0; i < 3; ++i) {
            const HttpResponse bomb = fetch(fazt.port(), "bomb.localhost", "/api/bomb");
            QCOMPARE(bomb.status, 500);
            QVERIFY2(bomb.body.contains("memory"), bomb.body.constData());
        }
        QCOMPARE(fetch(fazt.port(), "bomb.localhost", "/api/ok").status, 200);
        QCOMPARE(fazt.process().state(), QProcess::Running);
        QCOMPARE(fazt.pid(), serverPid);
        QCOMPARE(cgroup->oomKills(), 0);
        QCOMPARE(fazt.stop(), 0);
    }
};

QTEST_GUILESS_MAIN(TestCgroup)
#include "tst_cgroup.moc"
