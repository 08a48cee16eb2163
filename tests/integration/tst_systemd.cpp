// Fazt as a systemd service: the units in installers/ pass `systemd-analyze verify`; the real
// binary speaks sd_notify (READY=1 only once its port answers, WATCHDOG=1 pings, STOPPING=1 on
// SIGTERM); and under socket activation (the test holds the port like fazt.socket does, and
// starts each server through systemd-socket-activate) a restart under wrk's load refuses no
// connection.

#include "db/connection.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QRegularExpression>
#include <QScopeGuard>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

#include <optional>

#include <arpa/inet.h>
#include <csignal>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

namespace {

QString faztBin() {
    return qEnvironmentVariable("FAZT_BIN");
}

// A TCP socket listening on 127.0.0.1 on a free port.
int listenOnLoopback(quint16 *port) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t length = sizeof address;
    if (::bind(fd, reinterpret_cast<sockaddr *>(&address), length) != 0 ||
        ::listen(fd, 4096) != 0) {
        ::close(fd);
        return -1;
    }
    ::getsockname(fd, reinterpret_cast<sockaddr *>(&address), &length);
    *port = ntohs(address.sin_port);
    return fd;
}

quint16 freePort() {
    quint16 port = 0;
    ::close(listenOnLoopback(&port));
    return port;
}

enum class Outcome { Ok, Refused, OtherError, NotOk };

// One `GET /health` on a new connection; what a client would notice.
Outcome getHealth(quint16 port, int timeoutMs = 20000) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        const bool isRefused = errno == ECONNREFUSED;
        ::close(fd);
        return isRefused ? Outcome::Refused : Outcome::OtherError;
    }
    const timeval timeout{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
    ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
    const char request[] = "GET /health HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
    if (::send(fd, request, sizeof request - 1, MSG_NOSIGNAL) != qsizetype(sizeof request - 1)) {
        ::close(fd);
        return Outcome::OtherError;
    }
    QByteArray response;
    char buffer[4096];
    qsizetype n = 0;
    while ((n = ::recv(fd, buffer, sizeof buffer, 0)) > 0)
        response.append(buffer, n);
    ::close(fd);
    if (response.isEmpty())
        return Outcome::OtherError;
    return response.startsWith("HTTP/1.1 2") ? Outcome::Ok : Outcome::NotOk;
}

// A datagram socket where the server sends its sd_notify messages (NOTIFY_SOCKET).
class NotifySocket {
public:
    explicit NotifySocket(const QString &path)
        : m_path(path) {
        m_fd = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
        sockaddr_un address{};
        address.sun_family = AF_UNIX;
        const QByteArray name = QFile::encodeName(path);
        std::memcpy(address.sun_path, name.constData(), size_t(name.size()));
        m_isBound = ::bind(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0;
    }
    ~NotifySocket() { ::close(m_fd); }
    bool isBound() const { return m_isBound; }

    // The next message, or an empty one after `timeoutMs`.
    QByteArray next(int timeoutMs) {
        pollfd p{m_fd, POLLIN, 0};
        if (::poll(&p, 1, timeoutMs) <= 0)
            return {};
        char buffer[4096];
        const qsizetype n = ::recv(m_fd, buffer, sizeof buffer, 0);
        return n > 0 ? QByteArray(buffer, n) : QByteArray();
    }

private:
    QString m_path;
    int m_fd = -1;
    bool m_isBound = false;
};

} // namespace

class TestSystemd : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void unitsVerify();
    void notifiesReadyWatchdogAndStopping();
    void restartUnderSocketActivationRefusesNothing();
    void stopWhileStartingIsGraceful();
    void journalLinesCarryTheirPriority();
    void aServiceFavoursItsOwnSession();
};

void TestSystemd::unitsVerify() {
    const QString analyze = QStandardPaths::findExecutable(QStringLiteral("systemd-analyze"));
    if (analyze.isEmpty())
        QSKIP("systemd-analyze is missing: run installers/deps.sh test");
    // The units as installed, with ExecStart pointing at the binary just built (and, for the
    // Litestream sample, at a stand-in: Litestream is not in Debian).
    QTemporaryDir dir;
    for (const char *name : {"fazt.service", "fazt.socket", "litestream-fazt.service"}) {
        QFile unit(QStringLiteral(FAZT_SOURCE_DIR "/installers/") + QLatin1String(name));
        QVERIFY(unit.open(QIODevice::ReadOnly));
        QByteArray text = unit.readAll();
        QVERIFY2(text.contains("ExecStart=/usr/bin/fazt ") ||
                     text.contains("ExecStart=/usr/bin/litestream ") || !text.contains("ExecStart"),
                 "fazt.service starts /usr/bin/fazt, where the package puts it");
        text.replace("/usr/bin/fazt ", QByteArray(QFile::encodeName(faztBin()) + ' '));
        text.replace("/usr/bin/litestream ", "/bin/true ");
        QFile copy(dir.filePath(QLatin1String(name)));
        QVERIFY(copy.open(QIODevice::WriteOnly));
        copy.write(text);
    }
    QProcess verify;
    verify.setProcessChannelMode(QProcess::MergedChannels);
    verify.start(analyze, {QStringLiteral("verify"), dir.filePath(QStringLiteral("fazt.socket")),
                           dir.filePath(QStringLiteral("fazt.service")),
                           dir.filePath(QStringLiteral("litestream-fazt.service"))});
    QVERIFY(verify.waitForFinished(60000));
    const QByteArray output = verify.readAll();
    QVERIFY2(verify.exitCode() == 0, output.constData());
    // Warnings do not change the exit code; a unit of ours has none.
    for (const QByteArray &line : output.split('\n'))
        QVERIFY2(!line.contains("fazt."), line.constData());
}

void TestSystemd::notifiesReadyWatchdogAndStopping() {
    QTemporaryDir dir;
    NotifySocket notify(dir.filePath(QStringLiteral("notify")));
    QVERIFY(notify.isBound());
    const quint16 port = freePort();
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.insert(QStringLiteral("NOTIFY_SOCKET"), dir.filePath(QStringLiteral("notify")));
    env.insert(QStringLiteral("WATCHDOG_USEC"), QStringLiteral("400000")); // pings every 200 ms
    QProcess server;
    server.setProcessEnvironment(env);
    server.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    server.start(faztBin(),
                 {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"),
                  dir.filePath(QStringLiteral("fazt.db")), QStringLiteral("--port"),
                  QString::number(port), QStringLiteral("--listen"), QStringLiteral("127.0.0.1")});
    QVERIFY(server.waitForStarted());

    // The first message is READY=1, and the port answers the moment it arrives.
    const QByteArray ready = notify.next(30000);
    QVERIFY2(ready.startsWith("READY=1\n"), ready.constData());
    QVERIFY(getHealth(port) == Outcome::Ok);
    QVERIFY2(ready.contains(
                 QByteArray("\nSTATUS=Serving localhost on port " + QByteArray::number(port))),
             ready.constData());

    int pings = 0;
    QElapsedTimer timer;
    timer.start();
    while (pings < 3 && timer.elapsed() < 10000)
        pings += notify.next(1000) == "WATCHDOG=1" ? 1 : 0;
    QCOMPARE(pings, 3);

    ::kill(pid_t(server.processId()), SIGTERM);
    QByteArray message;
    do
        message = notify.next(10000);
    while (message == "WATCHDOG=1");
    QVERIFY2(message.startsWith("STOPPING=1\nSTATUS=Stopping"), message.constData());
    QVERIFY(server.waitForFinished(30000));
    QCOMPARE(server.exitCode(), 0);
    QCOMPARE(notify.next(300), QByteArray()); // no ping after STOPPING=1
}

// This process's autogroup nice value ("/autogroup-N nice V"), or nullopt without autogroups.
std::optional<int> autogroupNice(qint64 pid) {
    QFile enabled(QStringLiteral("/proc/sys/kernel/sched_autogroup_enabled"));
    if (!enabled.open(QIODevice::ReadOnly) || !enabled.readAll().startsWith('1'))
        return std::nullopt;
    QFile file(QStringLiteral("/proc/%1/autogroup").arg(pid));
    if (!file.open(QIODevice::ReadOnly))
        return std::nullopt;
    const QList<QByteArray> words = file.readAll().simplified().split(' ');
    bool isNumber = false;
    const int nice = words.value(2).toInt(&isNumber);
    return isNumber ? std::optional<int>(nice) : std::nullopt;
}

// Started by systemd, fazt leads its own session: it lowers its autogroup's nice value to the
// admin's (-10), so that the cockpit comes before the machine's other busy sessions, unless
// FAZT_SESSION_NICE says otherwise. The session of whoever started it is left alone.
void TestSystemd::aServiceFavoursItsOwnSession() {
    const std::optional<int> ours = autogroupNice(::getpid());
    if (!ours)
        QSKIP("this kernel does not schedule by autogroup (CONFIG_SCHED_AUTOGROUP off, or "
              "kernel.sched_autogroup_enabled=0)");
    if (::geteuid() != 0)
        QSKIP("lowering an autogroup's nice value needs root or LimitNICE; run as root");
    for (const QString &setting : {QString(), QStringLiteral("0"), QStringLiteral("-4")}) {
        QTemporaryDir dir;
        NotifySocket notify(dir.filePath(QStringLiteral("notify")));
        QVERIFY(notify.isBound());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("NOTIFY_SOCKET"), dir.filePath(QStringLiteral("notify")));
        env.remove(QStringLiteral("FAZT_SESSION_NICE"));
        if (!setting.isEmpty())
            env.insert(QStringLiteral("FAZT_SESSION_NICE"), setting);
        QProcess server;
        server.setProcessEnvironment(env);
        server.setChildProcessModifier([] {
            ::setsid(); // as systemd starts a service: a session of its own
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
        });
        server.start(faztBin(), {QStringLiteral("server"), QStringLiteral("start"),
                                 QStringLiteral("--db"), dir.filePath(QStringLiteral("fazt.db")),
                                 QStringLiteral("--port"), QString::number(freePort()),
                                 QStringLiteral("--listen"), QStringLiteral("127.0.0.1")});
        QVERIFY(server.waitForStarted());
        const QByteArray ready = notify.next(30000);
        QVERIFY2(ready.startsWith("READY=1\n"), ready.constData());
        const int expected = setting.isEmpty() ? -10 : setting.toInt();
        QCOMPARE(autogroupNice(server.processId()), std::optional<int>(expected));
        QCOMPARE(autogroupNice(::getpid()), ours); // the test's own session is untouched
        ::kill(pid_t(server.processId()), SIGTERM);
        QVERIFY(server.waitForFinished(30000));
    }
}

// `systemctl restart fazt` with fazt.socket: the port stays open across the restart; clients
// that connect while no server runs wait in the listen queue. wrk keeps 8 connections busy
// throughout (each request on a new connection, so every one of them goes through a connect
// and is counted if refused); two restarts happen under it.
void TestSystemd::restartUnderSocketActivationRefusesNothing() {
    const QString activate =
        QStandardPaths::findExecutable(QStringLiteral("systemd-socket-activate"));
    const QString wrk = QStandardPaths::findExecutable(QStringLiteral("wrk"));
    if (activate.isEmpty() || wrk.isEmpty())
        QSKIP("systemd-socket-activate or wrk is missing: run installers/deps.sh test");
    QTemporaryDir dir;
    quint16 port = 0;
    const int listenFd = listenOnLoopback(&port);
    QVERIFY(listenFd >= 0);
    const QString db = dir.filePath(QStringLiteral("fazt.db"));
    // Like systemd: the socket is fd 3 of a process whose pid LISTEN_PID names.
    const auto startServer = [&](QProcess &server) {
        server.setProcessChannelMode(QProcess::ForwardedErrorChannel);
        server.setChildProcessModifier([listenFd] {
            ::prctl(PR_SET_PDEATHSIG, SIGKILL);
            ::dup2(listenFd, 3);
            ::fcntl(3, F_SETFD, 0);
        });
        server.start(QStringLiteral("/bin/sh"),
                     {QStringLiteral("-c"),
                      QStringLiteral("LISTEN_FDS=1 LISTEN_PID=$$ exec \"$0\" \"$@\""), activate,
                      QStringLiteral("-E"), QStringLiteral("FAZT_SHUTDOWN_GRACE_MS=5000"),
                      faztBin(), QStringLiteral("server"), QStringLiteral("start"),
                      QStringLiteral("--db"), db, QStringLiteral("--port"), QString::number(port),
                      QStringLiteral("--listen"), QStringLiteral("127.0.0.1")});
        return server.waitForStarted();
    };

    auto first = std::make_unique<QProcess>();
    QVERIFY(startServer(*first));
    // systemd-socket-activate starts the server on the first connection.
    QCOMPARE(getHealth(port), Outcome::Ok);

    QProcess load;
    load.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    load.start(wrk, {QStringLiteral("-t2"), QStringLiteral("-c8"), QStringLiteral("-d300s"),
                     QStringLiteral("--timeout"), QStringLiteral("20s"), QStringLiteral("-H"),
                     QStringLiteral("Connection: close"),
                     QStringLiteral("http://127.0.0.1:%1/health").arg(port)});
    QVERIFY(load.waitForStarted());
    const auto stopLoad = qScopeGuard([&load] {
        if (load.state() != QProcess::NotRunning) {
            load.kill();
            load.waitForFinished();
        }
    });
    QTest::qWait(1000); // load, not a wait for an event: the server is already serving

    for (int restart = 0; restart < 2; ++restart) {
        ::kill(pid_t(first->processId()), SIGTERM);
        // Its graceful stop ("fazt: stopped") is what matters here, not its exit status (see
        // the note in the issue).
        QVERIFY(first->waitForFinished(30000));
        auto next = std::make_unique<QProcess>();
        QVERIFY(startServer(*next));
        QCOMPARE(getHealth(port), Outcome::Ok); // queued behind wrk's connections
        first = std::move(next);
        QTest::qWait(1000);
    }
    ::kill(pid_t(load.processId()), SIGINT); // wrk stops and prints its summary
    QVERIFY(load.waitForFinished(30000));
    const QString report = QString::fromUtf8(load.readAllStandardOutput());
    qInfo("%s", qPrintable(report));
    static const QRegularExpression requests(QStringLiteral("(\\d+) requests in "));
    static const QRegularExpression socketErrors(
        QStringLiteral("Socket errors: connect (\\d+), read (\\d+), write (\\d+), timeout (\\d+)"));
    static const QRegularExpression non2xx(QStringLiteral("Non-2xx or 3xx responses: (\\d+)"));
    const auto done = requests.match(report);
    QVERIFY2(done.hasMatch(), qPrintable(report));
    QVERIFY2(done.captured(1).toInt() > 100, qPrintable(report));
    // wrk prints these lines only when they are not zero.
    QVERIFY2(!socketErrors.match(report).hasMatch(), qPrintable(report));
    QVERIFY2(!non2xx.match(report).hasMatch(), qPrintable(report));
    ::kill(pid_t(first->processId()), SIGTERM);
    QVERIFY(first->waitForFinished(30000));
    ::close(listenFd);
}

// A SIGTERM that arrives before the server serves (systemd stopping it while it opens or
// migrates the database) waits for the server to be ready to stop in order, instead of
// killing it half-way: here the server waits for a write lock another process holds.
void TestSystemd::stopWhileStartingIsGraceful() {
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("fazt.db"));
    QProcess init;
    init.start(faztBin(),
               {QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                QStringLiteral("localhost"), QStringLiteral("--db"), db});
    QVERIFY(init.waitForFinished(30000));
    QCOMPARE(init.exitCode(), 0);
    auto holder = fazt::db::Connection::open(db, fazt::db::OpenMode::ReadWrite);
    QVERIFY(holder);
    QVERIFY((*holder)->exec("BEGIN IMMEDIATE"));

    QProcess server;
    server.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
    // A new --domain is written to the database before serving: it waits for the lock.
    server.start(faztBin(),
                 {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db,
                  QStringLiteral("--domain"), QStringLiteral("example.test"),
                  QStringLiteral("--port"), QString::number(freePort()), QStringLiteral("--listen"),
                  QStringLiteral("127.0.0.1")});
    QVERIFY(server.waitForStarted());
    // Its write is queued once its database holds a -wal of its own: it waits in the lock.
    const auto hasOpened = [&] {
        const QDir fds(QStringLiteral("/proc/%1/fd").arg(server.processId()));
        const QFileInfoList links = fds.entryInfoList(QDir::Files | QDir::System);
        return std::any_of(links.begin(), links.end(), [&](const QFileInfo &fd) {
            return fd.symLinkTarget() == db + QStringLiteral("-wal");
        });
    };
    QTRY_VERIFY_WITH_TIMEOUT(hasOpened(), 20000);
    ::kill(pid_t(server.processId()), SIGTERM);
    QTest::qWait(200); // the signal has landed while the server still waits
    QVERIFY((*holder)->exec("COMMIT"));
    QVERIFY(server.waitForFinished(30000));
    const QByteArray said = server.readAllStandardError();
    QCOMPARE(server.exitStatus(), QProcess::NormalExit);
    QCOMPARE(server.exitCode(), 0);
    QVERIFY2(said.contains("SIGTERM received") && said.contains("fazt: stopped"), said.constData());
}

// Under systemd stderr is the journal (JOURNAL_STREAM names it by device and inode): each line
// starts with its priority, "<3>" for errors, "<6>" for information. Elsewhere, no prefix.
void TestSystemd::journalLinesCarryTheirPriority() {
    QTemporaryDir dir;
    const QString log = dir.filePath(QStringLiteral("stderr"));
    QFile(log).open(QIODevice::WriteOnly);
    struct stat info {};
    QCOMPARE(::stat(QFile::encodeName(log).constData(), &info), 0);
    quint16 port = 0;
    const int taken = listenOnLoopback(&port); // so the second server cannot listen
    const auto runServer = [&](const QString &stream, bool stopIt) {
        QProcess server;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("JOURNAL_STREAM"), stream);
        server.setProcessEnvironment(env);
        server.setStandardErrorFile(log, QIODevice::Append);
        server.setChildProcessModifier([] { ::prctl(PR_SET_PDEATHSIG, SIGKILL); });
        server.start(faztBin(),
                     {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"),
                      dir.filePath(QStringLiteral("fazt.db")), QStringLiteral("--port"),
                      QString::number(stopIt ? freePort() : port), QStringLiteral("--listen"),
                      QStringLiteral("127.0.0.1")});
        server.waitForStarted();
        if (stopIt) {
            // Its URL says it serves (the first lines, on a new database, come before that).
            QByteArray said;
            while (!said.contains("Press Ctrl+C") && server.waitForReadyRead(20000))
                said += server.readAllStandardOutput();
            ::kill(pid_t(server.processId()), SIGTERM);
        }
        server.waitForFinished(30000);
        return server.exitCode();
    };
    const QString journal =
        QStringLiteral("%1:%2").arg(quint64(info.st_dev)).arg(quint64(info.st_ino));
    QCOMPARE(runServer(journal, true), 0);
    QCOMPARE(runServer(journal, false), 1);              // its port is taken
    QCOMPARE(runServer(QStringLiteral("1:1"), true), 0); // another stream: not the journal
    ::close(taken);
    QFile file(log);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray text = file.readAll();
    QVERIFY2(text.contains("<6>fazt: SIGTERM received; finishing in-flight requests\n"),
             text.constData());
    QVERIFY2(text.contains("<6>fazt: stopped\n"), text.constData());
    QVERIFY2(text.contains("<3>fazt: Cannot listen on 127.0.0.1 port"), text.constData());
    QVERIFY2(text.endsWith("\nfazt: stopped\n"), text.constData()); // the last run: no prefix
}

QTEST_GUILESS_MAIN(TestSystemd)
#include "tst_systemd.moc"
