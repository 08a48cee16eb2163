// The admin API of the real server: authentication (sessions, CSRF, tokens and their scopes,
// rate-limited login), sites, settings, domains, deploys by upload with hostile archives
// refused, config, and an OpenAPI document that describes every route.

#include "admin/adminservice.h"
#include "admin/functionsapi.h"
#include "admin/statsapi.h"
#include "config/config.h"
#include "functions/functionstore.h"
#include "guard/guard.h"
#include "hosting/hostrouter.h"
#include "hosting/sitedispatcher.h"
#include "stats/statsbuffer.h"
#include "support/faztprocess.h"
#include "support/patterndevice.h"
#include "tls/certcache.h"
#include "tls/certmanager.h"
#include "tls/certroutes.h"
#include "vfs/vfs.h"
#include "vfs/vfscache.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

#include <archive.h>
#include <archive_entry.h>

using namespace fazt;
using fazt::test::FaztProcess;
using fazt::test::HttpResponse;
using fazt::test::jsonBody;
using fazt::test::RawClient;

namespace {

const QByteArray Password = "correct horse battery";

struct Entry {
    QByteArray path;
    QByteArray content;
    enum Kind { File, Symlink, Directory } kind = File;
};

// A tar.gz built in memory, hostile entries included.
QByteArray tarGz(const QList<Entry> &entries) {
    QByteArray out(64 << 20, Qt::Uninitialized);
    size_t used = 0;
    struct archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    archive_write_open_memory(a, out.data(), size_t(out.size()), &used);
    for (const Entry &e : entries) {
        archive_entry *entry = archive_entry_new();
        archive_entry_set_pathname(entry, e.path.constData());
        archive_entry_set_perm(entry, 0644);
        if (e.kind == Entry::Symlink) {
            archive_entry_set_filetype(entry, AE_IFLNK);
            archive_entry_set_symlink(entry, e.content.constData());
            archive_write_header(a, entry);
        } else if (e.kind == Entry::Directory) {
            archive_entry_set_filetype(entry, AE_IFDIR);
            archive_write_header(a, entry);
        } else {
            archive_entry_set_filetype(entry, AE_IFREG);
            archive_entry_set_size(entry, e.content.size());
            archive_write_header(a, entry);
            archive_write_data(a, e.content.constData(), size_t(e.content.size()));
        }
        archive_entry_free(entry);
    }
    archive_write_close(a);
    archive_write_free(a);
    out.truncate(qsizetype(used));
    return out;
}

QString errorMessage(const HttpResponse &r) {
    return jsonBody(r)
        .value(QStringLiteral("error"))
        .toObject()
        .value(QStringLiteral("message"))
        .toString();
}

} // namespace

class TestAdmin : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QTemporaryDir m_uploads;
    QString m_db;
    FaztProcess m_fazt;
    QByteArray m_adminToken, m_deployToken, m_readToken;

    QByteArray createToken(const char *name, const char *scopes) {
        return test::createToken(m_db, name, scopes);
    }

    // One API call on a new connection to admin.localhost.
    HttpResponse call(const QByteArray &method, const QByteArray &path,
                      const QByteArray &token = {}, const QByteArray &body = {},
                      QList<QByteArray> headers = {}) {
        return test::call(m_fazt.port(), method, path, token, body, std::move(headers));
    }

    HttpResponse upload(const QByteArray &site, const QByteArray &archive, const QByteArray &token,
                        const QByteArray &query = {}) {
        return call("POST", "/api/sites/" + site + "/deploys" + query, token, archive,
                    {"Content-Type: application/gzip"});
    }

    int deployCount(const QByteArray &site) {
        return jsonBody(call("GET", "/api/sites/" + site + "/deploys", m_adminToken))
            .value(QStringLiteral("deploys"))
            .toArray()
            .size();
    }

private Q_SLOTS:
    void initTestCase() {
        m_db = m_dir.filePath(QStringLiteral("fazt.db"));
        const QString passwordFile = m_dir.filePath(QStringLiteral("password"));
        QFile f(passwordFile);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(Password + "\n");
        f.close();
        QProcess init;
        init.start(qEnvironmentVariable("FAZT_BIN"),
                   {QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                    QStringLiteral("example.com"), QStringLiteral("--db"), m_db,
                    QStringLiteral("--demo"), QStringLiteral("--password-file"), passwordFile});
        QVERIFY(init.waitForFinished(30000));
        QVERIFY2(init.exitCode() == 0, init.readAllStandardError().constData());
        QVERIFY(init.readAllStandardOutput().contains("admin password set"));
        m_adminToken = createToken("admin-test", "admin");
        m_deployToken = createToken("ci", "deploy,create-sites");
        m_readToken = createToken("dashboard", "read");
        QVERIFY(m_adminToken.startsWith("fazt_"));
        { // The test client talks through "a proxy" on 127.0.0.1: X-Forwarded-For names the client.
            auto db = db::Database::open(m_db);
            QVERIFY(db);
            Config config(**db);
            QVERIFY(config.load());
            QVERIFY(config.set(QStringLiteral("http.trusted_proxies"),
                               QStringLiteral("127.0.0.1, ::1")));
        }
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("FAZT_TEMP_DIR"), m_uploads.path());
        QVERIFY2(m_fazt.start({QStringLiteral("server"), QStringLiteral("start"),
                               QStringLiteral("--db"), m_db},
                              env),
                 m_fazt.output().constData());
    }

    void cleanupTestCase() { QCOMPARE(m_fazt.stop(), 0); }

    void openApiDescribesEveryRoute() {
        const HttpResponse r = call("GET", "/api/openapi.json");
        QCOMPARE(r.status, 200);
        const QJsonObject paths = jsonBody(r).value(QStringLiteral("paths")).toObject();
        QVERIFY(!paths.isEmpty());
        // The routes, from a service built in-process on a scratch database.
        QTemporaryDir scratch;
        auto db = db::Database::open(scratch.filePath(QStringLiteral("s.db")));
        QVERIFY(db);
        vfs::VfsCache cache(1 << 20, 1 << 16);
        vfs::Vfs vfs(**db, &cache);
        Config config(**db);
        hosting::HostRouter router(QStringLiteral("localhost"));
        admin::AdminService service(**db, vfs, cache, config, router, {});
        stats::StatsBuffer statsBuffer(**db, {});
        admin::addStatsRoutes(service, **db, statsBuffer);
        functions::FunctionStore functionStore(**db);
        admin::addFunctionRoutes(service, vfs, functionStore, {});
        hosting::SiteHandler files(vfs, cache);
        hosting::SiteDispatcher sites(files, router, vfs);
        guard::Guard guard(**db, config, cache, router, sites);
        guard.attach(service); // the /api/system/* routes
        tls::CertCache
            certCache; // the certificate routes, as `server start --https-port` adds them
        tls::CertManager certManager(**db, certCache, router, {});
        tls::addCertificateRoutes(service, certManager);
        int described = 0;
        for (const admin::Route &route : service.routes()) {
            const QString method = QString::fromLatin1([&] {
                switch (route.method) {
                case http::Method::Get:
                    return "get";
                case http::Method::Post:
                    return "post";
                case http::Method::Put:
                    return "put";
                case http::Method::Delete:
                    return "delete";
                default:
                    return "other";
                }
            }());
            QVERIFY2(
                paths.value(route.pattern).toObject().contains(method),
                qPrintable(
                    QStringLiteral("%1 %2 is not in openapi.json").arg(method, route.pattern)));
            ++described;
        }
        int documented = 0;
        for (const QJsonValue &ops : paths)
            documented += int(ops.toObject().size());
        QCOMPARE(documented, described); // and nothing documented that does not exist
    }

    void adminIsOnlyOnTheAdminHost() {
        QVERIFY(test::fetch(m_fazt.port(), "admin.example.com", "/api/openapi.json")
                    .body.contains("openapi"));
        const HttpResponse onSite = test::fetch(m_fazt.port(), "demo.localhost", "/api/sites",
                                                {"Authorization: Bearer " + m_adminToken});
        QCOMPARE(onSite.status, 404);
        QVERIFY(!onSite.body.contains("\"sites\""));
        QCOMPARE(call("GET", "/api/nope", m_adminToken).status, 404);
        const HttpResponse wrongMethod = call("PATCH", "/api/sites", m_adminToken);
        QCOMPARE(wrongMethod.status, 405);
        QVERIFY(wrongMethod.header("Allow").contains("GET"));
    }

    void unauthenticatedAndBadTokens() {
        const HttpResponse none = call("GET", "/api/sites");
        QCOMPARE(none.status, 401);
        QVERIFY(errorMessage(none).contains(QStringLiteral("Log in")));
        QCOMPARE(jsonBody(none)
                     .value(QStringLiteral("error"))
                     .toObject()
                     .value(QStringLiteral("code"))
                     .toString(),
                 QStringLiteral("unauthorized"));
        QCOMPARE(call("GET", "/api/sites", "fazt_not-a-real-token").status, 401);
    }

    void scopesAreEnforced() {
        QCOMPARE(call("GET", "/api/sites", m_readToken).status, 200);
        const HttpResponse readCannotCreate =
            call("POST", "/api/sites", m_readToken, R"({"name":"nope"})");
        QCOMPARE(readCannotCreate.status, 403);
        QVERIFY(errorMessage(readCannotCreate).contains(QStringLiteral("'admin' scope")));
        QCOMPARE(upload("blog", tarGz({{"index.html", "x"}}), m_readToken).status, 403);
        QCOMPARE(call("GET", "/api/tokens", m_deployToken).status, 403);
        QCOMPARE(call("GET", "/api/tokens", m_adminToken).status, 200);
    }

    void sessionLoginWithCsrf() {
        QCOMPARE(
            call("POST", "/api/login", {}, R"({"username":"admin","password":"wrong password"})")
                .status,
            401);
        QCOMPARE(
            call("POST", "/api/login", {}, R"({"username":"nobody","password":"wrong password"})")
                .status,
            401);
        const HttpResponse login = call(
            "POST", "/api/login", {}, R"({"username":"admin","password":"correct horse battery"})");
        QCOMPARE(login.status, 200);
        const QByteArray cookie = login.header("Set-Cookie");
        QVERIFY(cookie.contains("HttpOnly"));
        QVERIFY(cookie.contains("SameSite=Strict"));
        const QByteArray session = cookie.split(';').first();
        const QByteArray csrf =
            jsonBody(login).value(QStringLiteral("csrfToken")).toString().toLatin1();
        QVERIFY(!csrf.isEmpty());
        QCOMPARE(call("GET", "/api/session", {}, {}, {"Cookie: " + session}).status, 200);
        const HttpResponse noCsrf =
            call("POST", "/api/sites", {}, R"({"name":"via-session"})", {"Cookie: " + session});
        QCOMPARE(noCsrf.status, 403);
        QVERIFY(errorMessage(noCsrf).contains(QStringLiteral("CSRF")));
        QCOMPARE(call("POST", "/api/sites", {}, R"({"name":"via-session"})",
                      {"Cookie: " + session, "X-CSRF-Token: wrong"})
                     .status,
                 403);
        QCOMPARE(call("POST", "/api/sites", {}, R"({"name":"via-session"})",
                      {"Cookie: " + session, "X-CSRF-Token: " + csrf})
                     .status,
                 201);
        QCOMPARE(
            call("POST", "/api/logout", {}, {}, {"Cookie: " + session, "X-CSRF-Token: " + csrf})
                .status,
            204);
        QCOMPARE(call("GET", "/api/session", {}, {}, {"Cookie: " + session}).status,
                 401); // logged out
    }

    void malformedBodies() {
        QCOMPARE(call("POST", "/api/sites", m_adminToken, "{not json").status, 400);
        QCOMPARE(call("POST", "/api/sites", m_adminToken, "[1,2]").status, 400);
        QCOMPARE(call("POST", "/api/sites", m_adminToken, "").status, 400);
        const HttpResponse bigJson =
            call("POST", "/api/sites", m_adminToken, QByteArray(2 << 20, ' '));
        QCOMPARE(bigJson.status, 413);
        QCOMPARE(call("POST", "/api/sites", m_adminToken, R"({"name":"Bad Name"})").status, 400);
        QCOMPARE(call("POST", "/api/sites", m_adminToken, R"({"name":"demo"})").status, 409);
    }

    void deployRedeployRollback() {
        const HttpResponse first = upload(
            "blog", tarGz({{"index.html", "<h1>v1</h1>"}, {"css/a.css", "a{}"}}), m_deployToken);
        QCOMPARE(first.status, 201);
        QCOMPARE(jsonBody(first).value(QStringLiteral("fileCount")).toInt(), 2);
        QVERIFY(jsonBody(first)
                    .value(QStringLiteral("url"))
                    .toString()
                    .startsWith(QStringLiteral("http://blog.example.com:")));
        QCOMPARE(test::fetch(m_fazt.port(), "blog.example.com", "/").body,
                 QByteArray("<h1>v1</h1>"));
        QCOMPARE(upload("blog", tarGz({{"./index.html", "<h1>v2</h1>"}}), m_deployToken).status,
                 201);
        QCOMPARE(test::fetch(m_fazt.port(), "blog.example.com", "/").body,
                 QByteArray("<h1>v2</h1>"));
        const HttpResponse back = call("POST", "/api/sites/blog/rollback", m_deployToken, "");
        QCOMPARE(back.status, 200);
        QCOMPARE(test::fetch(m_fazt.port(), "blog.example.com", "/").body,
                 QByteArray("<h1>v1</h1>"));
        QCOMPARE(deployCount("blog"), 2);
        const HttpResponse staged = upload("blog", tarGz({{"index.html", "<h1>v3</h1>"}}),
                                           m_deployToken, "?activate=false");
        QCOMPARE(staged.status, 201);
        QCOMPARE(test::fetch(m_fazt.port(), "blog.example.com", "/").body,
                 QByteArray("<h1>v1</h1>"));
        const QByteArray id =
            QByteArray::number(jsonBody(staged).value(QStringLiteral("id")).toInteger());
        QCOMPARE(
            call("POST", "/api/sites/blog/deploys/" + id + "/activate", m_deployToken, "").status,
            200);
        QCOMPARE(test::fetch(m_fazt.port(), "blog.example.com", "/").body,
                 QByteArray("<h1>v3</h1>"));
    }

    void largeUploadSpillsToDiskAndIsRemoved() {
        test::PatternDevice pattern(24 << 20, 5); // over the 16 MiB RAM buffer, incompressible
        const QByteArray big = pattern.readAll();
        const HttpResponse r =
            upload("bigsite", tarGz({{"index.html", "big"}, {"blob.bin", big}}), m_deployToken);
        QCOMPARE(r.status, 201);
        QCOMPARE(test::fetch(m_fazt.port(), "bigsite.example.com", "/blob.bin").body.size(),
                 big.size());
        QCOMPARE(QDir(m_uploads.path()).entryList(QDir::Files).size(), 0);
    }

    void hostileArchivesAreRefusedAndLeaveNothing_data() {
        QTest::addColumn<QByteArray>("archive");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("zip slip") << tarGz({{"index.html", "ok"}, {"../../evil.html", "x"}}) << 400
                                  << QStringLiteral("../../evil.html");
        QTest::newRow("absolute") << tarGz({{"/etc/cron.d/x", "x"}}) << 400
                                  << QStringLiteral("/etc/cron.d/x");
        QTest::newRow("symlink") << tarGz({{"index.html", "ok"},
                                           {"link", "/etc/passwd", Entry::Symlink}})
                                 << 400 << QStringLiteral("link");
        QTest::newRow("garbage") << QByteArray(5000, 'z') << 400 << QString();
        QTest::newRow("truncated")
            << tarGz({{"index.html", QByteArray(100000, 'a')}, {"b.html", QByteArray(100000, 'b')}})
                   .left(300)
            << 400 << QString();
        QTest::newRow("empty") << tarGz({}) << 400 << QString();
        QTest::newRow("zip bomb") << tarGz({{"bomb.bin", QByteArray(60 << 20, '\0')}}) << 413
                                  << QStringLiteral("bomb.bin");
    }

    void hostileArchivesAreRefusedAndLeaveNothing() {
        QFETCH(QByteArray, archive);
        QFETCH(int, status);
        QFETCH(QString, mentions);
        const int before = deployCount("demo");
        const HttpResponse r = upload("demo", archive, m_deployToken);
        QCOMPARE(r.status, status);
        QVERIFY2(errorMessage(r).contains(mentions), qPrintable(errorMessage(r)));
        QCOMPARE(deployCount("demo"), before);
        QVERIFY(
            test::fetch(m_fazt.port(), "demo.example.com", "/").body.contains("Hello from Fazt"));
        QCOMPARE(QDir(m_uploads.path()).entryList(QDir::Files).size(), 0);
    }

    void uploadWithoutBodyOrTooLarge() {
        QCOMPARE(call("POST", "/api/sites/demo/deploys", m_deployToken).status, 411);
        RawClient client(m_fazt.port());
        client.send(RawClient::request(
            "admin.localhost", "/api/sites/demo/deploys",
            {"Authorization: Bearer " + m_deployToken, "Content-Length: 99999999999"}, "POST"));
        QCOMPARE(client.read().status, 413);
    }

    void abandonedUploadLeavesTheSiteAlone() {
        RawClient client(m_fazt.port());
        const QByteArray archive = tarGz({{"index.html", QByteArray(3 << 20, 'x')}});
        client.send(RawClient::request("admin.localhost", "/api/sites/demo/deploys",
                                       {"Authorization: Bearer " + m_deployToken,
                                        "Content-Length: " + QByteArray::number(archive.size())},
                                       "POST") +
                    archive.left(archive.size() / 2));
        client.socket().abort();
        QTest::qWait(300);
        QVERIFY(
            test::fetch(m_fazt.port(), "demo.example.com", "/").body.contains("Hello from Fazt"));
        QTRY_COMPARE(QDir(m_uploads.path()).entryList(QDir::Files).size(), 0);
    }

    void settingsDomainsAndDelete() {
        QCOMPARE(upload("app", tarGz({{"index.html", "<div id=app>"}}), m_deployToken).status, 201);
        QCOMPARE(test::fetch(m_fazt.port(), "app.example.com", "/deep/link").status, 404);
        QCOMPARE(call("PUT", "/api/sites/app/settings", m_adminToken, R"({"spa": true})").status,
                 200);
        QCOMPARE(test::fetch(m_fazt.port(), "app.example.com", "/deep/link").body,
                 QByteArray("<div id=app>"));
        QCOMPARE(
            call("PUT", "/api/sites/app/settings", m_adminToken, R"({"colour": "red"})").status,
            400);

        QCOMPARE(call("POST", "/api/sites/app/domains", m_adminToken,
                      R"({"hostname": "www.myapp.test"})")
                     .status,
                 201);
        QCOMPARE(test::fetch(m_fazt.port(), "www.myapp.test", "/").body,
                 QByteArray("<div id=app>"));
        QCOMPARE(call("POST", "/api/sites/blog/domains", m_adminToken,
                      R"({"hostname": "www.myapp.test"})")
                     .status,
                 409);
        QCOMPARE(
            call("POST", "/api/sites/app/domains", m_adminToken, R"({"hostname": "not a host"})")
                .status,
            400);
        QCOMPARE(
            call("POST", "/api/sites/app/domains", m_adminToken, R"({"hostname": "x.example.com"})")
                .status,
            400);
        QCOMPARE(jsonBody(call("GET", "/api/sites/app/domains", m_readToken))
                     .value(QStringLiteral("domains"))
                     .toArray()
                     .size(),
                 1);
        QCOMPARE(call("DELETE", "/api/sites/app/domains/www.myapp.test", m_adminToken).status, 204);
        QCOMPARE(test::fetch(m_fazt.port(), "www.myapp.test", "/").status, 404);

        QCOMPARE(call("DELETE", "/api/sites/root", m_adminToken).status, 409);
        QCOMPARE(call("DELETE", "/api/sites/app", m_adminToken).status, 204);
        QCOMPARE(test::fetch(m_fazt.port(), "app.example.com", "/").status, 404);
        QCOMPARE(call("DELETE", "/api/sites/app", m_adminToken).status, 404);
    }

    void tokensThroughTheApi() {
        const HttpResponse created =
            call("POST", "/api/tokens", m_adminToken, R"({"name": "temp", "scopes": ["read"]})");
        QCOMPARE(created.status, 201);
        const QByteArray token =
            jsonBody(created).value(QStringLiteral("token")).toString().toLatin1();
        QCOMPARE(call("GET", "/api/sites", token).status, 200);
        const QByteArray listed = call("GET", "/api/tokens", m_adminToken).body;
        QVERIFY(!listed.contains(token)); // secrets are never listed
        const QByteArray id =
            QByteArray::number(jsonBody(created).value(QStringLiteral("id")).toInteger());
        QCOMPARE(call("DELETE", "/api/tokens/" + id, m_adminToken).status, 204);
        QCOMPARE(call("GET", "/api/sites", token).status, 401); // revoked
        QCOMPARE(call("POST", "/api/tokens", m_adminToken, R"({"name": "x", "scopes": ["root"]})")
                     .status,
                 400);
    }

    void configIsValidated() {
        QCOMPARE(call("GET", "/api/config", m_readToken).status, 200);
        const HttpResponse set =
            call("PUT", "/api/config", m_adminToken, R"({"cache.large_file_bytes": 4194304})");
        QCOMPARE(set.status, 200);
        QCOMPARE(jsonBody(set)
                     .value(QStringLiteral("values"))
                     .toObject()
                     .value(QStringLiteral("cache.large_file_bytes"))
                     .toString(),
                 QStringLiteral("4194304"));
        QVERIFY(jsonBody(set).value(QStringLiteral("warnings")).toArray().isEmpty());
        const HttpResponse risky =
            call("PUT", "/api/config", m_adminToken, R"({"cache.large_file_bytes": 134217728})");
        QCOMPARE(risky.status, 200);
        QCOMPARE(jsonBody(risky).value(QStringLiteral("warnings")).toArray().size(), 1);
        QCOMPARE(
            call("PUT", "/api/config", m_adminToken, R"({"cache.large_file_bytes": -5})").status,
            400);
        QCOMPARE(
            call("PUT", "/api/config", m_adminToken, R"({"stats.retention_days": "lots"})").status,
            400);
        QCOMPARE(call("PUT", "/api/config", m_adminToken, R"({"domain": "evil.test"})").status,
                 400);
        // The cache budget is a machine limit, set where its safe range is known.
        const HttpResponse budget =
            call("PUT", "/api/config", m_adminToken, R"({"cache.bytes": 67108864})");
        QCOMPARE(budget.status, 400);
        QVERIFY(errorMessage(budget).contains(QLatin1String("/api/system/limits")));
        QCOMPARE(call("PUT", "/api/config", m_adminToken, R"({"cache.large_file_bytes": 2097152})")
                     .status,
                 200);
    }

    void passwordChangedWhileRunning() {
        const HttpResponse before = call(
            "POST", "/api/login", {}, R"({"username":"admin","password":"correct horse battery"})");
        QCOMPARE(before.status, 200);
        const QByteArray oldSession = before.header("Set-Cookie").split(';').first();
        const QString file = m_dir.filePath(QStringLiteral("new-password"));
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("a brand new password\n");
        f.close();
        QProcess p;
        p.start(qEnvironmentVariable("FAZT_BIN"),
                {QStringLiteral("server"), QStringLiteral("set-credentials"),
                 QStringLiteral("--db"), m_db, QStringLiteral("--password-file"), file});
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(p.exitCode(), 0);
        // A token made by another process works at its first use, and so does the password
        // (one login attempt: no failed retries that the rate limiter would count).
        const QByteArray late = createToken("late", "read");
        QCOMPARE(call("GET", "/api/sites", late).status, 200);
        QCOMPARE(call("POST", "/api/login", {},
                      R"({"username":"admin","password":"a brand new password"})")
                     .status,
                 200);
    }

    // Last: it locks this address out of logging in for a while.
    void loginIsRateLimited() {
        int status = 0;
        for (int i = 0; i < 8 && status != 429; ++i)
            status =
                call("POST", "/api/login", {}, R"({"username":"admin","password":"guess guess"})")
                    .status;
        QCOMPARE(status, 429);
        const HttpResponse limited = call(
            "POST", "/api/login", {}, R"({"username":"admin","password":"a brand new password"})");
        QCOMPARE(limited.status, 429);
        QVERIFY(limited.header("Retry-After").toInt() > 0);
        QCOMPARE(call("GET", "/api/sites", m_readToken).status, 200); // tokens still work
    }
};

QTEST_GUILESS_MAIN(TestAdmin)
#include "tst_admin.moc"
