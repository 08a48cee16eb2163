#pragma once

// Helpers for the HTTPS tests: a fazt server on chosen ports, curl over HTTPS, raw TLS
// handshakes with a chosen SNI name, and the admin API's certificate list.

#include "../support/faztprocess.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QSslSocket>
#include <QTcpServer>

namespace fazt::test {

inline quint16 freePort() {
    QTcpServer server;
    server.listen(QHostAddress::LocalHost, 0);
    return server.serverPort();
}

// Runs a command to completion; returns its exit code (-1 if it did not finish).
inline int runTool(const QString &program, const QStringList &args, QByteArray *out = nullptr,
                   QByteArray *err = nullptr, int timeoutMs = 30000) {
    QProcess p;
    p.start(program, args);
    if (!p.waitForFinished(timeoutMs)) {
        p.kill();
        p.waitForFinished();
        return -1;
    }
    if (out)
        *out = p.readAllStandardOutput();
    if (err)
        *err = p.readAllStandardError();
    return p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
}

// `fazt server start` with HTTPS on fixed ports (ACME validators connect to known ports).
class HttpsFazt {
public:
    ~HttpsFazt() { stop(); }

    bool start(const QString &db, quint16 httpPort, quint16 httpsPort, const QStringList &extra,
               const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment()) {
        m_httpPort = httpPort;
        m_output.clear();
        m_process.setProcessEnvironment(env);
        m_process.start(qEnvironmentVariable("FAZT_BIN"),
                        QStringList{QStringLiteral("server"), QStringLiteral("start"),
                                    QStringLiteral("--db"), db, QStringLiteral("--listen"),
                                    QStringLiteral("127.0.0.1"), QStringLiteral("--workers"),
                                    QStringLiteral("2"), QStringLiteral("--port"),
                                    QString::number(httpPort), QStringLiteral("--https-port"),
                                    QString::number(httpsPort)} +
                            extra);
        if (!m_process.waitForStarted(10000))
            return false;
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 20000) {
            m_process.waitForReadyRead(200);
            m_output += m_process.readAllStandardOutput();
            if (m_output.contains("Press Ctrl+C"))
                return true;
            if (m_process.state() != QProcess::Running)
                return false;
        }
        return false;
    }

    // SIGTERM and wait; the exit code (-1 if it crashed or hung; 0 if it was not running).
    int stop() {
        if (m_process.state() == QProcess::NotRunning)
            return 0;
        m_process.terminate();
        if (!m_process.waitForFinished(30000))
            m_process.kill();
        m_process.waitForFinished();
        log();
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }

    // Everything the server wrote to stderr so far.
    QByteArray log() { return m_log += m_process.readAllStandardError(); }

    // The admin API's certificate list, by name.
    QHash<QString, QJsonObject> certificates(const QByteArray &token, int *orders = nullptr) {
        const HttpResponse response = fetch(m_httpPort, "admin.localhost", "/api/certificates",
                                            {"Authorization: Bearer " + token});
        QHash<QString, QJsonObject> byName;
        const QJsonObject body = QJsonDocument::fromJson(response.body).object();
        for (const QJsonValue &v : body.value(QStringLiteral("certificates")).toArray())
            byName.insert(v.toObject().value(QStringLiteral("name")).toString(), v.toObject());
        if (orders)
            *orders = body.value(QStringLiteral("orders")).toInt(-1);
        return byName;
    }

    HttpResponse api(const QByteArray &method, const QByteArray &path, const QByteArray &token,
                     const QByteArray &body = {}) {
        RawClient client(m_httpPort);
        QList<QByteArray> headers{"Authorization: Bearer " + token};
        if (!body.isNull())
            headers << "Content-Type: application/json"
                    << "Content-Length: " + QByteArray::number(body.size());
        client.send(RawClient::request("admin.localhost", path, headers, method) + body);
        return client.read(false, 30000);
    }

private:
    QProcess m_process;
    QByteArray m_output;
    QByteArray m_log;
    quint16 m_httpPort = 0;
};

inline QByteArray createToken(const QString &db) {
    return createToken(db, "tls-test", "admin");
}

// curl over HTTPS to `name` (resolved to 127.0.0.1), trusting only `caFile`.
struct CurlResult {
    int exitCode = -1;
    int status = 0;
    QByteArray verbose; // curl -v: the certificate's subject and names, the headers
};

inline CurlResult curlHttps(const QByteArray &name, quint16 port, const QString &caFile,
                            const QByteArray &path = "/") {
    CurlResult result;
    QByteArray out;
    const QString host = QString::fromLatin1(name);
    result.exitCode = runTool(
        QStringLiteral("curl"),
        {QStringLiteral("-sS"), QStringLiteral("-v"), QStringLiteral("--max-time"),
         QStringLiteral("20"), QStringLiteral("--cacert"), caFile, QStringLiteral("--resolve"),
         QStringLiteral("%1:%2:127.0.0.1").arg(host).arg(port), QStringLiteral("-o"),
         QStringLiteral("/dev/null"), QStringLiteral("-w"), QStringLiteral("%{http_code}"),
         QStringLiteral("https://%1:%2%3").arg(host).arg(port).arg(QString::fromLatin1(path))},
        &out, &result.verbose);
    result.status = out.toInt();
    return result;
}

// One TLS handshake to 127.0.0.1:port with `name` as SNI, not verifying anything; the common
// name of the certificate the server chose (empty if the handshake failed).
inline QString handshakeCommonName(quint16 port, const QString &name) {
    QSslSocket socket;
    QObject::connect(&socket, &QSslSocket::sslErrors, &socket,
                     [&socket] { socket.ignoreSslErrors(); });
    socket.setPeerVerifyMode(QSslSocket::VerifyNone);
    socket.connectToHostEncrypted(QStringLiteral("127.0.0.1"), port, name);
    if (!socket.waitForEncrypted(10000))
        return {};
    const QStringList names = socket.peerCertificate().subjectInfo(QSslCertificate::CommonName);
    socket.disconnectFromHost();
    return names.value(0);
}

} // namespace fazt::test
