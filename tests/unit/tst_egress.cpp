// Egress: which addresses count as internal, and what fazt.fetch refuses before it connects
// anywhere (no network needed: every case here is refused, or answered by a local listener).

#include "hosting/functions/egress.h"
#include "hosting/functions/wire.h"

#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>

#include <atomic>
#include <thread>

using fazt::hosting::functions::Egress;
using fazt::hosting::functions::steadyMs;

class TestEgress : public QObject {
    Q_OBJECT

    // The error's message (UTF-8), or empty if the fetch went through.
    static QByteArray refusal(const Egress &egress, const Egress::Request &request) {
        const auto result = egress.fetch(request, steadyMs() + 2000);
        return result ? QByteArray() : result.error().message.toUtf8();
    }

private Q_SLOTS:
    void internalAddresses_data() {
        QTest::addColumn<QString>("address");
        QTest::addColumn<bool>("isInternal");
        for (const char *internal :
             {"127.0.0.1", "127.1.2.3", "0.0.0.0", "10.1.2.3", "172.16.0.1", "172.31.255.255",
              "192.168.1.1", "169.254.169.254", "100.64.0.1", "224.0.0.1", "255.255.255.255",
              "::1", "::", "fc00::1", "fd12:3456::1", "fe80::1", "ff02::1", "::ffff:127.0.0.1",
              "::ffff:10.0.0.1", "192.0.0.8", "198.18.0.1"})
            QTest::newRow(internal) << QString::fromLatin1(internal) << true;
        for (const char *external : {"1.1.1.1", "8.8.8.8", "172.32.0.1", "100.128.0.1",
                                     "2606:4700:4700::1111", "::ffff:93.184.216.34"})
            QTest::newRow(external) << QString::fromLatin1(external) << false;
    }
    void internalAddresses() {
        QFETCH(QString, address);
        QFETCH(bool, isInternal);
        QCOMPARE(Egress::isInternal(QHostAddress(address)), isInternal);
    }

    void refusesWhatIsNotAllowed() {
        const Egress egress(QStringLiteral("blog"),
                            {QStringLiteral("api.localhost:8080"), QStringLiteral("10.0.0.5")},
                            1 << 20);
        const auto request = [](const QByteArray &url, const QByteArray &headers = "{}",
                                const QByteArray &method = "GET") {
            return Egress::Request{QString::fromLatin1(url), method, headers, {}};
        };
        QVERIFY(refusal(egress, request("ftp://api.localhost:8080/")).contains("not an http(s) URL"));
        QVERIFY(refusal(egress, request("not a url")).contains("not an http(s) URL"));
        QVERIFY(refusal(egress, request("http://other.example/"))
                    .contains("'other.example' is not on this site's egress allowlist"));
        // Listed with another port only.
        QVERIFY(refusal(egress, request("http://api.localhost:9090/")).contains("allowlist"));
        // Listed, but a localhost name is the loopback, which is not listed.
        QVERIFY(refusal(egress, request("http://api.localhost:8080/"))
                    .contains("resolves to 127.0.0.1, an internal address"));
        const QByteArray url = "http://api.localhost:8080/";
        QVERIFY(refusal(egress, request(url, "{}", "GET /x HTTP/1.1\r\nHost: a"))
                    .contains("is not a method"));
        QVERIFY(refusal(egress, request(url, R"({"Host": "evil"})")).contains("set by Fazt"));
        QVERIFY(refusal(egress, request(url, R"({"content-length": "5"})")).contains("set by Fazt"));
        QVERIFY(refusal(egress, request(url, R"({"X-A": "a\r\nInjected: 1"})"))
                    .contains("line break"));
        QVERIFY(refusal(egress, request(url, R"({"X-A": "a\u0000b"})")).contains("line break"));
        QVERIFY(refusal(egress, request(url, R"({"Bad Name": "x"})")).contains("not a header name"));
    }

    // An allowed name whose internal address is listed too is fetched: Host from the URL, the
    // script's headers, the answer's status, headers and body.
    void fetchesAListedAddressWithinTheCap() {
        QTcpServer listener;
        QVERIFY(listener.listen(QHostAddress::LocalHost));
        const quint16 port = listener.serverPort();
        const QByteArray hostPort = "api.localhost:" + QByteArray::number(port);
        const Egress egress(QStringLiteral("blog"),
                            {QString::fromLatin1(hostPort), QStringLiteral("127.0.0.1")}, 1024);
        // Answers from the test's own event loop while fetch() blocks on another thread.
        Egress::Request request{QString::fromLatin1("http://" + hostPort + "/hello"), "GET",
                                R"({"X-Test": "yes"})", {}};
        Egress::Reply reply;
        QString error;
        std::atomic<bool> isDone{false};
        std::thread client([&] {
            auto result = egress.fetch(request, steadyMs() + 5000);
            if (result)
                reply = *result;
            else
                error = result.error().message;
            isDone = true;
        });
        QTRY_VERIFY_WITH_TIMEOUT(listener.hasPendingConnections() ||
                                     listener.waitForNewConnection(10),
                                 5000);
        QTcpSocket *socket = listener.nextPendingConnection();
        QVERIFY(socket);
        QByteArray head;
        QTRY_VERIFY_WITH_TIMEOUT((head += socket->readAll()).contains("\r\n\r\n"), 5000);
        socket->write("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Up: 1\r\n\r\nhello");
        socket->flush();
        QTRY_VERIFY_WITH_TIMEOUT(isDone.load(), 5000);
        client.join();
        QVERIFY2(error.isEmpty(), qPrintable(error));
        QCOMPARE(reply.status, 200);
        QCOMPARE(reply.body, QByteArray("hello"));
        QVERIFY(reply.headerLines.contains("x-up\n1\n"));
        QVERIFY(head.contains(QByteArray("Host: " + hostPort)));
        QVERIFY(head.contains("X-Test: yes"));
    }
};

QTEST_GUILESS_MAIN(TestEgress)
#include "tst_egress.moc"
