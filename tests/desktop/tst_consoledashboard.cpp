// The dashboard's model against a real `fazt`: every list the server reports is there (paths
// with their site, browsers, status codes, events), the time axis has one bucket per hour or
// day ending now, sizes are in one unit system, and a server that cannot be reached is one
// readable message.

#include "client/apiclient.h"
#include "consoleserver.h"
#include "dashboardmodel.h"
#include "format.h"

#include <QCoreApplication>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

using namespace fazt;
using namespace fazt::console;
using fazt::test::ConsoleServer;

class TestConsoleDashboard : public QObject {
    Q_OBJECT

    ConsoleServer m_server;
    client::ApiClient m_api;

    static QStringList column(const QVariantList &rows, const QString &key) {
        QStringList values;
        for (const QVariant &row : rows)
            values.append(row.toMap().value(key).toString());
        return values;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(m_server.start(), "the fazt server did not start");
        QVERIFY(m_api.setServer(m_server.url()));
        m_api.setToken(m_server.token());
        // Traffic on two sites, both at "/": the demo site (200) and an empty one (404).
        QVERIFY(client::waitFor<client::Site>(
            [&](auto done) { m_api.createSite(QStringLiteral("blog"), done); }));
        for (int i = 0; i < 3; ++i) {
            test::fetch(m_server.port(), "demo.localhost", "/",
                        {"User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:115.0) Gecko/20100101 "
                         "Firefox/115.0"});
            test::fetch(m_server.port(), "blog.localhost", "/");
        }
        QCOMPARE(test::fetch(m_server.port(), "demo.localhost", "/pixel.gif?e=signup").status, 200);
        QVERIFY(client::waitFor<QJsonObject>([&](auto done) {
            m_api.call("POST", QStringLiteral("/api/stats/flush"), QString(), {}, done);
        }));
    }

    void everyListTheServerReportsIsThere() {
        DashboardModel dashboard;
        dashboard.setClient(&m_api);
        QTRY_VERIFY(dashboard.hasStats());
        // "/" twice, each with its site: the page shows which is which.
        const QVariantList paths = dashboard.topPaths();
        QStringList rootSites;
        for (const QVariant &row : paths)
            if (row.toMap().value(QStringLiteral("path")).toString() == u"/")
                rootSites.append(row.toMap().value(QStringLiteral("site")).toString());
        rootSites.sort();
        QCOMPARE(rootSites, QStringList({QStringLiteral("blog"), QStringLiteral("demo")}));
        QVERIFY(column(dashboard.statusCodes(), QStringLiteral("status")).contains(u"404"));
        QVERIFY(column(dashboard.statusCodes(), QStringLiteral("status")).contains(u"200"));
        QVERIFY(!dashboard.browsers().isEmpty());
        QCOMPARE(column(dashboard.topEvents(), QStringLiteral("name")),
                 QStringList{QStringLiteral("signup")});
        QVERIFY(dashboard.problem().isEmpty());
    }

    // Each day of the week has its bucket and its label, the last one today; a day has 24
    // hours ending with this one; nothing lies in the future.
    void theTimeAxisEndsNowWithoutGaps() {
        DashboardModel dashboard;
        dashboard.setClient(&m_api);
        QTRY_VERIFY(dashboard.hasStats());
        QCOMPARE(dashboard.bucketCount(), 24);
        const QDateTime now = QDateTime::currentDateTimeUtc();
        const QDateTime lastHour = QDateTime::fromString(
            dashboard.series().last().toMap().value(QStringLiteral("t")).toString(), Qt::ISODate);
        QVERIFY(lastHour <= now && lastHour.secsTo(now) < 3600);
        QCOMPARE(dashboard.axisLabels().last().toMap().value(QStringLiteral("at")).toInt(), 23);

        QSignalSpy changed(&dashboard, &DashboardModel::statsChanged);
        dashboard.setDays(7);
        QTRY_COMPARE(dashboard.bucketCount(), 7);
        const QVariantList labels = dashboard.axisLabels();
        QCOMPARE(labels.size(), 7);
        for (int i = 0; i < 7; ++i) {
            const QVariantMap label = labels[i].toMap();
            QCOMPARE(label.value(QStringLiteral("at")).toInt(), i);
            const QDate day = now.date().addDays(i - 6);
            QCOMPARE(label.value(QStringLiteral("text")).toString(),
                     QLocale().toString(day, QStringLiteral("MMM d")));
        }
        QVERIFY(dashboard.to() <= now.addDays(1)); // the server's end of today

        dashboard.setDays(30);
        QTRY_COMPARE(dashboard.bucketCount(), 30);
        QCOMPARE(dashboard.axisLabels().size(), 6); // every 5th day, ending today
        QCOMPARE(dashboard.axisLabels().last().toMap().value(QStringLiteral("at")).toInt(), 29);
    }

    // A server that cannot be reached: one message, naming the server rather than each
    // request's URL, and the parts that asked stay quiet.
    void anUnreachableServerIsOneReadableMessage() {
        QTcpServer closed;
        QVERIFY(closed.listen(QHostAddress::LocalHost));
        const quint16 port = closed.serverPort();
        closed.close();
        client::ApiClient api;
        QVERIFY(api.setServer(QStringLiteral("http://127.0.0.1:%1").arg(port)));
        api.setToken("token");
        DashboardModel dashboard;
        QSignalSpy metrics(&dashboard, &DashboardModel::metricsChanged);
        QSignalSpy stats(&dashboard, &DashboardModel::statsChanged);
        dashboard.setClient(&api);
        QTRY_VERIFY(metrics.size() >= 2 && stats.size() >= 2); // both answered
        QVERIFY(dashboard.problem().contains(u"connection refused"));
        QVERIFY2(!dashboard.problem().contains(u"/api/"), qPrintable(dashboard.problem()));
        QVERIFY2(!dashboard.problem().contains(u'\n'), qPrintable(dashboard.problem()));
        QVERIFY(dashboard.statsMessage().isEmpty());
        QVERIFY(dashboard.metricsMessage().isEmpty());
    }

    // Binary units everywhere, and named so: never "MB" next to "MiB".
    void sizesAreBinaryAndSaySo() {
        QCOMPARE(Format::bytes(1536),
                 QLocale().formattedDataSize(1536, 1, QLocale::DataSizeIecFormat));
        QVERIFY(Format::bytes(1536).endsWith(u"KiB"));
        QVERIFY(Format::bytes(256.0 * 1024 * 1024).endsWith(u"MiB"));
        QVERIFY(Format::bytes(3.0 * 1024 * 1024 * 1024).endsWith(u"GiB"));
    }
};

QTEST_MAIN(TestConsoleDashboard)
#include "tst_consoledashboard.moc"
