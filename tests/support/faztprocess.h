#pragma once

// Starts the real `fazt` binary (FAZT_BIN) as a server on a free loopback port, and talks
// HTTP/1.1 to it over raw sockets.

#include <QElapsedTimer>
#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>

#include <csignal>
#include <sys/prctl.h>

namespace fazt::test {

class FaztProcess {
public:
    ~FaztProcess() { stop(SIGKILL); }

    // Runs `fazt <args> --port 0 --listen 127.0.0.1` and waits until it prints its URL.
    bool start(const QStringList &args,
               const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment()) {
        m_process.setProcessEnvironment(env);
        m_process.setProcessChannelMode(QProcess::SeparateChannels);
        // A test that crashes must not leave its server running: the server dies with it.
        m_process.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        m_process.start(qEnvironmentVariable("FAZT_BIN"),
                        args + QStringList{QStringLiteral("--port"), QStringLiteral("0"),
                                           QStringLiteral("--listen"),
                                           QStringLiteral("127.0.0.1")});
        if (!m_process.waitForStarted(10000))
            return false;
        static const QRegularExpression url(QStringLiteral("http://[^:/ ]+:(\\d+)/"));
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 20000) {
            m_process.waitForReadyRead(200);
            m_output += m_process.readAllStandardOutput();
            if (const auto m = url.match(QString::fromUtf8(m_output)); m.hasMatch()) {
                m_port = quint16(m.captured(1).toUInt());
                return true;
            }
            if (m_process.state() != QProcess::Running)
                return false;
        }
        return false;
    }

    // Sends `signal` and waits for the exit; returns the exit code (-1 if it crashed/hung).
    int stop(int signal = SIGTERM, int timeoutMs = 30000) {
        if (m_process.state() == QProcess::NotRunning)
            return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
        ::kill(pid_t(m_process.processId()), signal);
        if (!m_process.waitForFinished(timeoutMs)) {
            m_process.kill();
            m_process.waitForFinished();
            return -1;
        }
        return m_process.exitStatus() == QProcess::NormalExit ? m_process.exitCode() : -1;
    }

    quint16 port() const { return m_port; }
    qint64 pid() const { return m_process.processId(); }
    QProcess &process() { return m_process; }
    QByteArray output() { return m_output += m_process.readAllStandardOutput(); }

    // VmHWM / VmRSS of the server process, in bytes.
    qint64 memory(const char *field = "VmHWM:") const {
        QFile status(QStringLiteral("/proc/%1/status").arg(m_process.processId()));
        if (!status.open(QIODevice::ReadOnly))
            return -1;
        for (const QByteArray &line : status.readAll().split('\n'))
            if (line.startsWith(field))
                return line.mid(qsizetype(qstrlen(field)))
                           .trimmed()
                           .split(' ')
                           .first()
                           .toLongLong() *
                       1024;
        return -1;
    }

private:
    QProcess m_process;
    QByteArray m_output;
    quint16 m_port = 0;
};

struct HttpResponse {
    int status = 0;
    QByteArray statusLine;
    QList<QPair<QByteArray, QByteArray>> headers;
    QByteArray body;
    bool isValid = false;

    QByteArray header(const QByteArray &name) const {
        for (const auto &[k, v] : headers)
            if (k.compare(name, Qt::CaseInsensitive) == 0)
                return v;
        return {};
    }
    bool hasHeader(const QByteArray &name) const {
        for (const auto &[k, v] : headers)
            if (k.compare(name, Qt::CaseInsensitive) == 0)
                return true;
        return false;
    }
};

// The body of an admin API answer, as a JSON object (empty if it is not one).
inline QJsonObject jsonBody(const HttpResponse &response) {
    return QJsonDocument::fromJson(response.body).object();
}

// A raw HTTP/1.1 client over one TCP connection (keep-alive, pipelining by hand).
class RawClient {
public:
    explicit RawClient(quint16 port) {
        m_socket.connectToHost(QStringLiteral("127.0.0.1"), port);
        m_socket.waitForConnected(5000);
    }
    bool isConnected() const { return m_socket.state() == QAbstractSocket::ConnectedState; }

    void send(const QByteArray &bytes) {
        m_socket.write(bytes);
        m_socket.waitForBytesWritten(5000);
    }

    // A GET (or other method) with Host and extra header lines ("Name: value").
    static QByteArray request(const QByteArray &host, const QByteArray &target,
                              const QList<QByteArray> &headers = {},
                              const QByteArray &method = "GET") {
        QByteArray r = method + ' ' + target + " HTTP/1.1\r\nHost: " + host + "\r\n";
        for (const QByteArray &h : headers)
            r += h + "\r\n";
        return r + "\r\n";
    }

    // Reads one response; `isHead` if it answers a HEAD (no body despite Content-Length).
    HttpResponse read(bool isHead = false, int timeoutMs = 10000) {
        HttpResponse response;
        QElapsedTimer timer;
        timer.start();
        qsizetype headEnd = -1;
        while ((headEnd = m_buffer.indexOf("\r\n\r\n")) < 0) {
            if (!fill(timer, timeoutMs))
                return response;
        }
        const QList<QByteArray> lines = m_buffer.left(headEnd).split('\n');
        m_buffer.remove(0, headEnd + 4);
        response.statusLine = lines.first().trimmed();
        response.status = response.statusLine.split(' ').value(1).toInt();
        for (qsizetype i = 1; i < lines.size(); ++i) {
            const QByteArray line = lines[i].trimmed();
            const qsizetype colon = line.indexOf(':');
            response.headers.append({line.left(colon).trimmed(), line.mid(colon + 1).trimmed()});
        }
        if (response.status == 100) { // interim: the caller reads the final one next
            response.isValid = true;
            return response;
        }
        const bool hasLength = response.hasHeader("Content-Length");
        const qint64 length = response.header("Content-Length").toLongLong();
        if (isHead || response.status == 304 || response.status == 204) {
            response.isValid = true;
            return response;
        }
        if (hasLength) {
            while (m_buffer.size() < length) {
                if (!fill(timer, timeoutMs))
                    return response;
            }
            response.body = m_buffer.left(length);
            m_buffer.remove(0, length);
        } else {
            while (fill(timer, timeoutMs)) {
            }
            response.body = std::exchange(m_buffer, {});
        }
        response.isValid = true;
        return response;
    }

    // True if the server closed the connection (EOF) within the timeout.
    bool waitForClose(int timeoutMs = 5000) {
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < timeoutMs) {
            if (m_socket.state() != QAbstractSocket::ConnectedState)
                return true;
            if (m_socket.waitForReadyRead(100))
                m_buffer += m_socket.readAll();
            if (m_socket.state() != QAbstractSocket::ConnectedState)
                return true;
        }
        return false;
    }

    QByteArray &buffer() { return m_buffer; }
    QTcpSocket &socket() { return m_socket; }

private:
    bool fill(QElapsedTimer &timer, int timeoutMs) {
        if (m_socket.bytesAvailable() == 0) {
            if (timer.elapsed() > timeoutMs)
                return false;
            if (!m_socket.waitForReadyRead(int(std::max<qint64>(1, timeoutMs - timer.elapsed()))))
                return m_socket.bytesAvailable() > 0 ? true : false;
        }
        m_buffer += m_socket.readAll();
        return true;
    }

    QTcpSocket m_socket;
    QByteArray m_buffer;
};

// One request on a new connection.
inline HttpResponse fetch(quint16 port, const QByteArray &host, const QByteArray &target,
                          const QList<QByteArray> &headers = {}, const QByteArray &method = "GET") {
    RawClient client(port);
    client.send(RawClient::request(host, target, headers, method));
    return client.read(method == "HEAD");
}

// Runs `fazt server init --domain DOMAIN --db DB --demo`; true if it succeeded.
inline bool initDatabase(const QString &db, const QString &domain) {
    QProcess init;
    init.start(qEnvironmentVariable("FAZT_BIN"),
               {QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                domain, QStringLiteral("--db"), db, QStringLiteral("--demo")});
    return init.waitForFinished(30000) && init.exitStatus() == QProcess::NormalExit &&
           init.exitCode() == 0;
}

// Runs `fazt server create-token` on `db`; returns the token.
inline QByteArray createToken(const QString &db, const char *name, const char *scopes) {
    QProcess p;
    p.start(qEnvironmentVariable("FAZT_BIN"),
            {QStringLiteral("server"), QStringLiteral("create-token"), QStringLiteral("--name"),
             QString::fromLatin1(name), QStringLiteral("--scopes"), QString::fromLatin1(scopes),
             QStringLiteral("--db"), db});
    p.waitForFinished(30000);
    return p.readAllStandardOutput().trimmed().split('\n').last();
}

// One call on a new connection to `host` (the admin API by default), with a bearer token and
// a body if given.
inline HttpResponse call(quint16 port, const QByteArray &method, const QByteArray &path,
                         const QByteArray &token = {}, const QByteArray &body = {},
                         QList<QByteArray> headers = {},
                         const QByteArray &host = "admin.localhost") {
    RawClient client(port);
    if (!token.isEmpty())
        headers.append("Authorization: Bearer " + token);
    if (!body.isNull())
        headers.append("Content-Length: " + QByteArray::number(body.size()));
    client.send(RawClient::request(host, path, headers, method) + body);
    return client.read(method == "HEAD", 60000);
}

// A call to the admin API with a JSON body, if there is one.
inline HttpResponse callJson(quint16 port, const QByteArray &method, const QByteArray &path,
                             const QByteArray &token, const QByteArray &body = {}) {
    QList<QByteArray> headers;
    if (!body.isNull())
        headers.append("Content-Type: application/json");
    return call(port, method, path, token, body, headers);
}

} // namespace fazt::test
