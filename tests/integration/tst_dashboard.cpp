// The admin dashboard's server side, on the real binary: the `admin` system site stored at
// init, replaced when the binary's differs (version stamp) and by `fazt server reset-admin`,
// pinned in RAM before the port opens, served with a strict Content-Security-Policy, and out
// of the API's reach; the public simulator endpoint and the backup download.
// (The browser side is tests/web; CSRF on cookie sessions is in tst_admin.)

#include "../support/faztprocess.h"
#include "../support/serversetup.h"
#include "config/config.h"
#include "db/database.h"
#include "system/capacity.h"

#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using namespace fazt;
using test::HttpResponse;

using fazt::test::jsonBody;

namespace {

QString errorCode(const HttpResponse &r) {
    return jsonBody(r)
        .value(QStringLiteral("error"))
        .toObject()
        .value(QStringLiteral("code"))
        .toString();
}

// Runs fazt with `args`; returns its exit code, output in `output`.
int runFazt(const QStringList &args, QByteArray *output = nullptr) {
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.start(qEnvironmentVariable("FAZT_BIN"), args);
    if (!p.waitForFinished(60000))
        return -1;
    if (output)
        *output = p.readAll();
    return p.exitCode();
}

QString configValue(const QString &db, const QString &key) {
    auto database = db::Database::open(db);
    if (!database)
        return {};
    Config config(**database);
    return config.load() ? config.value(key) : QString();
}

qint64 adminDeploys(const QString &db) {
    auto database = db::Database::open(db);
    if (!database)
        return -1;
    const auto count = (*database)->reader().queryInt(
        "SELECT count(*) FROM deploys d JOIN sites s ON s.id = d.site_id WHERE s.name = 'admin'");
    return count ? *count : -1;
}

} // namespace

class TestDashboard : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_db;
    std::unique_ptr<test::FaztProcess> m_server; // a new one per start: it keeps its output
    QByteArray m_adminToken;
    QByteArray m_readToken;

    // The server, with its temporary files (backup copies) in a folder of this test's.
    bool startServer() {
        QDir().mkpath(temporaryFolder());
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("FAZT_TEMP_DIR"), temporaryFolder());
        m_server = std::make_unique<test::FaztProcess>();
        return m_server->start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), m_db}, env);
    }
    QString temporaryFolder() const { return m_dir.filePath(QStringLiteral("tmp")); }

    HttpResponse call(const QByteArray &method, const QByteArray &path,
                      const QByteArray &token = {}) {
        return test::call(m_server->port(), method, path, token);
    }

private Q_SLOTS:
    void initTestCase() {
        m_db = m_dir.filePath(QStringLiteral("fazt.db"));
        QByteArray output;
        QCOMPARE(
            runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                     QStringLiteral("localhost"), QStringLiteral("--db"), m_db},
                    &output),
            0);
        QVERIFY2(output.contains(" stored: "), output.constData());
        QCOMPARE(adminDeploys(m_db), 1);
        QVERIFY(!configValue(m_db, QStringLiteral("admin.stamp")).isEmpty());
        m_adminToken = test::createToken(m_db, "dashboard-test", "admin");
        m_readToken = test::createToken(m_db, "reader", "read");
        QVERIFY(startServer());
    }

    void cleanupTestCase() { QCOMPARE(m_server->stop(), 0); }

    void servedFromPinnedCacheWithCsp() {
        // Pinned before the port opened: the first request for a file is a hit.
        const QJsonObject before = jsonBody(call("GET", "/api/system/metrics", m_adminToken));
        const QJsonObject cacheBefore = before.value(QStringLiteral("cache")).toObject();
        QVERIFY(cacheBefore.value(QStringLiteral("entries")).toInt() >= 8);

        const HttpResponse page = test::fetch(m_server->port(), "admin.localhost", "/");
        QCOMPARE(page.status, 200);
        QVERIFY(page.body.contains("<title>Fazt admin</title>"));
        QVERIFY(!page.body.contains("<script>")); // no inline script
        const QByteArray csp = page.header("Content-Security-Policy");
        QVERIFY(csp.contains("default-src 'none'"));
        QVERIFY(csp.contains("script-src 'self'"));
        QVERIFY(csp.contains("frame-ancestors 'none'"));
        QVERIFY(!csp.contains("unsafe"));
        QCOMPARE(page.header("X-Frame-Options"), QByteArray("DENY"));
        for (const char *asset :
             {"/app.css", "/js/app.js", "/vendor/uplot.js", "/vendor/uplot.css"}) {
            const HttpResponse r =
                test::fetch(m_server->port(), "admin.localhost", asset, {"Accept-Encoding: gzip"});
            QVERIFY2(r.status == 200, asset);
            QVERIFY2(r.header("Content-Security-Policy") == csp, asset);
            QVERIFY2(r.header("Cache-Control") == "no-cache", asset); // new binary, new files
        }
        const QJsonObject cacheAfter = jsonBody(call("GET", "/api/system/metrics", m_adminToken))
                                           .value(QStringLiteral("cache"))
                                           .toObject();
        // Five files served, and none of them missed the cache.
        QCOMPARE(cacheAfter.value(QStringLiteral("misses")).toInteger(),
                 cacheBefore.value(QStringLiteral("misses")).toInteger());
        QVERIFY(cacheAfter.value(QStringLiteral("hits")).toInteger() >=
                cacheBefore.value(QStringLiteral("hits")).toInteger() + 5);

        const HttpResponse missing = test::fetch(m_server->port(), "admin.localhost", "/nope.js");
        QCOMPARE(missing.status, 404);
        // Hostile addresses get a clear 4xx, never a file from elsewhere.
        for (const QByteArray &target :
             {QByteArray("/js/../../index.html"), QByteArray("/%2e%2e/%2e%2e/etc/passwd"),
              QByteArray("/js%5capp.js"), QByteArray("/%00"), QByteArray("/%zz"),
              QByteArray("/" + QByteArray(4000, 'a'))}) {
            const HttpResponse r = test::fetch(m_server->port(), "admin.localhost", target);
            QVERIFY2(r.status >= 400 && r.status < 500, target.left(60).constData());
        }
        QCOMPARE(test::fetch(m_server->port(), "admin.localhost", "/", {}, "POST").status, 405);
        // The API still answers beside the files, and the sites do not get the dashboard.
        QCOMPARE(call("GET", "/api/openapi.json").status, 200);
        QVERIFY(!test::fetch(m_server->port(), "localhost", "/")
                     .header("Content-Security-Policy")
                     .contains("script-src"));
    }

    void theAdminSiteIsOutOfTheApisReach() {
        const HttpResponse sites = call("GET", "/api/sites", m_adminToken);
        QCOMPARE(sites.status, 200);
        QVERIFY(sites.body.contains("\"demo\""));
        QVERIFY(!sites.body.contains("\"admin\""));
        for (const auto &[method, path] : QList<QPair<QByteArray, QByteArray>>{
                 {"DELETE", "/api/sites/admin"},
                 {"GET", "/api/sites/admin/deploys"},
                 {"POST", "/api/sites/admin/rollback"},
                 {"POST", "/api/sites/admin/deploys/1/activate"}}) {
            const HttpResponse r = call(method, path, m_adminToken);
            QVERIFY2(r.status == 403, path.constData());
            QCOMPARE(errorCode(r), QStringLiteral("system_site"));
        }
        const HttpResponse upload =
            test::call(m_server->port(), "POST", "/api/sites/admin/deploys", m_adminToken,
                       QByteArray("not an archive"), {"Content-Type: application/gzip"});
        QCOMPARE(upload.status, 403);
        QCOMPARE(adminDeploys(m_db), 1); // nothing stored
        QCOMPARE(test::fetch(m_server->port(), "admin.localhost", "/").status, 200);
    }

    void simulatorAnswersWithCapacity() {
        const HttpResponse r =
            call("GET", "/api/simulate?memoryBytes=536870912&cpus=1&diskBytes=10737418240");
        QCOMPARE(r.status, 200);
        QCOMPARE(r.header("Access-Control-Allow-Origin"), QByteArray("*"));
        system::Resources resources;
        resources.memoryBytes = 536870912;
        resources.cpus = 1;
        resources.diskTotalBytes = resources.diskFreeBytes = 10737418240;
        QCOMPARE(jsonBody(r).value(QStringLiteral("limits")).toObject(),
                 system::Capacity::compute(resources).toJson());
        // Disk is optional; memory and CPUs are not, and must be sane numbers.
        QCOMPARE(call("GET", "/api/simulate?memoryBytes=1073741824&cpus=2").status, 200);
        for (const QByteArray &query : QList<QByteArray>{
                 "", "?cpus=1", "?memoryBytes=1073741824", "?memoryBytes=abc&cpus=1",
                 "?memoryBytes=1&cpus=1", "?memoryBytes=1e300&cpus=1", "?memoryBytes=nan&cpus=1",
                 "?memoryBytes=1073741824&cpus=-1", "?memoryBytes=1073741824&cpus=99999",
                 "?memoryBytes=1073741824&cpus=1&diskBytes=-5",
                 "?memoryBytes=" + QByteArray(5000, '9') + "&cpus=1"}) {
            const HttpResponse bad = call("GET", "/api/simulate" + query);
            QVERIFY2(bad.status == 400, query.left(80).constData());
            QVERIFY(jsonBody(bad)
                        .value(QStringLiteral("error"))
                        .toObject()
                        .value(QStringLiteral("message"))
                        .toString()
                        .contains(QStringLiteral("must be")));
        }
    }

    void backupDownload() {
        const HttpResponse r = call("GET", "/api/system/backup", m_adminToken);
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("Content-Disposition").startsWith("attachment; filename=\"fazt-backup-"));
        QVERIFY(r.body.startsWith(QByteArray("SQLite format 3\0", 16)));
        const QString copy = m_dir.filePath(QStringLiteral("downloaded.db"));
        test::writeFile(copy, r.body);
        auto database = db::Database::open(copy);
        QVERIFY(database);
        const auto demo =
            (*database)->reader().queryInt("SELECT count(*) FROM sites WHERE name = 'demo'");
        QVERIFY(demo);
        QCOMPARE(*demo, 1);
        // Admin only, and nothing left behind in the temporary folder.
        QCOMPARE(call("GET", "/api/system/backup", m_readToken).status, 403);
        QCOMPARE(call("GET", "/api/system/backup").status, 401);
        QVERIFY(QDir(temporaryFolder()).entryList(QDir::Files).isEmpty());
    }

    // Last: it uses up this address's allowance for public endpoints.
    void publicEndpointsAreRateLimited() {
        int refused = 0;
        HttpResponse last;
        for (int i = 0; i < 80 && refused == 0; ++i) {
            last = call("GET", "/api/simulate?memoryBytes=1073741824&cpus=1");
            refused += last.status == 429;
        }
        QCOMPARE(refused, 1);
        QVERIFY(last.header("Retry-After").toInt() >= 1);
        QCOMPARE(errorCode(last), QStringLiteral("rate_limited"));
        // The owner is not locked out of the rest of the API.
        QCOMPARE(call("GET", "/api/sites", m_adminToken).status, 200);
        QCOMPARE(test::fetch(m_server->port(), "admin.localhost", "/").status, 200);
    }

    void aNewBinaryReplacesTheStoredDashboard() {
        QCOMPARE(m_server->stop(), 0);
        const QString stamp = configValue(m_db, QStringLiteral("admin.stamp"));
        // Started again with the same binary: nothing to replace.
        QVERIFY(startServer());
        QVERIFY(!m_server->output().contains(" stored: "));
        QCOMPARE(m_server->stop(), 0);
        QCOMPARE(adminDeploys(m_db), 1);
        // As if an older fazt had stored its own: this binary replaces it at start.
        QVERIFY(test::setConfig(m_db, QStringLiteral("admin.stamp"), QStringLiteral("0.0.1/old")));
        QVERIFY(startServer());
        QVERIFY2(m_server->output().contains(
                     QByteArray("admin dashboard " + stamp.toUtf8() + " stored: ")),
                 m_server->output().constData());
        QCOMPARE(configValue(m_db, QStringLiteral("admin.stamp")), stamp);
        QCOMPARE(adminDeploys(m_db), 2);
        QCOMPARE(test::fetch(m_server->port(), "admin.localhost", "/").status, 200);
    }

    void resetAdmin() {
        QByteArray output;
        QCOMPARE(runFazt({QStringLiteral("server"), QStringLiteral("reset-admin"),
                          QStringLiteral("--db"), m_db},
                         &output),
                 0);
        QVERIFY2(output.contains("admin dashboard") && output.contains("next start"),
                 output.constData());
        QCOMPARE(adminDeploys(m_db), 3);
        QCOMPARE(runFazt({QStringLiteral("server"), QStringLiteral("reset-admin"),
                          QStringLiteral("--db"), m_dir.filePath(QStringLiteral("none.db"))},
                         &output),
                 1);
        QVERIFY2(output.contains("none.db"), output.constData());
    }
};

QTEST_GUILESS_MAIN(TestDashboard)
#include "tst_dashboard.moc"
