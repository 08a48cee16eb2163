// The console's models against a real `fazt` on loopback: what a person sees in the window,
// asserted on the models behind it.

#include "archive/archivewriter.h"
#include "client/apiclient.h"
#include "consoleserver.h"
#include "dashboardmodel.h"
#include "deploycontroller.h"
#include "limitsmodel.h"
#include "secretstore.h"
#include "serverlistmodel.h"
#include "simulatormodel.h"
#include "sitesmodel.h"

#include <QCoreApplication>
#include <QJsonDocument>
#include <QLineSeries>
#include <QRandomGenerator>
#include <QSettings>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTest>

#include <archive.h>
#include <archive_entry.h>

using namespace fazt;
using namespace fazt::console;
using fazt::test::ConsoleServer;
using fazt::test::writeFile;

namespace {

QByteArray randomBytes(qsizetype size) {
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator generator(7);
    for (qsizetype i = 0; i + 4 <= size; i += 4) {
        const quint32 v = generator.generate();
        memcpy(bytes.data() + i, &v, 4);
    }
    return bytes;
}

// A tar.gz whose one entry tries to climb out of the site: the server must refuse it.
bool writeHostileArchive(const QString &path) {
    ::archive *a = archive_write_new();
    archive_write_set_format_pax_restricted(a);
    archive_write_add_filter_gzip(a);
    if (archive_write_open_filename(a, path.toLocal8Bit().constData()) != ARCHIVE_OK)
        return false;
    archive_entry *entry = archive_entry_new();
    const QByteArray body = "owned";
    archive_entry_set_pathname(entry, "../escape.html");
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, body.size());
    archive_write_header(a, entry);
    archive_write_data(a, body.constData(), size_t(body.size()));
    archive_entry_free(entry);
    archive_write_close(a);
    archive_write_free(a);
    return true;
}

// An admin API that answers canned JSON by path (404 for anything else), to hold the console
// to the JSON shapes of endpoints before every server has them.
class FakeAdmin : public QObject {
public:
    FakeAdmin() {
        m_server.listen(QHostAddress::LocalHost);
        connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *socket = m_server.nextPendingConnection())
                connect(socket, &QTcpSocket::readyRead, socket, [this, socket] { reply(socket); });
        });
    }
    QString url() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_server.serverPort()); }
    void answer(const QString &path, const QByteArray &json) { m_answers.insert(path, json); }
    QString lastTarget() const { return m_lastTarget; }

private:
    void reply(QTcpSocket *socket) {
        m_buffer[socket] += socket->readAll();
        const QByteArray request = m_buffer[socket];
        if (!request.contains("\r\n\r\n"))
            return;
        m_buffer.remove(socket);
        m_lastTarget = QString::fromLatin1(request.split(' ').value(1));
        const QByteArray body = m_answers.value(m_lastTarget.section(u'?', 0, 0));
        const QByteArray status = body.isEmpty() ? "404 Not Found" : "200 OK";
        const QByteArray content =
            body.isEmpty()
                ? R"({"error":{"code":"not_found","message":"There is no API endpoint."}})"
                : body;
        socket->write("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\n" +
                      "Content-Length: " + QByteArray::number(content.size()) + "\r\n\r\n" +
                      content);
    }

    QTcpServer m_server;
    QHash<QString, QByteArray> m_answers;
    QHash<QTcpSocket *, QByteArray> m_buffer;
    QString m_lastTarget;
};

} // namespace

class TestConsoleModels : public QObject {
    Q_OBJECT

    ConsoleServer m_server;
    QTemporaryDir m_scratch;

    QString scratch(const QString &name) const { return m_scratch.filePath(name); }

    QByteArray fetchSite(const QByteArray &site, const QByteArray &path = "/") {
        return test::fetch(m_server.port(), site + ".localhost", path).body;
    }

private Q_SLOTS:
    void initTestCase() {
        QStandardPaths::setTestModeEnabled(true);
        QVERIFY(m_scratch.isValid());
        QVERIFY2(m_server.start(), "the fazt server did not start");
    }

    void init() { QSettings().clear(); }

    // --- ServerListModel ---------------------------------------------------------------------

    void addServerWithTokenShowsItReadyAndRemembersIt() {
        MemorySecretStore store;
        {
            ServerListModel servers;
            servers.setSecretStore(&store);
            servers.load();
            QSignalSpy added(&servers, &ServerListModel::serverAdded);
            servers.addServer(QStringLiteral("Test"), m_server.url(),
                              QString::fromLatin1(m_server.token()));
            QVERIFY(added.wait(10000));
            QCOMPARE(servers.rowCount(), 1);
            const QModelIndex row = servers.index(0);
            QCOMPARE(row.data(ServerListModel::NameRole).toString(), QStringLiteral("Test"));
            QTRY_COMPARE(row.data(ServerListModel::StateRole).toInt(),
                         int(ServerListModel::State::Ready));
            QVERIFY(row.data(ServerListModel::StatusTextRole).toString().startsWith(u"Ready"));
            QCOMPARE(servers.currentIndex(), 0);
            QVERIFY(servers.currentClient());
        }
        // The token is in the secret store, never in the settings file.
        QSettings settings;
        for (const QString &key : settings.allKeys())
            QVERIFY(
                !settings.value(key).toString().contains(QString::fromLatin1(m_server.token())));
        // A new console finds the server and its token again.
        ServerListModel again;
        again.setSecretStore(&store);
        QSignalSpy loaded(&again, &ServerListModel::loaded);
        again.load();
        QVERIFY(loaded.wait(5000));
        QCOMPARE(again.rowCount(), 1);
        QTRY_COMPARE(again.index(0).data(ServerListModel::StateRole).toInt(),
                     int(ServerListModel::State::Ready));
        // Removing forgets the token too.
        again.removeServer(0);
        QCOMPARE(again.rowCount(), 0);
        bool isGone = false;
        store.read(ServerListModel::secretKeyFor(m_server.url()), [&](Result<QByteArray> r) {
            isGone = !r && r.error().code == Error::Code::NotFound;
        });
        QTRY_VERIFY(isGone);
    }

    void wrongTokenIsRefusedWithTheServersWords() {
        MemorySecretStore store;
        ServerListModel servers;
        servers.setSecretStore(&store);
        QSignalSpy failed(&servers, &ServerListModel::addFailed);
        servers.addServer(QString(), m_server.url(), QStringLiteral("fazt_not-a-real-token"));
        QVERIFY(failed.wait(10000));
        QVERIFY2(failed.first().first().toString().contains(u"The API token is not valid"),
                 qPrintable(failed.first().first().toString()));
        QCOMPARE(servers.rowCount(), 0);
        QVERIFY(!servers.isAdding());
    }

    void malformedAddressesAreRefusedAtOnce() {
        ServerListModel servers;
        MemorySecretStore store;
        servers.setSecretStore(&store);
        QSignalSpy failed(&servers, &ServerListModel::addFailed);
        for (const QString &url :
             QStringList{QStringLiteral("ftp://example.com"), QString(),
                         QStringLiteral("http://example.com/some/path"),
                         QString(QString(5000, u'x') + QStringLiteral("://"))}) {
            servers.addServer(QString(), url, QStringLiteral("token"));
        }
        QCOMPARE(failed.size(), 4);
        QCOMPARE(servers.rowCount(), 0);
    }

    // A server that accepts connections and never answers must not freeze the window: the
    // row says it is being checked, the event loop keeps its pace, and it can be removed.
    void aServerThatNeverAnswersDoesNotBlock() {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost));
        QTcpServer refused; // a port nobody listens on
        QVERIFY(refused.listen(QHostAddress::LocalHost));
        const quint16 closedPort = refused.serverPort();
        refused.close();

        MemorySecretStore store;
        ServerListModel servers;
        servers.setSecretStore(&store);
        servers.setPollInterval(500);
        servers.addSessionServer(QStringLiteral("http://127.0.0.1:%1").arg(silent.serverPort()),
                                 QStringLiteral("token"));
        servers.addSessionServer(QStringLiteral("http://127.0.0.1:%1").arg(closedPort),
                                 QStringLiteral("token"));
        servers.addSessionServer(m_server.url(), QString::fromLatin1(m_server.token()));
        QCOMPARE(servers.rowCount(), 3);

        QElapsedTimer clock;
        clock.start();
        qint64 last = 0;
        qint64 longestGap = 0;
        QTimer beat;
        beat.setInterval(20);
        connect(&beat, &QTimer::timeout, [&] {
            longestGap = std::max(longestGap, clock.elapsed() - last);
            last = clock.elapsed();
        });
        beat.start();
        QTRY_COMPARE(servers.index(1).data(ServerListModel::StateRole).toInt(),
                     int(ServerListModel::State::Unreachable));
        QTRY_COMPARE(servers.index(2).data(ServerListModel::StateRole).toInt(),
                     int(ServerListModel::State::Ready));
        QTest::qWait(1500);
        QVERIFY2(longestGap < 250,
                 qPrintable(QStringLiteral("the loop stalled %1 ms").arg(longestGap)));
        QCOMPARE(servers.index(0).data(ServerListModel::StateRole).toInt(),
                 int(ServerListModel::State::Checking));
        const QString status = servers.index(1).data(ServerListModel::StatusTextRole).toString();
        QVERIFY(status.contains(u"connection refused"));
        QVERIFY2(!status.contains(u"/api/"), qPrintable(status)); // the server, not a URL
        servers.removeServer(0); // with its request still pending
        QCOMPARE(servers.rowCount(), 2);
        QTest::qWait(100);
    }

    // --- SitesModel and DeployController -----------------------------------------------------

    void sitesCreateDeployRollBackAndDelete() {
        client::ApiClient api;
        QVERIFY(api.setServer(m_server.url()));
        api.setToken(m_server.token());
        SitesModel sites;
        sites.setClient(&api);
        QTRY_VERIFY(sites.indexOf(QStringLiteral("demo")) >= 0);

        QSignalSpy created(&sites, &SitesModel::siteCreated);
        sites.createSite(QStringLiteral("Not A Name"));
        QTRY_VERIFY(!sites.error().isEmpty());
        QCOMPARE(created.size(), 0);
        sites.createSite(QStringLiteral("docs"));
        QVERIFY(created.wait(10000));
        QTRY_VERIFY(sites.indexOf(QStringLiteral("docs")) >= 0);
        QCOMPARE(sites.currentSite(), QStringLiteral("docs"));
        QVERIFY(sites.error().isEmpty());

        // Two deploys by the controller, as a drop would start them.
        DeployController deployer;
        deployer.setClient(&api);
        const QString folder = scratch(QStringLiteral("docs"));
        QVERIFY(writeFile(folder + QStringLiteral("/index.html"), "<h1>one</h1>"));
        deployer.deploy(QStringLiteral("docs"), QUrl::fromLocalFile(folder));
        QTRY_COMPARE_WITH_TIMEOUT(deployer.state(), DeployController::State::Done, 20000);
        QCOMPARE(fetchSite("docs"), QByteArray("<h1>one</h1>"));
        QVERIFY(writeFile(folder + QStringLiteral("/index.html"), "<h1>two</h1>"));
        deployer.deploy(QStringLiteral("docs"), QUrl::fromLocalFile(folder));
        QTRY_COMPARE_WITH_TIMEOUT(deployer.state(), DeployController::State::Done, 20000);
        QCOMPARE(fetchSite("docs"), QByteArray("<h1>two</h1>"));

        sites.refresh();
        QTRY_COMPARE(sites.deploys().size(), 2);
        const qint64 older =
            sites.deploys().last().toMap().value(QStringLiteral("id")).toLongLong();
        QSignalSpy activated(&sites, &SitesModel::activated);
        sites.rollback();
        QVERIFY(activated.wait(10000));
        QCOMPARE(activated.first().first().toLongLong(), older);
        QCOMPARE(fetchSite("docs"), QByteArray("<h1>one</h1>"));
        QTRY_VERIFY(sites.deploys().last().toMap().value(QStringLiteral("isActive")).toBool());

        // Domains: added, listed, refused when hostile, removed.
        sites.addDomain(QStringLiteral("docs.example.org"));
        QTRY_COMPARE(sites.domains().size(), 1);
        QCOMPARE(sites.domains().first().toMap().value(QStringLiteral("hostname")).toString(),
                 QStringLiteral("docs.example.org"));
        sites.addDomain(QStringLiteral("not a hostname/../"));
        QTRY_VERIFY(!sites.error().isEmpty());
        sites.removeDomain(QStringLiteral("docs.example.org"));
        QTRY_COMPARE(sites.domains().size(), 0);

        QSignalSpy deleted(&sites, &SitesModel::siteDeleted);
        sites.deleteSite(QStringLiteral("docs"));
        QVERIFY(deleted.wait(10000));
        QTRY_COMPARE(sites.indexOf(QStringLiteral("docs")), -1);
        QCOMPARE(test::fetch(m_server.port(), "docs.localhost", "/").status, 404);
    }

    // A page closed while its requests are out: the answers arrive after the models are
    // gone, and must go nowhere (this crashed the QML tests when a page went away early).
    void modelsGoneBeforeTheirAnswersAreNotCalled() {
        client::ApiClient api;
        QVERIFY(api.setServer(m_server.url()));
        api.setToken(m_server.token());
        for (int round = 0; round < 20; ++round) {
            auto sites = std::make_unique<SitesModel>();
            auto dashboard = std::make_unique<DashboardModel>();
            auto limits = std::make_unique<LimitsModel>();
            sites->setClient(&api); // loads the sites at once
            sites->refresh();
            dashboard->setClient(&api);
            dashboard->setActive(true);
            limits->setClient(&api);
            limits->refresh();
            QVERIFY(!api.findChildren<client::ApiCall *>().isEmpty());
            sites.reset();
            dashboard.reset();
            limits.reset();
            // The calls are dropped with their owners, not left to answer into freed memory.
            QTRY_VERIFY(api.findChildren<client::ApiCall *>().isEmpty());
        }
        // The client is still good for the next page.
        SitesModel sites;
        sites.setClient(&api);
        QTRY_VERIFY(sites.indexOf(QStringLiteral("demo")) >= 0);
    }

    void deployEndsWithTheLiveUrlAndFullProgress() {
        client::ApiClient api;
        QVERIFY(api.setServer(m_server.url()));
        api.setToken(m_server.token());
        DeployController deployer;
        deployer.setClient(&api);
        const QString folder = scratch(QStringLiteral("My Blog_v2"));
        QVERIFY(writeFile(folder + QStringLiteral("/index.html"), "<p>blog</p>"));
        QVERIFY(writeFile(folder + QStringLiteral("/big.bin"), randomBytes(3 << 20)));
        const QString site = DeployController::suggestedSiteName(QUrl::fromLocalFile(folder));
        QCOMPARE(site, QStringLiteral("my-blog-v2"));

        QList<DeployController::State> states;
        connect(&deployer, &DeployController::stateChanged, [&] {
            if (states.isEmpty() || states.last() != deployer.state())
                states.append(deployer.state());
        });
        double lastProgress = 0;
        bool isMonotonic = true;
        connect(&deployer, &DeployController::progressChanged, [&] {
            if (deployer.state() == DeployController::State::Uploading) {
                isMonotonic = isMonotonic && deployer.progress() >= lastProgress;
                lastProgress = deployer.progress();
            }
        });
        QSignalSpy deployed(&deployer, &DeployController::deployed);
        deployer.deploy(site, QUrl::fromLocalFile(folder));
        QVERIFY(deployed.wait(30000));
        QCOMPARE(deployer.state(), DeployController::State::Done);
        QCOMPARE(deployer.progress(), 1.0);
        QVERIFY(isMonotonic);
        QVERIFY(states.contains(DeployController::State::Packing));
        QVERIFY(states.contains(DeployController::State::Uploading));
        QCOMPARE(deployer.liveUrl().host(), QStringLiteral("my-blog-v2.localhost"));
        QCOMPARE(fetchSite("my-blog-v2"), QByteArray("<p>blog</p>"));
    }

    void serverErrorsAreShownAsTheServerWordedThem() {
        client::ApiClient api;
        QVERIFY(api.setServer(m_server.url()));
        api.setToken(m_server.token());
        const QString hostile = scratch(QStringLiteral("hostile.tar.gz"));
        QVERIFY(writeHostileArchive(hostile));
        // What the server says to anyone who sends this archive.
        const auto direct = client::waitFor<client::Deploy>([&](auto done) {
            api.deploy(QStringLiteral("hostile"), hostile, client::Activation::Activate, done);
        });
        QVERIFY(!direct);
        QVERIFY(direct.error().message.contains(u".."));

        DeployController deployer;
        deployer.setClient(&api);
        deployer.deploy(QStringLiteral("hostile"), QUrl::fromLocalFile(hostile));
        QTRY_COMPARE_WITH_TIMEOUT(deployer.state(), DeployController::State::Failed, 20000);
        QCOMPARE(deployer.message(), direct.error().message);
        QCOMPARE(test::fetch(m_server.port(), "hostile.localhost", "/escape.html").status, 404);

        // Neither a folder nor a file: said at once, nothing sent.
        deployer.deploy(QStringLiteral("hostile"),
                        QUrl::fromLocalFile(scratch(QStringLiteral("nothing-here"))));
        QCOMPARE(deployer.state(), DeployController::State::Failed);
        QVERIFY(deployer.message().contains(u"neither a folder nor an archive"));
    }

    void cancelStopsTheUploadAndDeploysNothing() {
        client::ApiClient api;
        QVERIFY(api.setServer(m_server.url()));
        api.setToken(m_server.token());
        const QString folder = scratch(QStringLiteral("huge"));
        QVERIFY(writeFile(folder + QStringLiteral("/index.html"), "<p>huge</p>"));
        // Incompressible: packing and uploading take a while, long enough to cancel.
        for (int i = 0; i < 4; ++i)
            QVERIFY(
                writeFile(folder + QStringLiteral("/blob%1.bin").arg(i), randomBytes(24 << 20)));

        DeployController deployer;
        deployer.setClient(&api);
        deployer.deploy(QStringLiteral("huge"), QUrl::fromLocalFile(folder));
        QTRY_VERIFY_WITH_TIMEOUT(deployer.state() == DeployController::State::Uploading &&
                                     deployer.bytesDone() > 0,
                                 60000);
        deployer.cancel();
        QCOMPARE(deployer.state(), DeployController::State::Cancelled);
        QVERIFY(!deployer.isBusy());
        QTest::qWait(500);
        QCOMPARE(deployer.state(), DeployController::State::Cancelled);
        QCOMPARE(test::fetch(m_server.port(), "huge.localhost", "/").status, 404);

        // Cancelled while packing: stops at once too, and a new deploy can start.
        deployer.deploy(QStringLiteral("huge"), QUrl::fromLocalFile(folder));
        QCOMPARE(deployer.state(), DeployController::State::Packing);
        deployer.cancel();
        QCOMPARE(deployer.state(), DeployController::State::Cancelled);
        QTest::qWait(300);
        QCOMPARE(deployer.state(), DeployController::State::Cancelled);
    }

    // --- DashboardModel and LimitsModel ------------------------------------------------------

    // A server without the analytics and metrics endpoints (an older Fazt) answers 404: the
    // dashboard says "not available on this server" instead of an error.
    void endpointsAServerLacksAreNotAvailable() {
        FakeAdmin old; // answers 404 to everything, like a Fazt from before these endpoints
        client::ApiClient api;
        QVERIFY(api.setServer(old.url()));
        DashboardModel dashboard;
        dashboard.setClient(&api);
        QTRY_VERIFY(!dashboard.statsMessage().isEmpty());
        QTRY_VERIFY(!dashboard.metricsMessage().isEmpty());
        QCOMPARE(dashboard.statsMessage(),
                 QStringLiteral("Traffic statistics are not available on this server."));
        QCOMPARE(dashboard.metricsMessage(),
                 QStringLiteral("Live metrics are not available on this server."));
        QVERIFY(!dashboard.hasStats());
        LimitsModel limits;
        limits.setClient(&api);
        QTRY_VERIFY(limits.message().contains(u"not available on this server"));
        QVERIFY(!limits.isAvailable());
    }

    // The shapes of GET /api/stats and /api/system/metrics as the contract gives them.
    void dashboardReadsStatsAndMetrics() {
        FakeAdmin server;
        server.answer(QStringLiteral("/api/stats"), R"({"site":null,"from":"2026-11-21T00:00:00Z",
            "to":"2026-11-22T00:00:00Z","bucket":"hour",
            "totals":{"visits":42,"visitors":7,"bytes":3145728,"events":50},
            "series":[{"t":"2026-11-21T10:00:00Z","visits":10,"visitors":3,"bytes":1048576},
                      {"t":"2026-11-21T11:00:00Z","visits":32,"visitors":5,"bytes":2097152}],
            "topPaths":[{"path":"/","visits":30}],"topReferrers":[{"host":"example.org","visits":2}],
            "statusCodes":[{"status":200,"count":40}],"topSites":[{"site":"blog","visits":42,"bytes":3145728}]})");
        server.answer(QStringLiteral("/api/system/metrics"),
                      R"({"uptimeSeconds":90,"rssBytes":50000000,
            "cache":{"bytes":1000,"entries":3,"budgetBytes":4000,"hits":9,"misses":1,"hitRate":0.9},
            "writeQueue":{"depth":2,"capacity":1024},"connections":{"open":1,"cap":100},
            "breakers":{"connections":0,"memory":1,"disk":0,"maintenance":0},
            "requests":{"total":10,"byClass":{"2xx":9,"3xx":0,"4xx":1,"5xx":0}}})");
        client::ApiClient api;
        QVERIFY(api.setServer(server.url()));
        DashboardModel dashboard;
        dashboard.setClient(&api);
        QTRY_VERIFY(dashboard.hasStats());
        QTRY_VERIFY(dashboard.hasMetrics());
        QCOMPARE(dashboard.totals().value(QStringLiteral("visits")).toInt(), 42);
        QCOMPARE(dashboard.series().size(), 2);
        QCOMPARE(dashboard.topSites().first().toMap().value(QStringLiteral("site")).toString(),
                 QStringLiteral("blog"));
        QCOMPARE(dashboard.from(), QDateTime(QDate(2026, 11, 21), QTime(0, 0), Qt::UTC));
        QLineSeries visits;
        QCOMPARE(dashboard.fillSeries(&visits, QStringLiteral("visits")), 32.0);
        QCOMPARE(visits.count(), 2);
        QCOMPARE(visits.at(1).y(), 32.0);
        QCOMPARE(visits.at(1).x(), 1.0); // the bucket's index: the axis labels say when
        QCOMPARE(dashboard.statusCodes().first().toMap().value(QStringLiteral("count")).toInt(),
                 40);
        QLineSeries bytes;
        QCOMPARE(dashboard.fillSeries(&bytes, QStringLiteral("bytes"), 1 << 20), 2.0);
        const QVariantMap cache = dashboard.metrics().value(QStringLiteral("cache")).toMap();
        QCOMPARE(cache.value(QStringLiteral("budgetBytes")).toLongLong(), 4000);
        QVERIFY(dashboard.statsMessage().isEmpty());
        // The range asks the server for days, not hours.
        dashboard.setDays(7);
        QTRY_VERIFY(server.lastTarget().contains(u"bucket=day"));
        QVERIFY(server.lastTarget().startsWith(u"/api/stats?"));
    }

    void serverListShowsReadinessAndVersion() {
        MemorySecretStore store;
        ServerListModel servers;
        servers.setSecretStore(&store);
        servers.addSessionServer(m_server.url(), QString::fromLatin1(m_server.token()));
        QTRY_COMPARE(servers.index(0).data(ServerListModel::StateRole).toInt(),
                     int(ServerListModel::State::Ready));
        QCOMPARE(servers.index(0).data(ServerListModel::VersionRole).toString(),
                 QStringLiteral(FAZT_VERSION));
        QVERIFY(servers.index(0)
                    .data(ServerListModel::StatusTextRole)
                    .toString()
                    .contains(QStringLiteral(FAZT_VERSION)));
        const QVariantList breakers = servers.index(0).data(ServerListModel::BreakersRole).toList();
        QVERIFY(!breakers.isEmpty());
        for (const QVariant &b : breakers)
            QVERIFY(!b.toMap().value(QStringLiteral("tripped")).toBool());
    }

    void dashboardAndLimitsOfARealServer() {
        client::ApiClient api;
        QVERIFY(api.setServer(m_server.url()));
        api.setToken(m_server.token());
        DashboardModel dashboard;
        dashboard.setClient(&api);
        QTRY_VERIFY(dashboard.hasMetrics());
        QVERIFY(dashboard.metricsMessage().isEmpty());
        QVERIFY(dashboard.metrics()
                    .value(QStringLiteral("cache"))
                    .toMap()
                    .value(QStringLiteral("budgetBytes"))
                    .toLongLong() > 0);

        LimitsModel limits;
        limits.setClient(&api);
        QTRY_VERIFY(limits.isAvailable());
        int row = -1;
        for (int i = 0; i < limits.rowCount(); ++i)
            if (limits.index(i).data(LimitsModel::KeyRole).toString() ==
                QLatin1String("cacheBytes"))
                row = i;
        QVERIFY(row >= 0);
        const auto value = [&] {
            return limits.index(row).data(LimitsModel::ValueRole).toDouble();
        };
        const double safe = limits.index(row).data(LimitsModel::SafeRole).toDouble();
        QVERIFY(safe > 0);

        // Within the safe range: applied, no warning.
        QSignalSpy applied(&limits, &LimitsModel::applied);
        limits.apply(row, std::floor(safe / 2), false);
        QVERIFY(applied.wait(10000));
        QVERIFY(applied.last().at(1).toStringList().isEmpty());
        QTRY_COMPARE(value(), std::floor(safe / 2));

        // Past it without the confirmation: the server refuses and says what the risk is.
        limits.apply(row, safe * 4, false);
        QTRY_VERIFY(limits.message().contains(u"above the safe"));
        QCOMPARE(applied.size(), 1);
        QCOMPARE(value(), std::floor(safe / 2));

        // With it: applied, with the server's warning, and shown as past the safe value.
        limits.apply(row, safe * 4, true);
        QVERIFY(applied.wait(10000));
        QVERIFY(!applied.last().at(1).toStringList().isEmpty());
        QTRY_COMPARE(value(), safe * 4);
        QVERIFY(limits.index(row).data(LimitsModel::IsPastSafeRole).toBool());

        // Recalibrate: back to what the machine can carry.
        QSignalSpy recalibrated(&limits, &LimitsModel::recalibrated);
        limits.recalibrate();
        QVERIFY(recalibrated.wait(10000));
        QTRY_VERIFY(value() <= limits.index(row).data(LimitsModel::SafeRole).toDouble());
        QVERIFY(!limits.index(row).data(LimitsModel::IsPastSafeRole).toBool());
    }

    void limitsWarnPastTheSafeValue() {
        LimitsModel limits;
        limits.load(QJsonObject{{QStringLiteral("limits"),
                                 QJsonObject{{QStringLiteral("cacheBytes"), 100 << 20},
                                             {QStringLiteral("usableMemoryBytes"), 700 << 20}}},
                                {QStringLiteral("safe"),
                                 QJsonObject{{QStringLiteral("cacheBytes"), 160 << 20},
                                             {QStringLiteral("usableMemoryBytes"), 700 << 20}}}});
        QCOMPARE(limits.rowCount(), 2);
        const int cache =
            limits.index(1).data(LimitsModel::KeyRole).toString() == QLatin1String("cacheBytes")
                ? 1
                : 0;
        QVERIFY(!limits.isPastSafe(cache, 150 << 20));
        QVERIFY(limits.warningFor(cache, 150 << 20).isEmpty());
        QVERIFY(limits.isPastSafe(cache, 200 << 20));
        QVERIFY(limits.warningFor(cache, 200 << 20).contains(u"past the safe value"));
        // Computed limits are shown, never set: no warning whatever the value.
        QVERIFY(!limits.isPastSafe(1 - cache, 1e12));
    }

    // --- SimulatorModel ----------------------------------------------------------------------

    void simulatorShowsWhatCapacityComputes() {
        SimulatorModel simulator;
        QSignalSpy changed(&simulator, &SimulatorModel::resourcesChanged);
        simulator.setMemoryMiB(512);
        simulator.setCpus(2);
        simulator.setDiskGiB(20);
        QCOMPARE(changed.size(), 3);
        system::Resources resources;
        resources.memoryBytes = qint64(512) << 20;
        resources.cpus = 2;
        resources.diskTotalBytes = resources.diskFreeBytes = qint64(20) << 30;
        const system::Limits expected = system::Capacity::compute(resources);
        QVERIFY(simulator.computed() == expected);
        QCOMPARE(simulator.limits().value(QStringLiteral("cacheBytes")).toLongLong(),
                 expected.cacheBytes);
        QCOMPARE(simulator.limits().value(QStringLiteral("concurrentVisitors")).toInt(),
                 expected.concurrentVisitors);

        // More memory never means a smaller cache.
        const qint64 before = simulator.computed().cacheBytes;
        simulator.setMemoryMiB(4096);
        QVERIFY(simulator.computed().cacheBytes > before);

        // The maintenance estimate follows the database size.
        simulator.setDatabaseMiB(1);
        QVERIFY(!simulator.wouldEnterMaintenance());
        simulator.setDatabaseMiB(double(simulator.computed().maintenanceDbBytes) / (1 << 20) + 1);
        QVERIFY(simulator.wouldEnterMaintenance());

        // Presets set all three sliders; out-of-range values are clamped, not taken.
        simulator.applyPreset(1);
        QCOMPARE(simulator.presetIndex(), 1);
        simulator.setMemoryMiB(-5);
        QVERIFY(simulator.memoryMiB() >= 64);
        simulator.setCpus(1e9);
        QVERIFY(simulator.cpus() <= 256);
        simulator.applyPreset(999);
        QVERIFY(simulator.memoryMiB() >= 64);
    }

    // The simulator and `fazt simulate` must always show the same numbers.
    void simulatorAgreesWithFaztSimulate() {
        SimulatorModel simulator;
        for (int i = 0; i < simulator.presets().size(); ++i) {
            simulator.applyPreset(i);
            const QByteArray out = ConsoleServer::runFazt(
                {QStringLiteral("simulate"), QStringLiteral("--json"), QStringLiteral("--ram"),
                 QStringLiteral("%1M").arg(qint64(simulator.memoryMiB())), QStringLiteral("--cpus"),
                 QString::number(simulator.cpus()), QStringLiteral("--disk"),
                 QStringLiteral("%1G").arg(qint64(simulator.diskGiB()))});
            const QJsonObject cli =
                QJsonDocument::fromJson(out).object().value(QStringLiteral("limits")).toObject();
            QVERIFY2(!cli.isEmpty(), out.constData());
            QCOMPARE(QJsonObject::fromVariantMap(simulator.limits()), cli);
        }
    }
};

QTEST_MAIN(TestConsoleModels)
#include "tst_consolemodels.moc"
