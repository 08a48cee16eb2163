// ACME end to end against Debian's pebble (validation on: pebble connects to our HTTP and
// HTTPS ports, names resolved by pebble-challtestsrv to 127.0.0.1): HTTP-01 and TLS-ALPN-01,
// curl over HTTPS trusting pebble's root, SNI per site with a fallback, on-demand issuance
// only for names that map to a site, forced renewal, a CA that is down, badNonce recovery
// (pebble rejects a share of nonces), and two processes on one database ordering once.

#include "tls/pki.h"
#include "tlstestsupport.h"

#include <QRandomGenerator>
#include <QStandardPaths>
#include <QTemporaryDir>

using namespace fazt;
using namespace fazt::test;

class TestAcme : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QProcess m_challtestsrv;
    QProcess m_pebble;
    quint16 m_pebblePort = 0;
    quint16 m_httpPort = 0;  // pebble validates HTTP-01 here
    quint16 m_httpsPort = 0; // and TLS-ALPN-01 here
    QString m_pebbleCa;      // trusted for pebble's own HTTPS
    QString m_root;          // pebble's issuing root, from its management API
    QString m_db;
    QByteArray m_token;
    QByteArray m_logs; // of every fazt run, for the badNonce check
    HttpsFazt m_fazt;

    QString path(const char *name) const { return m_dir.filePath(QLatin1String(name)); }
    QString directory() const {
        return QStringLiteral("https://localhost:%1/dir").arg(m_pebblePort);
    }

    QStringList acmeArgs(const QString &directoryUrl = {}) const {
        return {
            QStringLiteral("--acme-directory"), directoryUrl.isEmpty() ? directory() : directoryUrl,
            QStringLiteral("--acme-ca-bundle"), m_pebbleCa,
            QStringLiteral("--acme-email"),     QStringLiteral("owner@example.test")};
    }

    static QProcessEnvironment faztEnvironment() {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        // Managed names are read at start; later ones come from handshakes (on demand), so the
        // on-demand test is not helped by a periodic re-read.
        env.insert(QStringLiteral("FAZT_TLS_RECONCILE_MS"), QStringLiteral("3600000"));
        env.insert(QStringLiteral("FAZT_TLS_BACKOFF_MS"), QStringLiteral("1000"));
        return env;
    }

    bool writeFile(const QString &name, const QByteArray &data) {
        QFile file(name);
        return file.open(QIODevice::WriteOnly) && file.write(data) == data.size();
    }

    static bool isFromPebble(const QJsonObject &cert) {
        return cert.value(QStringLiteral("issuer")).toString().startsWith(QLatin1String("Pebble"));
    }

    // The audit log's certificate entries for `name`, as "ACTOR ACTION: DETAIL", newest first.
    QStringList certificateAudit(const QString &name) {
        const QJsonArray entries =
            QJsonDocument::fromJson(
                m_fazt.api("GET", "/api/audit?action=certificate.&limit=1000", m_token).body)
                .object()
                .value(QStringLiteral("entries"))
                .toArray();
        QStringList found;
        for (const QJsonValue &v : entries) {
            const QJsonObject e = v.toObject();
            if (e.value(QStringLiteral("target")).toString() == name)
                found.append(e.value(QStringLiteral("actor")).toString() + u' ' +
                             e.value(QStringLiteral("action")).toString() + QStringLiteral(": ") +
                             e.value(QStringLiteral("detail")).toString());
        }
        return found;
    }

    void checkServedBy(const QByteArray &name) {
        const CurlResult result = curlHttps(name, m_httpsPort, m_root);
        QVERIFY2(result.exitCode == 0, result.verbose.constData());
        QCOMPARE(result.status, 200);
        QVERIFY2(result.verbose.contains(QByteArray("subject: CN=" + name)),
                 result.verbose.constData());
        QVERIFY2(result.verbose.contains("Strict-Transport-Security: max-age="),
                 result.verbose.constData());
    }

private Q_SLOTS:
    void initTestCase() {
        const QString pebble = QStandardPaths::findExecutable(QStringLiteral("pebble"));
        const QString challtestsrv =
            QStandardPaths::findExecutable(QStringLiteral("pebble-challtestsrv"));
        if (pebble.isEmpty() || challtestsrv.isEmpty())
            QSKIP("pebble is not installed; run: bash installers/deps.sh test");
        QVERIFY(m_dir.isValid());
        // pebble's own HTTPS: a throw-away CA and a certificate for localhost.
        tls::PKey caKey = tls::generateKey();
        tls::CertificateRequest ca;
        ca.commonName = QStringLiteral("fazt test CA for pebble");
        ca.isCa = true;
        auto caCert = tls::makeCertificate(ca, caKey.get(), nullptr, nullptr);
        QVERIFY(caCert);
        tls::PKey key = tls::generateKey();
        tls::CertificateRequest leaf;
        leaf.commonName = QStringLiteral("localhost");
        leaf.dnsNames = {QStringLiteral("localhost")};
        auto cert = tls::makeCertificate(leaf, key.get(), caCert->get(), caKey.get());
        QVERIFY(cert);
        m_pebbleCa = path("pebble-ca.pem");
        QVERIFY(writeFile(m_pebbleCa, tls::certToPem(caCert->get())));
        QVERIFY(writeFile(path("pebble-cert.pem"), tls::certToPem(cert->get())));
        QVERIFY(writeFile(path("pebble-key.pem"), tls::keyToPem(key.get())));

        m_pebblePort = freePort();
        const quint16 management = freePort();
        const quint16 dns = freePort();
        const quint16 challManagement = freePort();
        m_httpPort = freePort();
        m_httpsPort = freePort();
        const QJsonObject config{
            {QStringLiteral("pebble"),
             QJsonObject{{QStringLiteral("listenAddress"),
                          QStringLiteral("127.0.0.1:%1").arg(m_pebblePort)},
                         {QStringLiteral("managementListenAddress"),
                          QStringLiteral("127.0.0.1:%1").arg(management)},
                         {QStringLiteral("certificate"), path("pebble-cert.pem")},
                         {QStringLiteral("privateKey"), path("pebble-key.pem")},
                         {QStringLiteral("httpPort"), m_httpPort},
                         {QStringLiteral("tlsPort"), m_httpsPort},
                         {QStringLiteral("ocspResponderURL"), QString()},
                         {QStringLiteral("externalAccountBindingRequired"), false}}}};
        QVERIFY(writeFile(path("pebble.json"), QJsonDocument(config).toJson()));

        m_challtestsrv.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        m_challtestsrv.setStandardOutputFile(path("challtestsrv.log"));
        m_challtestsrv.start(
            challtestsrv,
            {QStringLiteral("-defaultIPv4"), QStringLiteral("127.0.0.1"),
             QStringLiteral("-defaultIPv6"), QString(), QStringLiteral("-dns01"),
             QStringLiteral("127.0.0.1:%1").arg(dns), QStringLiteral("-http01"), QString(),
             QStringLiteral("-https01"), QString(), QStringLiteral("-tlsalpn01"), QString(),
             QStringLiteral("-management"), QStringLiteral("127.0.0.1:%1").arg(challManagement)});
        QVERIFY(m_challtestsrv.waitForStarted());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("PEBBLE_VA_NOSLEEP"), QStringLiteral("1"));
        // A fifth of all nonces are refused: every run exercises the badNonce retry.
        env.insert(QStringLiteral("PEBBLE_WFE_NONCEREJECT"), QStringLiteral("20"));
        m_pebble.setProcessEnvironment(env);
        m_pebble.setStandardOutputFile(path("pebble.log"));
        m_pebble.setStandardErrorFile(path("pebble.err"));
        m_pebble.start(pebble,
                       {QStringLiteral("-config"), path("pebble.json"),
                        QStringLiteral("-dnsserver"), QStringLiteral("127.0.0.1:%1").arg(dns)});
        QVERIFY(m_pebble.waitForStarted());
        QTRY_VERIFY_WITH_TIMEOUT(
            runTool(QStringLiteral("curl"),
                    {QStringLiteral("-sf"), QStringLiteral("--cacert"), m_pebbleCa, directory(),
                     QStringLiteral("-o"), QStringLiteral("/dev/null")}) == 0,
            20000);
        QByteArray root;
        QCOMPARE(runTool(QStringLiteral("curl"),
                         {QStringLiteral("-sf"), QStringLiteral("--cacert"), m_pebbleCa,
                          QStringLiteral("https://localhost:%1/roots/0").arg(management)},
                         &root),
                 0);
        QVERIFY(root.startsWith("-----BEGIN CERTIFICATE-----"));
        m_root = path("pebble-root.pem");
        QVERIFY(writeFile(m_root, root));

        m_db = path("one.db");
        QVERIFY(initDatabase(m_db, QStringLiteral("example.test")));
        m_token = createToken(m_db);
        QVERIFY(!m_token.isEmpty());
    }

    void cleanupTestCase() {
        m_fazt.stop();
        m_logs += m_fazt.log();
        for (QProcess *p : {&m_pebble, &m_challtestsrv}) {
            p->terminate();
            if (!p->waitForFinished(5000))
                p->kill();
            p->waitForFinished();
        }
    }

    void http01ObtainsEveryManagedName() {
        QVERIFY(m_fazt.start(m_db, m_httpPort, m_httpsPort, acmeArgs(), faztEnvironment()));
        const QStringList names{
            QStringLiteral("example.test"), QStringLiteral("admin.example.test"),
            QStringLiteral("root.example.test"), QStringLiteral("demo.example.test")};
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                const auto certs = m_fazt.certificates(m_token);
                for (const QString &name : names)
                    if (!isFromPebble(certs.value(name)))
                        return false;
                return true;
            }(),
            90000);
        for (const QString &name : names)
            checkServedBy(name.toLatin1());
        // The plain port: challenges and redirects, except for localhost.
        const HttpResponse redirect = fetch(m_httpPort, "demo.example.test", "/a/b?c=d");
        QCOMPARE(redirect.status, 301);
        QCOMPARE(redirect.header("Location"),
                 "https://demo.example.test:" + QByteArray::number(m_httpsPort) + "/a/b?c=d");
        QCOMPARE(fetch(m_httpPort, "demo.localhost", "/").status, 200);
        QCOMPARE(fetch(m_httpPort, "demo.example.test", "/.well-known/acme-challenge/nope").status,
                 404);
    }

    void sniPicksEachSitesCertificateAndFallsBack() {
        QCOMPARE(handshakeCommonName(m_httpsPort, QStringLiteral("example.test")),
                 QStringLiteral("example.test"));
        QCOMPARE(handshakeCommonName(m_httpsPort, QStringLiteral("demo.example.test")),
                 QStringLiteral("demo.example.test"));
        QCOMPARE(handshakeCommonName(m_httpsPort, QStringLiteral("nothing.invalid")),
                 QStringLiteral("fazt"));
    }

    void unknownNamesNeverReachTheCa() {
        int ordersBefore = -1;
        m_fazt.certificates(m_token, &ordersBefore);
        QVERIFY(ordersBefore >= 4);
        auto *random = QRandomGenerator::global();
        for (int i = 0; i < 1000; ++i) {
            const QString name = QStringLiteral("r%1.example.net").arg(random->generate64(), 0, 36);
            QCOMPARE(handshakeCommonName(m_httpsPort, name), QStringLiteral("fazt"));
        }
        // <site>.example.test for a site that does not exist is unknown too.
        QCOMPARE(handshakeCommonName(m_httpsPort, QStringLiteral("nosuchsite.example.test")),
                 QStringLiteral("fazt"));
        // A known name queued after the random ones: once it is certified, every name before
        // it was decided.
        QCOMPARE(
            m_fazt.api("POST", "/api/sites/demo/domains", m_token, R"({"hostname": "shop.test"})")
                .status,
            201);
        QCOMPARE(handshakeCommonName(m_httpsPort, QStringLiteral("shop.test")),
                 QStringLiteral("fazt")); // the first handshake is not held up
        QTRY_VERIFY_WITH_TIMEOUT(
            isFromPebble(m_fazt.certificates(m_token).value(QStringLiteral("shop.test"))), 60000);
        int ordersAfter = -1;
        const auto certs = m_fazt.certificates(m_token, &ordersAfter);
        QCOMPARE(ordersAfter, ordersBefore + 1); // shop.test, and nothing else
        QVERIFY(!certs.contains(QStringLiteral("nosuchsite.example.test")));
        QVERIFY(!m_fazt.log().contains("example.net"));
        checkServedBy("shop.test");
    }

    void forcedRenewalReplacesTheCertificate() {
        const QString before = m_fazt.certificates(m_token)
                                   .value(QStringLiteral("demo.example.test"))
                                   .value(QStringLiteral("fingerprint"))
                                   .toString();
        QVERIFY(!before.isEmpty());
        QCOMPARE(m_fazt.api("POST", "/api/certificates/demo.example.test/renew", m_token).status,
                 202);
        QCOMPARE(m_fazt.api("POST", "/api/certificates/unknown.example.net/renew", m_token).status,
                 404);
        QTRY_VERIFY_WITH_TIMEOUT(m_fazt.certificates(m_token)
                                         .value(QStringLiteral("demo.example.test"))
                                         .value(QStringLiteral("fingerprint"))
                                         .toString() != before,
                                 60000);
        checkServedBy("demo.example.test");
        // Audited: asked for with the token, issued at first and renewed by the server.
        QTRY_VERIFY_WITH_TIMEOUT(certificateAudit(QStringLiteral("demo.example.test"))
                                     .startsWith(QStringLiteral("system certificate.renewed: ")),
                                 10000);
        const QStringList audit = certificateAudit(QStringLiteral("demo.example.test"));
        QVERIFY2(audit.contains(QStringLiteral("token tls-test certificate.renew: ")),
                 qPrintable(audit.join(u'\n')));
        QVERIFY2(audit.contains(QStringLiteral("system certificate.issued: ")),
                 qPrintable(audit.join(u'\n')));
    }

    void caDownBacksOffAndKeepsServing() {
        m_fazt.stop();
        m_logs += m_fazt.log();
        const QString dead = QStringLiteral("https://localhost:%1/dir").arg(freePort());
        QVERIFY(m_fazt.start(m_db, m_httpPort, m_httpsPort, acmeArgs(dead), faztEnvironment()));
        const QString served = m_fazt.certificates(m_token)
                                   .value(QStringLiteral("demo.example.test"))
                                   .value(QStringLiteral("fingerprint"))
                                   .toString();
        QCOMPARE(m_fazt.api("POST", "/api/certificates/demo.example.test/renew", m_token).status,
                 202);
        // Backoff 1 s, then 2 s: the second failure comes about 3 s after the first.
        QTRY_VERIFY_WITH_TIMEOUT(m_fazt.certificates(m_token)
                                         .value(QStringLiteral("demo.example.test"))
                                         .value(QStringLiteral("failures"))
                                         .toInt() >= 2,
                                 30000);
        const QJsonObject cert =
            m_fazt.certificates(m_token).value(QStringLiteral("demo.example.test"));
        QVERIFY2(cert.value(QStringLiteral("last_error"))
                     .toString()
                     .contains(QLatin1String("Cannot reach the ACME server")),
                 qPrintable(cert.value(QStringLiteral("last_error")).toString()));
        QVERIFY(!cert.value(QStringLiteral("next_attempt")).isNull());
        QVERIFY2(certificateAudit(QStringLiteral("demo.example.test"))
                     .first()
                     .startsWith(QStringLiteral(
                         "system certificate.failed: Cannot reach the ACME server")),
                 qPrintable(certificateAudit(QStringLiteral("demo.example.test")).join(u'\n')));
        QCOMPARE(cert.value(QStringLiteral("fingerprint")).toString(), served);
        checkServedBy("demo.example.test"); // the old certificate keeps serving
        // A retry may be under way: SIGTERM still ends the process cleanly and at once.
        QCOMPARE(m_fazt.certificates(m_token)
                     .value(QStringLiteral("demo.example.test"))
                     .value(QStringLiteral("managed"))
                     .toBool(),
                 true);
        QElapsedTimer stopping;
        stopping.start();
        QCOMPARE(m_fazt.stop(), 0);
        QVERIFY(stopping.elapsed() < 10000);
        m_logs += m_fazt.log();
    }

    void tlsAlpn01Obtains() {
        m_fazt.stop(); // frees the ports, also when the test before failed
        const QString db = path("alpn.db");
        QVERIFY(initDatabase(db, QStringLiteral("alpn.test")));
        const QByteArray token = createToken(db);
        HttpsFazt fazt;
        QVERIFY(fazt.start(db, m_httpPort, m_httpsPort,
                           acmeArgs() << QStringLiteral("--acme-challenge")
                                      << QStringLiteral("tls-alpn-01"),
                           faztEnvironment()));
        QTRY_VERIFY_WITH_TIMEOUT(
            isFromPebble(fazt.certificates(token).value(QStringLiteral("demo.alpn.test"))), 90000);
        checkServedBy("demo.alpn.test");
        checkServedBy("alpn.test");
        fazt.stop();
        m_logs += fazt.log();
    }

    void twoProcessesOnOneDatabaseOrderOnce() {
        m_fazt.stop();
        const QString db = path("race.db");
        QVERIFY(initDatabase(db, QStringLiteral("race.test")));
        const QByteArray token = createToken(db);
        HttpsFazt first, second;
        // Only the first owns the ports pebble validates; the second answers HTTP-01 through
        // the database when it wins a name.
        QVERIFY(first.start(db, m_httpPort, m_httpsPort, acmeArgs(), faztEnvironment()));
        QVERIFY(second.start(db, freePort(), freePort(), acmeArgs(), faztEnvironment()));
        const QStringList names{QStringLiteral("race.test"), QStringLiteral("admin.race.test"),
                                QStringLiteral("root.race.test"), QStringLiteral("demo.race.test")};
        QTRY_VERIFY_WITH_TIMEOUT(
            [&] {
                for (HttpsFazt *fazt : {&first, &second}) {
                    const auto certs = fazt->certificates(token);
                    for (const QString &name : names)
                        if (!isFromPebble(certs.value(name)))
                            return false;
                }
                return true;
            }(),
            120000);
        int firstOrders = 0, secondOrders = 0;
        first.certificates(token, &firstOrders);
        second.certificates(token, &secondOrders);
        QCOMPARE(firstOrders + secondOrders, int(names.size()));
        const QByteArray logs = first.log() + second.log();
        for (const QString &name : names)
            QCOMPARE(logs.count(QByteArray("ordering a certificate for " + name.toLatin1() + "\n")),
                     1);
        m_logs += logs;
        QCOMPARE(first.stop(), 0);
        QCOMPARE(second.stop(), 0);
    }

    void badNoncesWereRetried() {
        m_logs += m_fazt.log();
        QVERIFY(m_logs.contains("the CA rejected a nonce; retrying"));
    }
};

QTEST_GUILESS_MAIN(TestAcme)
#include "tst_acme.moc"
