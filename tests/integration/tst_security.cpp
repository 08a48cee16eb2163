// What a security review found, attacked from outside through the real `fazt` binary: one
// test per class of finding (not per spelling of it), each asserting what an attacker would
// see.

#include "config/config.h"
#include "db/database.h"
#include "support/faztprocess.h"
#include "support/serversetup.h"
#include "tlstestsupport.h"

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkInterface>
#include <QProcess>
#include <QScopeGuard>
#include <QSslCertificate>
#include <QSslSocket>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <sys/stat.h>
#include <zlib.h>

using namespace fazt;
using test::FaztProcess;
using test::HttpResponse;
using test::RawClient;

using fazt::test::jsonBody;

namespace {

// In every source file of the function site: a response holding it has leaked the source.
constexpr char SourceMarker[] = "SOURCE-MARKER-7f3a";
constexpr char Password[] = "correct horse battery";

// A zip of stored (uncompressed) files, as `zip -0` writes it.
QByteArray storedZip(const QList<QPair<QByteArray, QByteArray>> &files) {
    const auto u16 = [](quint16 v) { return QByteArray(reinterpret_cast<const char *>(&v), 2); };
    const auto u32 = [](quint32 v) { return QByteArray(reinterpret_cast<const char *>(&v), 4); };
    QByteArray zip, directory;
    for (const auto &[name, data] : files) {
        const quint32 crc =
            quint32(crc32(0, reinterpret_cast<const Bytef *>(data.constData()), uInt(data.size())));
        const QByteArray common = u16(20) + u16(0) + u16(0) + u16(0) + u16(0x21) + u32(crc) +
                                  u32(quint32(data.size())) + u32(quint32(data.size())) +
                                  u16(quint16(name.size())) + u16(0);
        directory += QByteArray("PK\x01\x02", 4) + u16(20) + common + u16(0) + u16(0) + u16(0) +
                     u32(0) + u32(quint32(zip.size())) + name;
        zip += QByteArray("PK\x03\x04", 4) + common + name + data;
    }
    const quint16 count = quint16(files.size());
    return zip + directory + QByteArray("PK\x05\x06", 4) + u16(0) + u16(0) + u16(count) +
           u16(count) + u32(quint32(directory.size())) + u32(quint32(zip.size())) + u16(0);
}

// An address of this machine that is not loopback (a peer that is not "this machine" to the
// server), or a null address if there is none.
QHostAddress outsideAddress() {
    for (const QHostAddress &address : QNetworkInterface::allAddresses())
        if (!address.isLoopback() && address.protocol() == QAbstractSocket::IPv4Protocol)
            return address;
    return {};
}

// One request over TLS (no verification) to 127.0.0.1:port with `name` as SNI and Host.
HttpResponse fetchTls(quint16 port, const QByteArray &name, const QByteArray &request) {
    QSslSocket socket;
    socket.setPeerVerifyMode(QSslSocket::VerifyNone);
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port, QString::fromLatin1(name));
    HttpResponse response;
    if (!socket.waitForEncrypted(10000))
        return response;
    socket.write(request);
    QByteArray data;
    while (socket.waitForReadyRead(5000))
        data += socket.readAll();
    const qsizetype end = data.indexOf("\r\n\r\n");
    const QList<QByteArray> lines = data.left(end).split('\n');
    response.status = lines.value(0).split(' ').value(1).toInt();
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        response.headers.append(
            {lines[i].left(colon).trimmed(), lines[i].mid(colon + 1).trimmed()});
    }
    response.body = data.mid(end + 4);
    response.isValid = end > 0;
    return response;
}

} // namespace

class TestSecurity : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    QString m_db;
    std::unique_ptr<FaztProcess> m_fazt;
    QByteArray m_admin; // an admin token

    QString serverUrl() const { return QStringLiteral("http://127.0.0.1:%1").arg(m_fazt->port()); }

    HttpResponse api(const QByteArray &method, const QByteArray &path, const QByteArray &token,
                     const QByteArray &body = {}) {
        return test::callJson(m_fazt->port(), method, path, token, body);
    }
    // `fazt ARGS --server URL --token TOKEN`: exit code and output.
    std::pair<int, QByteArray> cli(QStringList args, const QByteArray &token) {
        QProcess p;
        args << QStringLiteral("--server") << serverUrl() << QStringLiteral("--token")
             << QString::fromLatin1(token);
        p.start(qEnvironmentVariable("FAZT_BIN"), args);
        if (!p.waitForFinished(60000))
            return {-1, {}};
        return {p.exitCode(), p.readAllStandardOutput() + p.readAllStandardError()};
    }
    // `fazt server init` with the admin password Password (in the file "password").
    bool initWithPassword(const QString &db, const QString &domain) {
        QProcess init;
        init.start(qEnvironmentVariable("FAZT_BIN"),
                   {QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                    domain, QStringLiteral("--db"), db, QStringLiteral("--demo"),
                    QStringLiteral("--password-file"), m_dir.filePath(QStringLiteral("password"))});
        return init.waitForFinished(30000) && init.exitStatus() == QProcess::NormalExit &&
               init.exitCode() == 0;
    }
    // `fazt server create-token` on the running server's database, waited for until the
    // server has picked it up (it rereads tokens every few seconds).
    QByteArray newToken(const QStringList &options) {
        QProcess p;
        p.start(qEnvironmentVariable("FAZT_BIN"),
                QStringList{QStringLiteral("server"), QStringLiteral("create-token"),
                            QStringLiteral("--db"), m_db} +
                    options);
        p.waitForFinished(30000);
        const QByteArray token = p.readAllStandardOutput().trimmed().split('\n').last();
        for (int i = 0; i < 100 && api("GET", "/api/session", token).status != 200; ++i)
            QTest::qWait(100);
        return token;
    }
    qint64 passwordChecks() {
        return qint64(jsonBody(api("GET", "/api/system/metrics", m_admin))
                          .value(QStringLiteral("auth"))
                          .toObject()
                          .value(QStringLiteral("passwordChecks"))
                          .toDouble(-1));
    }
    // A login attempt sent from `source` (a loopback address) with X-Forwarded-For `client`.
    static QByteArray loginRequest(const QByteArray &username,
                                   const QByteArray &forwardedFor = {}) {
        const QByteArray body = "{\"username\": \"" + username + "\", \"password\": \"wrong!\"}";
        QList<QByteArray> headers{"Content-Type: application/json",
                                  "Content-Length: " + QByteArray::number(body.size())};
        if (!forwardedFor.isEmpty())
            headers.append("X-Forwarded-For: " + forwardedFor);
        return RawClient::request("admin.localhost", "/api/login", headers, "POST") + body;
    }
    int loginFrom(const char *source, const QByteArray &username, const QByteArray &forwardedFor) {
        QTcpSocket socket;
        if (!socket.bind(QHostAddress(QString::fromLatin1(source))))
            return -1;
        socket.connectToHost(QHostAddress::LocalHost, m_fazt->port());
        if (!socket.waitForConnected(5000))
            return -1;
        socket.write(loginRequest(username, forwardedFor));
        QByteArray answer;
        while (!answer.contains("\r\n") && socket.waitForReadyRead(10000))
            answer += socket.readAll();
        return answer.split(' ').value(1).toInt();
    }
    // A folder with `files` (path -> content), deployed to `site` with `token`.
    std::pair<int, QByteArray> deploy(const QString &site, const QHash<QString, QByteArray> &files,
                                      const QByteArray &token) {
        const QString dir = m_dir.filePath(QStringLiteral("src-") + site);
        QDir(dir).removeRecursively();
        for (auto it = files.begin(); it != files.end(); ++it)
            test::writeFile(dir + u'/' + it.key(), it.value());
        return cli({QStringLiteral("deploy"), dir, QStringLiteral("--site"), site}, token);
    }

private Q_SLOTS:
    void initTestCase() {
        m_db = m_dir.filePath(QStringLiteral("fazt.db"));
        test::writeFile(m_dir.filePath(QStringLiteral("password")), Password + QByteArray("\n"));
        QVERIFY(initWithPassword(m_db, QStringLiteral("localhost")));
        m_admin = test::createToken(m_db, "admin", "admin");
        { // Requests from 127.0.0.2 come through "a proxy": X-Forwarded-For names the client.
            auto db = db::Database::open(m_db);
            QVERIFY(db);
            Config config(**db);
            QVERIFY(config.load());
            QVERIFY(
                config.set(QStringLiteral("http.trusted_proxies"), QStringLiteral("127.0.0.2")));
        }
        m_fazt = std::make_unique<FaztProcess>();
        QVERIFY2(m_fazt->start({QStringLiteral("server"), QStringLiteral("start"),
                                QStringLiteral("--db"), m_db}),
                 m_fazt->output().constData());
        const QByteArray marker = QByteArray("// ") + SourceMarker + '\n';
        // (fazt.log of the path: the log test sends one with terminal escapes in it)
        const auto [code, output] =
            deploy(QStringLiteral("fn"),
                   {{QStringLiteral("index.html"), "<h1>static</h1>"},
                    {QStringLiteral("api/main.js"),
                     marker + "module.exports = r => { fazt.log('path', r.path); "
                              "return { fn: true, path: r.path }; };\n"},
                    {QStringLiteral("api/lib/x.js"), marker + "exports.x = 1;\n"}},
                   m_admin);
        QVERIFY2(code == 0, output.constData());
        const auto [plainCode, plainOutput] =
            deploy(QStringLiteral("plain"),
                   {{QStringLiteral("index.html"), "<h1>plain</h1>"},
                    {QStringLiteral("api/readme.txt"), "files, since there is no api/main.js"}},
                   m_admin);
        QVERIFY2(plainCode == 0, plainOutput.constData());
    }

    void cleanupTestCase() { m_fazt->stop(SIGKILL); }

    // High: "function or file" is decided on the path that also chooses the file, so no
    // spelling of /api/... serves a function's source.
    void functionSourceIsNeverServed_data() {
        QTest::addColumn<QByteArray>("target");
        QTest::addColumn<QByteArray>("method");
        QTest::addColumn<QByteArray>("functionPath"); // what the function saw; empty: refused
        const auto row = [](const char *target, const char *functionPath,
                            const char *method = "GET") {
            QTest::newRow(QByteArray(method + QByteArray(" ") + target).constData())
                << QByteArray(target) << QByteArray(method) << QByteArray(functionPath);
        };
        row("/api/main.js", "/api/main.js");
        row("//api/main.js", "/api/main.js");
        row("/./api/main.js", "/api/main.js");
        row("/%61pi/main.js", "/api/main.js");
        row("/%2fapi/main.js", "/api/main.js");
        row("/%2Fapi/main.js", "/api/main.js");
        row("/api%2fmain.js", "/api/main.js");
        row("/%2e/api/main.js", "/api/main.js");
        row("/api/./main.js", "/api/main.js");
        row("/api//main.js", "/api/main.js");
        row("///api/lib/x.js", "/api/lib/x.js");
        row("/api/lib/x", "/api/lib/x");
        row("/api/", "/api/");
        row("//api", "/api");
        row("/api/main.js", "/api/main.js", "HEAD");
        row("//api/main.js", "/api/main.js", "POST");
        row("/x/../api/main.js", "");
        row("/api/main.js%00", "");
        row("/api%5cmain.js", "");
    }
    void functionSourceIsNeverServed() {
        QFETCH(QByteArray, target);
        QFETCH(QByteArray, method);
        QFETCH(QByteArray, functionPath);
        QList<QByteArray> headers;
        if (method == "POST")
            headers.append("Content-Length: 0");
        const HttpResponse r = test::fetch(m_fazt->port(), "fn.localhost", target, headers, method);
        QVERIFY(r.isValid);
        QVERIFY2(!r.body.contains(SourceMarker), r.body.constData());
        if (functionPath.isEmpty()) {
            QCOMPARE(r.status, 400);
            return;
        }
        QCOMPARE(r.status, 200);
        QVERIFY(r.header("Content-Type").startsWith("application/json"));
        if (method != "HEAD")
            QCOMPARE(jsonBody(r).value(QStringLiteral("path")).toString(),
                     QString::fromLatin1(functionPath));
    }

    // A site without api/main.js keeps serving its api/ folder as files, and the rest of a
    // function site stays static.
    void filesUnderApiWithoutFunctionsStayFiles() {
        const HttpResponse plain =
            test::fetch(m_fazt->port(), "plain.localhost", "//api/readme.txt");
        QCOMPARE(plain.status, 200);
        QCOMPARE(plain.body, QByteArray("files, since there is no api/main.js"));
        const HttpResponse page = test::fetch(m_fazt->port(), "fn.localhost", "/./index.html");
        QCOMPARE(page.status, 200);
        QCOMPARE(page.body, QByteArray("<h1>static</h1>"));
    }

    // Low: on plain HTTP, of several session cookies the one that is a live session counts,
    // so a cookie planted by a sibling site cannot push the owner's aside.
    void plantedSessionCookieDoesNotWin() {
        const QByteArray body =
            QByteArray("{\"username\": \"admin\", \"password\": \"") + Password + "\"}";
        const HttpResponse login = api("POST", "/api/login", {}, body);
        QCOMPARE(login.status, 200);
        const QByteArray setCookie = login.header("Set-Cookie");
        QVERIFY2(setCookie.startsWith("fazt_session="), setCookie.constData()); // plain HTTP
        const QByteArray real = setCookie.split(';').first().mid(13);
        const QByteArray planted = QByteArray(43, 'A');
        for (const QByteArray &cookie :
             {QByteArray("fazt_session=" + planted + "; fazt_session=" + real),
              QByteArray("fazt_session=" + real + "; fazt_session=" + planted)}) {
            const HttpResponse session =
                test::call(m_fazt->port(), "GET", "/api/session", {}, {}, {"Cookie: " + cookie});
            QCOMPARE(session.status, 200);
            QCOMPARE(jsonBody(session).value(QLatin1String("username")).toString(),
                     QStringLiteral("admin"));
        }
    }

    // Low: control characters a client puts in a path reach no log raw, stored or printed.
    void logsCarryNoTerminalEscapes() {
        const HttpResponse r = test::fetch(m_fazt->port(), "fn.localhost", "/api/%1b%5b2J%07%0d");
        QCOMPARE(r.status, 200);
        QByteArray stored;
        for (int i = 0; i < 50 && !stored.contains("[2J"); ++i) {
            QTest::qWait(100);
            stored = api("GET", "/api/sites/fn/logs?limit=1000", m_admin).body;
        }
        const QJsonArray entries = jsonBody(api("GET", "/api/sites/fn/logs?limit=1000", m_admin))
                                       .value(QLatin1String("entries"))
                                       .toArray();
        bool found = false;
        for (const QJsonValue &entry : entries) {
            const QString message = entry.toObject().value(QLatin1String("message")).toString();
            QVERIFY2(!message.contains(QChar(0x1b)) && !message.contains(QChar(7)) &&
                         !message.contains(QChar(13)),
                     qPrintable(message));
            found |= message.contains(QLatin1String("/api/\\x1b[2J\\x07\\r"));
        }
        QVERIFY(found);
        const auto [code, printed] = cli({QStringLiteral("logs"), QStringLiteral("fn")}, m_admin);
        QCOMPARE(code, 0);
        QVERIFY(printed.contains("/api/\\x1b[2J"));
        QVERIFY(!printed.contains('\x1b'));
    }

    // Low: analytics count only hosts that map to a site, for requests and /track alike.
    void madeUpHostsAreNotCounted() {
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(test::fetch(m_fazt->port(), "madeup.localhost", "/").status, 404);
            const QByteArray event = R"({"event": "signup"})";
            const HttpResponse tracked =
                test::fetch(m_fazt->port(), "madeup.localhost", "/track",
                            {"Content-Length: " + QByteArray::number(event.size())}, "POST");
            QVERIFY(tracked.status != 204);
        }
        QCOMPARE(test::fetch(m_fazt->port(), "fn.localhost", "/").status, 200); // counted
        QCOMPARE(api("POST", "/api/stats/flush", m_admin, "").status / 100, 2);
        const QByteArray stats = api("GET", "/api/stats?top=100", m_admin).body;
        QVERIFY2(stats.contains("\"fn\""), stats.constData());
        QVERIFY2(!stats.contains("madeup"), stats.constData());
        QVERIFY(!api("GET", "/api/stats/events", m_admin).body.contains("madeup"));
    }

    // Low: names the server keeps for itself, addresses as custom domains, secrets shown back.
    void reservedNamesAddressesAndSecretsAreRefused() {
        for (const char *name : {"admin", "www", "api", "root", "localhost"}) {
            const HttpResponse r =
                api("POST", "/api/sites", m_admin, QByteArray("{\"name\": \"") + name + "\"}");
            QVERIFY2(r.status == 400 || (QByteArray(name) == "root" && r.status == 409),
                     r.body.constData());
        }
        QVERIFY(jsonBody(api("POST", "/api/sites", m_admin, R"({"name": "admin"})"))
                    .value(QLatin1String("error"))
                    .toObject()
                    .value(QLatin1String("message"))
                    .toString()
                    .contains(QLatin1String("reserved")));
        const auto [code, output] =
            deploy(QStringLiteral("www"), {{QStringLiteral("index.html"), "x"}}, m_admin);
        QCOMPARE(code, 1);
        QVERIFY2(output.contains("reserved"), output.constData());
        for (const char *hostname :
             {"127.0.0.1", "10.1.2.3", "1.2.3.4", "example.123", "admin.localhost",
              "x.localhost.example.org", "fn.localhost"}) {
            const HttpResponse r = api("POST", "/api/sites/fn/domains", m_admin,
                                       QByteArray("{\"hostname\": \"") + hostname + "\"}");
            QVERIFY2(r.status == 400, QByteArray(QByteArray(hostname) + ": " + r.body).constData());
        }
        QCOMPARE(api("POST", "/api/sites/fn/domains", m_admin, R"({"hostname": "fn.example.org"})")
                     .status,
                 201);
        QCOMPARE(api("PUT", "/api/sites/fn/env/API_KEY", m_admin,
                     R"({"value": "sk_live_0123456789abcdef", "secret": true})")
                     .status,
                 200);
        const QByteArray env = api("GET", "/api/sites/fn/env", m_admin).body;
        QVERIFY2(env.contains("\"value\":\"********\""), env.constData());
        QVERIFY(!env.contains("ef\""));
    }

    // Low: a zip whose central directory is missing or cut short is refused whole.
    void zipWithCutDirectoryIsRefused() {
        const QByteArray whole = storedZip({{"index.html", "<h1>zip</h1>"}, {"a.txt", "aaa"}});
        const auto upload = [&](const QByteArray &archive) {
            return test::call(m_fazt->port(), "POST", "/api/sites/zipped/deploys", m_admin, archive,
                              {"Content-Type: application/zip"});
        };
        const qsizetype directory = whole.indexOf(QByteArray("PK\x01\x02", 4));
        const qsizetype end = whole.indexOf(QByteArray("PK\x05\x06", 4));
        QVERIFY(directory > 0 && end > directory);
        QByteArray secondEntryCut = whole; // the end record counts 2, the directory holds 1
        secondEntryCut.remove(whole.indexOf(QByteArray("PK\x01\x02", 4), directory + 4),
                              end - whole.indexOf(QByteArray("PK\x01\x02", 4), directory + 4));
        for (const QByteArray &broken : {whole.left(directory), whole.left(end),
                                         whole.left(whole.size() - 3), secondEntryCut}) {
            const HttpResponse r = upload(broken);
            QVERIFY2(r.status == 400, r.body.constData());
            QVERIFY2(r.body.contains("incomplete") || r.body.contains("corrupt"),
                     r.body.constData());
        }
        QCOMPARE(api("GET", "/api/sites/zipped/deploys", m_admin).status, 404); // nothing stored
        QCOMPARE(upload(whole).status, 201);
        QCOMPARE(test::fetch(m_fazt->port(), "zipped.localhost", "/").body,
                 QByteArray("<h1>zip</h1>"));
    }

    // Low: with HTTPS on, the plain port serves local names to this machine only (decided by
    // the peer, not the Host header); the session cookie is __Host- over HTTPS; the CLI sends
    // no token in cleartext to another machine; and the local CA is name-constrained and
    // short-lived.
    void httpsServerKeepsTheAdminOffCleartext() {
        const QString db = m_dir.filePath(QStringLiteral("https.db"));
        QVERIFY(initWithPassword(db, QStringLiteral("example.test")));
        const QByteArray token = test::createToken(db, "https", "admin");
        const quint16 httpPort = test::freePort(), httpsPort = test::freePort();
        test::HttpsFazt server;
        QVERIFY(server.start(db, httpPort, httpsPort,
                             {QStringLiteral("--self-signed"), QStringLiteral("--listen"),
                              QStringLiteral("0.0.0.0")}));

        // This machine, over plain HTTP: served. Forwarded, or from another address: refused.
        QCOMPARE(test::fetch(httpPort, "admin.localhost", "/api/openapi.json").status, 200);
        const HttpResponse forwarded = test::fetch(httpPort, "admin.localhost", "/api/openapi.json",
                                                   {"X-Forwarded-For: 198.51.100.7"});
        QCOMPARE(forwarded.status, 403);
        QVERIFY(forwarded.body.contains("https://"));
        const QByteArray loginBody =
            QByteArray("{\"username\": \"admin\", \"password\": \"") + Password + "\"}";
        const QHostAddress outside = outsideAddress();
        if (!outside.isNull()) {
            QTcpSocket socket;
            socket.connectToHost(outside, httpPort);
            QVERIFY(socket.waitForConnected(5000));
            socket.write(
                RawClient::request("admin.localhost", "/api/login",
                                   {"Content-Type: application/json",
                                    "Content-Length: " + QByteArray::number(loginBody.size())},
                                   "POST") +
                loginBody);
            QByteArray answer;
            while (!answer.contains("\r\n\r\n") && socket.waitForReadyRead(5000))
                answer += socket.readAll();
            QVERIFY2(answer.startsWith("HTTP/1.1 403"), answer.constData());
            QVERIFY(!answer.contains("Set-Cookie"));
        }

        // Over HTTPS the session cookie is __Host- (a sibling site cannot plant one).
        const HttpResponse login =
            fetchTls(httpsPort, "admin.example.test",
                     RawClient::request("admin.example.test", "/api/login",
                                        {"Content-Type: application/json", "Connection: close",
                                         "Content-Length: " + QByteArray::number(loginBody.size())},
                                        "POST") +
                         loginBody);
        QCOMPARE(login.status, 200);
        QVERIFY2(login.header("Set-Cookie").startsWith("__Host-fazt_session="),
                 login.header("Set-Cookie").constData());
        QVERIFY(login.header("Set-Cookie").contains("; Secure"));
        QVERIFY(!login.header("Set-Cookie").contains("Domain="));

        // The CLI: no token over plain HTTP to another machine, unless told --insecure.
        const QString remote =
            QStringLiteral("http://%1:%2")
                .arg(outside.isNull() ? QStringLiteral("203.0.113.7") : outside.toString())
                .arg(httpPort);
        QProcess refused;
        refused.start(qEnvironmentVariable("FAZT_BIN"),
                      {QStringLiteral("sites"), QStringLiteral("list"), QStringLiteral("--server"),
                       remote, QStringLiteral("--token"), QString::fromLatin1(token)});
        QVERIFY(refused.waitForFinished(30000));
        QCOMPARE(refused.exitCode(), 1);
        const QByteArray why = refused.readAllStandardError();
        QVERIFY2(why.contains("Refusing to send the API token over plain HTTP") &&
                     why.contains("--insecure"),
                 why.constData());
        if (!outside.isNull()) { // with --insecure it goes, and the server has its say
            QProcess insecure;
            insecure.start(qEnvironmentVariable("FAZT_BIN"),
                           {QStringLiteral("sites"), QStringLiteral("list"),
                            QStringLiteral("--server"), remote, QStringLiteral("--token"),
                            QString::fromLatin1(token), QStringLiteral("--insecure")});
            QVERIFY(insecure.waitForFinished(30000));
            const QByteArray said = insecure.readAllStandardError();
            QVERIFY2(said.contains("own machine"), said.constData()); // the server's reason
        }

        // The local CA: constrained to the domain and localhost, two years at most.
        QByteArray ca;
        QCOMPARE(test::runTool(QStringLiteral("sqlite3"),
                               {db, QStringLiteral("SELECT value FROM certificates WHERE key = "
                                                   "'local-ca/cert.pem'")},
                               &ca),
                 0);
        const QList<QSslCertificate> certs = QSslCertificate::fromData(ca);
        QCOMPARE(certs.size(), 1);
        QVERIFY(certs.first().effectiveDate().daysTo(certs.first().expiryDate()) <= 731);
        QByteArray text;
        const QString caFile = m_dir.filePath(QStringLiteral("https-ca.pem"));
        test::writeFile(caFile, ca);
        QCOMPARE(test::runTool(QStringLiteral("openssl"),
                               {QStringLiteral("x509"), QStringLiteral("-noout"),
                                QStringLiteral("-text"), QStringLiteral("-in"), caFile},
                               &text),
                 0);
        QVERIFY2(text.contains("X509v3 Name Constraints: critical") &&
                     text.contains("DNS:example.test") && text.contains("DNS:localhost"),
                 text.constData());
        // Certificates under it still verify.
        QTRY_VERIFY_WITH_TIMEOUT(
            server.certificates(token).contains(QStringLiteral("admin.example.test")), 20000);
        const test::CurlResult verified =
            test::curlHttps("admin.example.test", httpsPort, caFile, "/api/openapi.json");
        QVERIFY2(verified.exitCode == 0, verified.verbose.constData());
        QCOMPARE(server.stop(), 0);
    }

    // Low: /metrics without a token only for this machine itself: not with a trusted proxy
    // configured, and not for a request that says it was forwarded.
    void metricsNeedATokenBehindAProxy() {
        const QString db = m_dir.filePath(QStringLiteral("metrics.db"));
        QVERIFY(test::initDatabase(db, QStringLiteral("localhost")));
        const QByteArray token = test::createToken(db, "metrics", "read");
        FaztProcess server;
        QVERIFY(server.start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db}));
        QCOMPARE(test::fetch(server.port(), "admin.localhost", "/metrics").status, 200);
        for (const QByteArray &header : {QByteArray("X-Forwarded-For: 198.51.100.7"),
                                         QByteArray("Forwarded: for=198.51.100.7")}) {
            QCOMPARE(test::fetch(server.port(), "admin.localhost", "/metrics", {header}).status,
                     401);
            QCOMPARE(test::fetch(server.port(), "admin.localhost", "/metrics",
                                 {header, "Authorization: Bearer " + token})
                         .status,
                     200);
        }
        // The main server has a trusted proxy configured: even a bare loopback request needs
        // the token there.
        QCOMPARE(test::fetch(m_fazt->port(), "admin.localhost", "/metrics").status, 401);
        QCOMPARE(test::fetch(m_fazt->port(), "admin.localhost", "/metrics",
                             {"Authorization: Bearer " + m_admin})
                     .status,
                 200);
    }

    // Medium, optional: with FAZT_ENCRYPTION_KEY, TLS private keys and secret variables are
    // stored sealed; without the key (or with another) the server says so and does not start.
    void secretsAtRestAreSealedWithAKey() {
        const QString db = m_dir.filePath(QStringLiteral("sealed.db"));
        QVERIFY(test::initDatabase(db, QStringLiteral("localhost")));
        const QByteArray token = test::createToken(db, "sealed", "admin");
        const QByteArray key = "k9Vq2m3PzX8aR7tL0wYc5nBf4hJd6sGe1uIo";
        const auto environment = [](const QByteArray &value) {
            QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
            env.remove(QStringLiteral("CREDENTIALS_DIRECTORY"));
            if (!value.isNull())
                env.insert(QStringLiteral("FAZT_ENCRYPTION_KEY"), QString::fromLatin1(value));
            else
                env.remove(QStringLiteral("FAZT_ENCRYPTION_KEY"));
            return env;
        };
        const auto sql = [&db](const QString &query) {
            QByteArray out, err;
            test::runTool(QStringLiteral("sqlite3"), {db, query}, &out, &err);
            return QByteArray(out + err).trimmed();
        };
        const quint16 httpPort = test::freePort(), httpsPort = test::freePort();
        {
            test::HttpsFazt server;
            QVERIFY(server.start(db, httpPort, httpsPort, {QStringLiteral("--self-signed")},
                                 environment(key)));
            QCOMPARE(server
                         .api("PUT", "/api/sites/demo/env/TOKEN", token,
                              R"({"value": "s3cr3t-value", "secret": true})")
                         .status,
                     200);
            QCOMPARE(
                server.api("PUT", "/api/sites/demo/env/PLAIN", token, R"({"value": "visible"})")
                    .status,
                200);
            QTRY_VERIFY_WITH_TIMEOUT(!sql(QStringLiteral("SELECT value FROM certificates WHERE "
                                                         "key = 'local-ca/key.pem'"))
                                          .isEmpty(),
                                     20000);
            server.stop();
        }
        const QByteArray sealedToken =
            sql(QStringLiteral("SELECT value FROM function_env WHERE name = 'TOKEN'"));
        QVERIFY2(sealedToken.startsWith("fazt-enc:v1:"), sealedToken.constData());
        QVERIFY(!sealedToken.contains("s3cr3t"));
        QCOMPARE(sql(QStringLiteral("SELECT value FROM function_env WHERE name = 'PLAIN'")),
                 QByteArray("visible"));
        const QByteArray keys = sql(QStringLiteral(
            "SELECT group_concat(substr(value, 1, 12), ' ') FROM certificates WHERE key LIKE "
            "'%key.pem'"));
        QVERIFY2(keys.startsWith("fazt-enc:v1:"), keys.constData());
        const QByteArray unsealed = sql(QStringLiteral(
            "SELECT key || ' ' || substr(value, 1, 30) FROM certificates WHERE key LIKE "
            "'%key.pem' AND CAST(value AS TEXT) NOT LIKE 'fazt-enc:v1:%'"));
        QVERIFY2(unsealed.isEmpty(), unsealed.constData());

        // Without the key, with another, or with one too short: a clear refusal to start.
        const QList<QPair<QByteArray, QByteArray>> refusals{
            {QByteArray(), "no FAZT_ENCRYPTION_KEY is set"},
            {"another-key-that-is-long-enough-to-be-accepted", "does not open with this"},
            {"short", "needs at least 32"}};
        for (const auto &[value, said] : refusals) {
            FaztProcess server;
            QVERIFY(!server.start(
                {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db},
                environment(value)));
            server.process().waitForFinished(10000);
            QCOMPARE(server.process().exitCode(), 1);
            const QByteArray stderrText = server.process().readAllStandardError();
            QVERIFY2(stderrText.contains(said), stderrText.constData());
        }
        // With it, the function sees the value, and the admin API shows it masked.
        FaztProcess server;
        QVERIFY(server.start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db},
            environment(key)));
        const QByteArray env = test::call(server.port(), "GET", "/api/sites/demo/env", token).body;
        QVERIFY2(env.contains("\"name\":\"TOKEN\"") && env.contains("\"value\":\"********\""),
                 env.constData());
        QVERIFY(!env.contains("fazt-enc"));
        const QString source = m_dir.filePath(QStringLiteral("src-vault"));
        test::writeFile(source + QStringLiteral("/api/main.js"),
                        "module.exports = () => ({ token: fazt.env.TOKEN });\n");
        QProcess deployed;
        deployed.start(qEnvironmentVariable("FAZT_BIN"),
                       {QStringLiteral("deploy"), source, QStringLiteral("--site"),
                        QStringLiteral("demo"), QStringLiteral("--server"),
                        QStringLiteral("http://127.0.0.1:%1").arg(server.port()),
                        QStringLiteral("--token"), QString::fromLatin1(token)});
        QVERIFY(deployed.waitForFinished(60000));
        QCOMPARE(deployed.exitCode(), 0);
        const HttpResponse seen = test::fetch(server.port(), "demo.localhost", "/api/token");
        QCOMPARE(jsonBody(seen).value(QLatin1String("token")).toString(),
                 QStringLiteral("s3cr3t-value"));
    }

    // Medium: a token limited to some sites touches nothing else, and creating a site takes
    // admin or the create-sites right (explicit POST /api/sites, or a deploy to a new name).
    void siteLimitedTokensStayOnTheirSites() {
        const QHash<QString, QByteArray> page{{QStringLiteral("index.html"), "<h1>page</h1>"}};
        for (const char *site : {"blog", "docs"})
            QCOMPARE(deploy(QString::fromLatin1(site), page, m_admin).first, 0);
        QCOMPARE(
            api("PUT", "/api/sites/docs/env/KEY", m_admin, R"({"value": "docs-secret"})").status,
            200);
        const QByteArray blog = newToken({QStringLiteral("--name"), QStringLiteral("blog-ci"),
                                          QStringLiteral("--scopes"), QStringLiteral("admin"),
                                          QStringLiteral("--sites"), QStringLiteral("blog")});
        QVERIFY(blog.startsWith("fazt_"));

        // Its own site: everything its scope allows.
        QCOMPARE(deploy(QStringLiteral("blog"), page, blog).first, 0);
        QCOMPARE(api("POST", "/api/sites/blog/rollback", blog, "").status, 200);
        QCOMPARE(api("GET", "/api/sites/blog/env", blog).status, 200);
        QCOMPARE(api("GET", "/api/stats?site=blog", blog).status, 200);
        const QJsonArray listed =
            jsonBody(api("GET", "/api/sites", blog)).value(QLatin1String("sites")).toArray();
        QCOMPARE(listed.size(), 1);
        QCOMPARE(listed.first().toObject().value(QLatin1String("name")).toString(),
                 QStringLiteral("blog"));

        // Another site: nothing, whatever the call.
        const auto [code, output] = deploy(QStringLiteral("docs"), page, blog);
        QCOMPARE(code, 1);
        QVERIFY2(output.contains("limited to the sites blog"), output.constData());
        const QByteArray id =
            QByteArray::number(jsonBody(api("GET", "/api/sites/docs/deploys", m_admin))
                                   .value(QLatin1String("deploys"))
                                   .toArray()
                                   .first()
                                   .toObject()
                                   .value(QLatin1String("id"))
                                   .toInteger());
        const QList<QPair<QByteArray, QByteArray>> refused{
            {"POST", "/api/sites/docs/rollback"},
            {"POST", "/api/sites/docs/deploys/" + id + "/activate"},
            {"GET", "/api/sites/docs"},
            {"GET", "/api/sites/docs/env"},
            {"GET", "/api/sites/docs/logs"},
            {"GET", "/api/sites/docs/deploys"},
            {"GET", "/api/sites/docs/domains"},
            {"DELETE", "/api/sites/docs"},
            {"PUT", "/api/sites/docs/settings"},
            {"GET", "/api/stats?site=docs"},
            {"GET", "/api/stats/events?site=docs"},
            {"GET", "/api/stats"}, // every site's traffic
            {"GET", "/api/config"},
            {"GET", "/api/tokens"},
            {"GET", "/api/system/metrics"},
        };
        for (const auto &[method, path] : refused) {
            const HttpResponse r = api(method, path, blog, method == "GET" ? QByteArray() : "{}");
            QVERIFY2(r.status == 403, QByteArray(method + " " + path + ": " + r.body).constData());
            QVERIFY2(!r.body.contains("docs-secret"), r.body.constData());
            QVERIFY(jsonBody(r)
                        .value(QLatin1String("error"))
                        .toObject()
                        .value(QLatin1String("message"))
                        .toString()
                        .contains(QStringLiteral("limited to the sites blog")));
        }
        QCOMPARE(api("POST", "/api/sites", blog, R"({"name": "elsewhere"})").status, 403);
        QCOMPARE(api("GET", "/api/sites/docs", m_admin).status, 200); // still there
        QCOMPARE(jsonBody(api("GET", "/api/sites/docs/deploys", m_admin))
                     .value(QLatin1String("deploys"))
                     .toArray()
                     .size(),
                 1);
    }

    void creatingSitesTakesAnExplicitRight() {
        const QByteArray deployOnly =
            newToken({QStringLiteral("--name"), QStringLiteral("ci"), QStringLiteral("--scopes"),
                      QStringLiteral("deploy")});
        const QHash<QString, QByteArray> page{{QStringLiteral("index.html"), "<h1>new</h1>"}};
        const auto [code, output] = deploy(QStringLiteral("brand-new"), page, deployOnly);
        QCOMPARE(code, 1);
        QVERIFY2(output.contains("create-sites"), output.constData());
        QCOMPARE(api("GET", "/api/sites/brand-new", m_admin).status, 404); // nothing created
        const HttpResponse post = api("POST", "/api/sites", deployOnly, R"({"name": "brand-new"})");
        QCOMPARE(post.status, 403);
        QCOMPARE(api("GET", "/api/sites/brand-new", m_admin).status, 404);

        const QByteArray creator =
            newToken({QStringLiteral("--name"), QStringLiteral("creator"),
                      QStringLiteral("--scopes"), QStringLiteral("deploy,create-sites")});
        QCOMPARE(deploy(QStringLiteral("brand-new"), page, creator).first, 0);
        QCOMPARE(api("POST", "/api/sites", creator, R"({"name": "brand-newer"})").status, 201);
        // Bad input to create-token: a clear usage error, no token.
        QProcess bad;
        bad.start(qEnvironmentVariable("FAZT_BIN"),
                  {QStringLiteral("server"), QStringLiteral("create-token"), QStringLiteral("--db"),
                   m_db, QStringLiteral("--name"), QStringLiteral("x"), QStringLiteral("--sites"),
                   QStringLiteral("Blog!,docs")});
        QVERIFY(bad.waitForFinished(30000));
        QCOMPARE(bad.exitCode(), 2);
        QVERIFY(bad.readAllStandardError().contains("not a valid site name"));
    }

    // Medium: a burst of parallel guesses from one address is counted before the hash runs,
    // so at most the limiter's burst (5) reaches the password check.
    void loginBurstIsCountedBeforeTheHash() {
        const qint64 before = passwordChecks();
        QVERIFY(before >= 0);
        std::vector<std::unique_ptr<RawClient>> clients;
        for (int i = 0; i < 100; ++i) {
            clients.push_back(std::make_unique<RawClient>(m_fazt->port()));
            QVERIFY(clients.back()->isConnected());
        }
        for (auto &client : clients)
            client->send(loginRequest("admin"));
        int refused = 0, checked = 0;
        for (auto &client : clients) {
            const HttpResponse r = client->read(false, 60000);
            refused += r.status == 429;
            checked += r.status == 401;
            if (r.status == 429)
                QVERIFY(r.hasHeader("Retry-After"));
        }
        QCOMPARE(refused + checked, 100);
        QVERIFY2(checked <= 5, qPrintable(QString::number(checked)));
        QVERIFY2(passwordChecks() - before <= 5,
                 qPrintable(QString::number(passwordChecks() - before)));
    }

    // An IPv6 client is one /64; many addresses guessing one account slow down too.
    void loginLimitsKeyIPv6By64AndWatchTheAccount() {
        for (int i = 0; i < 5; ++i)
            QCOMPARE(
                loginFrom("127.0.0.2", "v6user", "2001:db8:1:2::" + QByteArray::number(i + 1, 16)),
                401);
        QCOMPARE(loginFrom("127.0.0.2", "v6user", "2001:db8:1:2:ffff::9"), 429); // same /64
        QCOMPARE(loginFrom("127.0.0.2", "v6user", "2001:db8:1:3::1"), 401);      // another one

        int accountRefusals = 0;
        for (int i = 0; i < 24; ++i) // one attempt from each of 24 addresses
            accountRefusals +=
                loginFrom("127.0.0.2", "victim", "203.0.113." + QByteArray::number(i + 1)) == 429;
        QVERIFY2(accountRefusals >= 3, qPrintable(QString::number(accountRefusals)));
    }

    // Medium: whatever the umask, what fazt writes is its user's only; a database found
    // readable by others is closed, and the server says so.
    void filesArePrivateWhateverTheUmask() {
        const mode_t saved = ::umask(022);
        const auto restore = qScopeGuard([saved] { ::umask(saved); });
        const QString root = m_dir.filePath(QStringLiteral("modes"));
        const QString db = root + QStringLiteral("/new/deeper/fazt.db");
        QVERIFY(test::initDatabase(db, QStringLiteral("localhost")));
        const auto modeOf = [](const QString &path) {
            struct stat info {};
            return ::stat(QFile::encodeName(path).constData(), &info) == 0
                       ? int(info.st_mode & 0777)
                       : -1;
        };
        QCOMPARE(modeOf(root + QStringLiteral("/new")), 0700);
        QCOMPARE(modeOf(root + QStringLiteral("/new/deeper")), 0700);
        QCOMPARE(modeOf(db), 0600);
        {
            FaztProcess server;
            QVERIFY(server.start(
                {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db}));
            QCOMPARE(test::fetch(server.port(), "localhost", "/").status, 200);
            QCOMPARE(modeOf(db + QStringLiteral("-wal")), 0600);
            QCOMPARE(modeOf(db + QStringLiteral("-shm")), 0600);
            QProcess backup;
            backup.start(qEnvironmentVariable("FAZT_BIN"),
                         {QStringLiteral("db"), QStringLiteral("backup"),
                          root + QStringLiteral("/copy.db"), QStringLiteral("--db"), db});
            QVERIFY(backup.waitForFinished(30000));
            QCOMPARE(backup.exitCode(), 0);
            QCOMPARE(modeOf(root + QStringLiteral("/copy.db")), 0600);
            server.stop();
        }
        // An old database left readable by everyone: the server closes it, and says so.
        QVERIFY(QFile::setPermissions(db, QFile::ReadOwner | QFile::WriteOwner | QFile::ReadGroup |
                                              QFile::ReadOther));
        QCOMPARE(modeOf(db), 0644);
        FaztProcess server;
        QVERIFY(server.start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db}));
        QCOMPARE(modeOf(db), 0600);
        server.process().waitForReadyRead(1000);
        const QByteArray said = server.process().readAllStandardError();
        QVERIFY2(said.contains("readable by other users (mode 644); it is now 600"),
                 said.constData());
    }
};

QTEST_GUILESS_MAIN(TestSecurity)
#include "tst_security.moc"
