// HTTPS with the local CA (`fazt server start --https-port --self-signed`): SNI picks each
// site's certificate, unknown names get the fallback, HSTS on HTTPS only, the plain port
// redirects except on localhost, and hostile bytes on the TLS port cost nothing but the
// connection.

#include "support/faztrun.h"
#include "tlstestsupport.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>

using namespace fazt;
using namespace fazt::test;

class TestTls : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_db;
    QByteArray m_token;
    quint16 m_httpPort = 0;
    quint16 m_httpsPort = 0;
    QString m_ca;
    HttpsFazt m_fazt;

private Q_SLOTS:
    void initTestCase() {
        m_db = m_dir.filePath(QStringLiteral("tls.db"));
        QVERIFY(initDatabase(m_db, QStringLiteral("example.test")));
        m_token = createToken(m_db);
        m_httpPort = freePort();
        m_httpsPort = freePort();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("FAZT_HTTP_HEADER_TIMEOUT_MS"), QStringLiteral("2000"));
        QVERIFY(m_fazt.start(m_db, m_httpPort, m_httpsPort,
                             {QStringLiteral("--self-signed"), QStringLiteral("--hsts-max-age"),
                              QStringLiteral("600")},
                             env));
        QTRY_VERIFY_WITH_TIMEOUT(m_fazt.certificates(m_token)
                                         .value(QStringLiteral("demo.example.test"))
                                         .value(QStringLiteral("issuer"))
                                         .toString() == QLatin1String("Fazt local CA"),
                                 20000);
        // The local CA lives in the database, like every key.
        QByteArray ca;
        QCOMPARE(runTool(QStringLiteral("sqlite3"),
                         {m_db, QStringLiteral("SELECT value FROM certificates WHERE key = "
                                               "'local-ca/cert.pem'")},
                         &ca),
                 0);
        QVERIFY(ca.startsWith("-----BEGIN CERTIFICATE-----"));
        m_ca = m_dir.filePath(QStringLiteral("ca.pem"));
        QFile file(m_ca);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(ca);
    }

    void cleanupTestCase() { QCOMPARE(m_fazt.stop(), 0); }

    // `fazt certificates list|renew`: the same list, as a table or the API's JSON.
    void theCliListsCertificates() {
        const QStringList server{QStringLiteral("--server"),
                                 QStringLiteral("http://127.0.0.1:%1").arg(m_httpPort),
                                 QStringLiteral("--token"), QString::fromLatin1(m_token)};
        const auto list = test::runFazt(
            QStringList{QStringLiteral("certificates"), QStringLiteral("list")} + server);
        QCOMPARE(list.exitCode, 0);
        QVERIFY2(list.out.contains(QStringLiteral("demo.example.test")), qPrintable(list.out));
        QVERIFY(list.out.contains(QStringLiteral("Fazt local CA")));
        const auto json =
            test::runFazt(QStringList{QStringLiteral("certificates"), QStringLiteral("list"),
                                      QStringLiteral("--json")} +
                          server);
        QCOMPARE(json.exitCode, 0);
        QVERIFY(!QJsonDocument::fromJson(json.out.toUtf8())
                     .object()
                     .value(QLatin1String("certificates"))
                     .toArray()
                     .isEmpty());
        const auto unknown =
            test::runFazt(QStringList{QStringLiteral("certificates"), QStringLiteral("renew"),
                                      QStringLiteral("unknown.example.net")} +
                          server);
        QCOMPARE(unknown.exitCode, 1);
        QVERIFY(!unknown.err.isEmpty());
    }

    void eachSiteGetsItsOwnCertificate() {
        for (const QByteArray name : {"example.test", "demo.example.test", "admin.example.test"}) {
            const CurlResult result = curlHttps(name, m_httpsPort, m_ca);
            QVERIFY2(result.exitCode == 0, result.verbose.constData());
            QVERIFY2(result.verbose.contains(QByteArray("subject: CN=" + name)),
                     result.verbose.constData());
            QVERIFY(result.verbose.contains("ALPN: server accepted http/1.1"));
            QVERIFY(result.verbose.contains("Strict-Transport-Security: max-age=600"));
        }
        QCOMPARE(curlHttps("demo.example.test", m_httpsPort, m_ca).status, 200);
        QCOMPARE(curlHttps("example.test", m_httpsPort, m_ca, "/no/such/page").status, 404);
    }

    void unknownNamesGetTheFallback() {
        QCOMPARE(handshakeCommonName(m_httpsPort, QStringLiteral("unknown.example.net")),
                 QStringLiteral("fazt"));
        QCOMPARE(handshakeCommonName(m_httpsPort, QStringLiteral("nosite.example.test")),
                 QStringLiteral("fazt"));
        // And such names never get a certificate of their own.
        QVERIFY(!m_fazt.certificates(m_token).contains(QStringLiteral("unknown.example.net")));
    }

    void plainPortRedirectsExceptLocalhost() {
        const HttpResponse redirect = fetch(m_httpPort, "demo.example.test", "/x?y=1");
        QCOMPARE(redirect.status, 301);
        QCOMPARE(redirect.header("Location"),
                 "https://demo.example.test:" + QByteArray::number(m_httpsPort) + "/x?y=1");
        QVERIFY(redirect.header("Strict-Transport-Security").isEmpty()); // HTTPS only
        QCOMPARE(fetch(m_httpPort, "demo.localhost", "/").status, 200);
        QCOMPARE(fetch(m_httpPort, "127.0.0.1", "/").status, 404); // served, not redirected
        QCOMPARE(fetch(m_httpPort, "demo.example.test", "/.well-known/acme-challenge/abc").status,
                 404);
        QCOMPARE(
            fetch(m_httpPort, "demo.example.test", "/.well-known/acme-challenge/%27%20OR%201=1")
                .status,
            404);
    }

    void hostileBytesOnTheTlsPort() {
        // Plain HTTP, garbage, a truncated ClientHello: each only ends its own connection.
        for (const QByteArray &junk :
             {QByteArray("GET / HTTP/1.1\r\nHost: demo.example.test\r\n\r\n"),
              QByteArray(4096, '\xff'), QByteArray::fromHex("160301ffff0100fffb0303")}) {
            QTcpSocket socket;
            socket.connectToHost(QHostAddress::LocalHost, m_httpsPort);
            QVERIFY(socket.waitForConnected(5000));
            socket.write(junk);
            socket.waitForBytesWritten(5000);
            // The server hangs up: at once for what is not TLS, after the (shortened) header
            // timeout for a ClientHello that never completes.
            QElapsedTimer timer;
            timer.start();
            while (socket.state() != QAbstractSocket::UnconnectedState && timer.elapsed() < 15000) {
                socket.waitForReadyRead(100);
                socket.readAll();
            }
            QCOMPARE(socket.state(), QAbstractSocket::UnconnectedState);
        }
        const CurlResult after = curlHttps("demo.example.test", m_httpsPort, m_ca);
        QCOMPARE(after.status, 200);
    }

    void manyHandshakesAndKeepAlive() {
        // curl reuses one connection for several URLs: pipelined-over-TLS keep-alive.
        QByteArray out;
        const QString url = QStringLiteral("https://demo.example.test:%1/").arg(m_httpsPort);
        QCOMPARE(runTool(QStringLiteral("curl"),
                         {QStringLiteral("-sS"), QStringLiteral("--cacert"), m_ca,
                          QStringLiteral("--resolve"),
                          QStringLiteral("demo.example.test:%1:127.0.0.1").arg(m_httpsPort),
                          QStringLiteral("-w"), QStringLiteral("%{http_code} %{num_connects}\n"),
                          QStringLiteral("-o"), QStringLiteral("/dev/null"), url,
                          QStringLiteral("-o"), QStringLiteral("/dev/null"), url,
                          QStringLiteral("-o"), QStringLiteral("/dev/null"), url},
                         &out),
                 0);
        QCOMPARE(out, QByteArray("200 1\n200 0\n200 0\n"));
    }
};

QTEST_GUILESS_MAIN(TestTls)
#include "tst_tls.moc"
