// SiteHandler through a FakeExchange: the Response it builds for each kind of request, as a
// value (the connection's serialising and HEAD/304 body rules are tst_httpserver's): one
// response for GET and HEAD, conditional and range answers for cached and streamed files
// alike, clean URLs, the 404 page and the SPA fallback, and that a remembered miss is
// forgotten when the site changes.

#include "hosting/sitedispatcher.h"
#include "hosting/sitehandler.h"
#include "http/urlpath.h"
#include "support/fakeexchange.h"

#include <QTemporaryDir>
#include <QTest>

using namespace fazt;
using test::FakeExchange;

namespace {

constexpr qint64 LargeFile = 4096; // the cache's threshold here: bigger files are streamed

// Stands in for the admin API: answers 299 so a test sees who answered.
class FakeAdmin : public http::Handler {
public:
    void handle(http::Exchange &exchange) override { exchange.respond(http::Response(299)); }
};

} // namespace

class TestSiteHandler : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<db::Database> m_db;
    std::unique_ptr<vfs::VfsCache> m_cache;
    std::unique_ptr<vfs::Vfs> m_vfs;
    std::unique_ptr<hosting::SiteHandler> m_files;

    void deploy(const QString &site, const QList<QPair<QString, QByteArray>> &files) {
        (void)m_vfs->createSite(site);
        auto writer = m_vfs->beginDeploy(site);
        QVERIFY(writer);
        for (const auto &[path, content] : files)
            QVERIFY((*writer)->addFile(path, content));
        QVERIFY((*writer)->commit());
    }

    // Serves `path` of `site` for a request with `fields`; the exchange keeps the response.
    void serve(FakeExchange &exchange, const QString &site) {
        m_files->serve(exchange, site, http::decodePath(exchange.request().path()));
        QCOMPARE(exchange.responseCount(), 1);
    }

private Q_SLOTS:
    void init() {
        m_files.reset();
        m_vfs.reset();
        m_cache.reset();
        m_db.reset();
        auto opened = db::Database::open(m_dir.filePath(
            QStringLiteral("%1.db").arg(QString::fromLatin1(QTest::currentTestFunction()))));
        QVERIFY(opened);
        m_db = std::move(*opened);
        m_cache = std::make_unique<vfs::VfsCache>(1 << 20, LargeFile);
        m_vfs = std::make_unique<vfs::Vfs>(*m_db, m_cache.get());
        m_files = std::make_unique<hosting::SiteHandler>(*m_vfs, *m_cache);
        deploy(QStringLiteral("t"), {{QStringLiteral("index.html"), "<h1>home</h1>"},
                                     {QStringLiteral("about.html"), "<h1>about</h1>"},
                                     {QStringLiteral("docs/index.html"), "<h1>docs</h1>"},
                                     {QStringLiteral("404.html"), "<h1>lost</h1>"},
                                     {QStringLiteral("big.bin"), QByteArray(LargeFile * 2, 'b')}});
    }

    void getAndHeadGetTheSameResponse() {
        for (const char *path : {"/about", "/big.bin"}) {
            FakeExchange get("GET", "t", path);
            FakeExchange head("HEAD", "t", path);
            serve(get, QStringLiteral("t"));
            serve(head, QStringLiteral("t"));
            QCOMPARE(head.status(), 200);
            QCOMPARE(head.header("Content-Length"), get.header("Content-Length"));
            QCOMPARE(head.header("ETag"), get.header("ETag"));
            QCOMPARE(head.response().contentType, get.response().contentType);
            QCOMPARE(head.response().bodyBytes(http::Method::Head), 0);
            QCOMPARE(get.response().bodyBytes(http::Method::Get),
                     get.header("Content-Length").toLongLong());
        }
    }

    void cachedAndStreamedFilesAnswerConditionsAlike() {
        for (const char *path : {"/about.html", "/big.bin"}) {
            FakeExchange first("GET", "t", path);
            serve(first, QStringLiteral("t"));
            QCOMPARE(first.status(), 200);
            const QByteArray etag = first.header("ETag");
            const QByteArray modified = first.header("Last-Modified");
            QVERIFY(!etag.isEmpty());
            FakeExchange byTag("GET", "t", path, {"If-None-Match: W/" + etag});
            serve(byTag, QStringLiteral("t"));
            QCOMPARE(byTag.status(), 304);
            QCOMPARE(byTag.header("ETag"), etag);
            FakeExchange byDate("GET", "t", path, {"If-Modified-Since: " + modified});
            serve(byDate, QStringLiteral("t"));
            QCOMPARE(byDate.status(), 304);
            FakeExchange range("GET", "t", path, {"Range: bytes=1-3"});
            serve(range, QStringLiteral("t"));
            QCOMPARE(range.status(), 206);
            QCOMPARE(range.header("Content-Length"), QByteArray("3"));
            QVERIFY(range.header("Content-Range").startsWith("bytes 1-3/"));
            FakeExchange outside("GET", "t", path, {"Range: bytes=999999-"});
            serve(outside, QStringLiteral("t"));
            QCOMPARE(outside.status(), 416);
        }
    }

    void cleanUrlsAndRedirects() {
        FakeExchange clean("GET", "t", "/about");
        serve(clean, QStringLiteral("t"));
        QCOMPARE(clean.status(), 200);
        QCOMPARE(clean.response().body, QByteArray("<h1>about</h1>"));
        FakeExchange folder("GET", "t", "/docs?x=1");
        serve(folder, QStringLiteral("t"));
        QCOMPARE(folder.status(), 301);
        QCOMPARE(folder.header("Location"), QByteArray("/docs/?x=1"));
        FakeExchange post("POST", "t", "/about", {}, "x");
        serve(post, QStringLiteral("t"));
        QCOMPARE(post.status(), 405);
        QCOMPARE(post.header("Allow"), QByteArray("GET, HEAD, OPTIONS"));
        FakeExchange traversal("GET", "t", "/a/%2e%2e/b");
        serve(traversal, QStringLiteral("t"));
        QCOMPARE(traversal.status(), 400);
    }

    void theDispatcherRoutesByHost() {
        hosting::HostRouter router(QStringLiteral("example.com"));
        hosting::SiteDispatcher dispatcher(*m_files, router, *m_vfs);
        FakeExchange site("GET", "t.example.com", "/about");
        dispatcher.handle(site);
        QCOMPARE(site.response().body, QByteArray("<h1>about</h1>"));
        FakeExchange unknown("GET", "elsewhere.org", "/");
        dispatcher.handle(unknown);
        QCOMPARE(unknown.status(), 404);
        QVERIFY(unknown.response().body.contains("No site is configured"));
        FakeExchange noAdmin("GET", "admin.example.com", "/api/sites");
        dispatcher.handle(noAdmin);
        QCOMPARE(noAdmin.status(), 404);
        FakeAdmin admin;
        dispatcher.setAdminHandler(&admin);
        FakeExchange api("GET", "admin.example.com", "/api/sites");
        dispatcher.handle(api);
        QCOMPARE(api.status(), 299);
        // With a dashboard, the admin host's other paths are its files.
        m_files->setDashboard(QStringLiteral("t"), {{"X-Frame-Options", "DENY"}});
        m_cache->removeSite(QStringLiteral("t")); // set before serving, as the server does
        FakeExchange page("GET", "admin.example.com", "/about");
        dispatcher.handle(page);
        QCOMPARE(page.response().body, QByteArray("<h1>about</h1>"));
        QCOMPARE(page.header("X-Frame-Options"), QByteArray("DENY"));
        QCOMPARE(page.header("Cache-Control"), QByteArray("no-cache"));
        FakeExchange stillApi("GET", "admin.example.com", "/%61pi/sites");
        dispatcher.handle(stillApi);
        QCOMPARE(stillApi.status(), 299);
    }

    void missesGetThe404PageOrTheSpaIndexUntilTheSiteChanges() {
        FakeExchange lost("GET", "t", "/no/such/page");
        serve(lost, QStringLiteral("t"));
        QCOMPARE(lost.status(), 404);
        QCOMPARE(lost.response().body, QByteArray("<h1>lost</h1>"));
        // The site becomes a single-page app: the remembered miss and fallback are forgotten.
        QVERIFY(m_vfs->setSiteSettings(QStringLiteral("t"), QStringLiteral("{\"spa\": true}")));
        for (int i = 0; i < 2; ++i) { // the second time from what was remembered
            FakeExchange deep("GET", "t", "/no/such/page");
            serve(deep, QStringLiteral("t"));
            QCOMPARE(deep.status(), 200);
            QCOMPARE(deep.response().body, QByteArray("<h1>home</h1>"));
        }
        // A deploy that adds the page: served, not the remembered miss.
        deploy(QStringLiteral("t"), {{QStringLiteral("index.html"), "<h1>home</h1>"},
                                     {QStringLiteral("no/such/page.html"), "<h1>found</h1>"}});
        FakeExchange found("GET", "t", "/no/such/page");
        serve(found, QStringLiteral("t"));
        QCOMPARE(found.response().body, QByteArray("<h1>found</h1>"));
        FakeExchange ghost("GET", "ghost", "/");
        serve(ghost, QStringLiteral("ghost"));
        QCOMPARE(ghost.status(), 404);
        QVERIFY(ghost.response().body.contains("no site named"));
    }
};

QTEST_GUILESS_MAIN(TestSiteHandler)
#include "tst_sitehandler.moc"
