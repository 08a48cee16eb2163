#pragma once

// The "200 MB machine" soak, shared by tests/integration/tst_cgroup (which asserts) and
// tests/bench/bench_memory (which reports): a real memory cgroup, a database many times its
// limit, and a minute of traffic over many sites with large Range downloads.

#include "db/database.h"
#include "support/patterndevice.h"
#include "vfs/vfs.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QMap>
#include <QString>

#include <algorithm>
#include <arpa/inet.h>
#include <atomic>
#include <memory>
#include <mutex>
#include <netinet/in.h>
#include <random>
#include <sys/resource.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <vector>

namespace fazt::test {

// A memory cgroup of its own (v1 under /sys/fs/cgroup/memory, else v2 under /sys/fs/cgroup),
// removed again when destroyed (after its processes ended).
class MemoryCgroup {
public:
    // Null, with the reason in `why`, where the machine does not let us create one.
    static std::unique_ptr<MemoryCgroup> create(qint64 limitBytes, QString *why) {
        const QString name = QStringLiteral("fazt-soak-%1").arg(::getpid());
        const QString v1 = QStringLiteral("/sys/fs/cgroup/memory/") + name;
        if (QDir().mkdir(v1)) {
            auto group = std::unique_ptr<MemoryCgroup>(new MemoryCgroup(v1, false));
            if (group->write("memory.limit_in_bytes", QByteArray::number(limitBytes)))
                return group;
            *why = QStringLiteral("cannot set memory.limit_in_bytes in %1").arg(v1);
            return nullptr;
        }
        const QString v2 = QStringLiteral("/sys/fs/cgroup/") + name;
        QFile controllers(QStringLiteral("/sys/fs/cgroup/cgroup.subtree_control"));
        if (controllers.open(QIODevice::ReadOnly) && controllers.readAll().contains("memory") &&
            QDir().mkdir(v2)) {
            auto group = std::unique_ptr<MemoryCgroup>(new MemoryCgroup(v2, true));
            if (group->write("memory.max", QByteArray::number(limitBytes)) &&
                group->write("memory.swap.max", "0"))
                return group;
            *why = QStringLiteral("cannot set memory.max in %1").arg(v2);
            return nullptr;
        }
        *why = QStringLiteral("neither /sys/fs/cgroup/memory (cgroup v1) nor a cgroup v2 with the "
                              "memory controller lets this user create a cgroup (run as root on "
                              "a machine that delegates cgroups)");
        return nullptr;
    }
    ~MemoryCgroup() { QDir().rmdir(m_path); }

    const QString &path() const { return m_path; }
    // How often the kernel's OOM killer killed a process of this group.
    qint64 oomKills() const {
        QFile f(m_path + (m_isV2 ? QStringLiteral("/memory.events")
                                 : QStringLiteral("/memory.oom_control")));
        if (!f.open(QIODevice::ReadOnly))
            return -1;
        for (const QByteArray &line : f.readAll().split('\n'))
            if (line.startsWith("oom_kill "))
                return line.mid(9).trimmed().toLongLong();
        return 0;
    }
    // A shell script that joins this group, then runs `program` with its arguments.
    QString writeLauncher(const QString &directory, const QString &program) const {
        const QString script = directory + QStringLiteral("/in-cgroup.sh");
        QFile f(script);
        if (!f.open(QIODevice::WriteOnly))
            return {};
        f.write("#!/bin/sh\necho $$ > '" + QFile::encodeName(m_path) +
                "/cgroup.procs' || exit 97\nexec '" + QFile::encodeName(program) + "' \"$@\"\n");
        f.close();
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
        return script;
    }

private:
    MemoryCgroup(QString path, bool isV2)
        : m_path(std::move(path))
        , m_isV2(isV2) {}
    bool write(const char *file, const QByteArray &value) {
        QFile f(m_path + u'/' + QLatin1String(file));
        return f.open(QIODevice::WriteOnly) && f.write(value) == value.size();
    }
    QString m_path;
    bool m_isV2;
};

// The soak's sites: s0..sN-1, each with `pages` small distinct pages (p0.html ...) and one
// large distinct file (video.bin); nothing repeats, so the database holds it all.
struct SoakSites {
    int sites = 16;
    int pages = 20;
    qint64 largeBytes = qint64(128) << 20;

    static QByteArray host(int site) { return "s" + QByteArray::number(site) + ".localhost"; }

    Status build(const QString &databasePath) const {
        auto database = db::Database::open(databasePath);
        if (!database)
            return database.error();
        vfs::Vfs vfs(**database);
        for (int s = 0; s < sites; ++s) {
            const QString name = QStringLiteral("s%1").arg(s);
            if (auto created = vfs.createSite(name); !created)
                return created.error();
            auto writer = vfs.beginDeploy(name);
            if (!writer)
                return writer.error();
            for (int p = 0; p < pages; ++p) {
                QByteArray page = "<!doctype html><title>" + name.toLatin1() + " page " +
                                  QByteArray::number(p) + "</title><p>";
                PatternDevice words(1024 + 512 * p, quint64(s) << 32 | quint64(p));
                page += words.readAll().toHex() + "</p>\n";
                if (Status st = (*writer)->addFile(QStringLiteral("p%1.html").arg(p), page); !st)
                    return st;
            }
            PatternDevice large(largeBytes, 0xF00D0000ull + quint64(s));
            if (Status st = (*writer)->addFile(QStringLiteral("video.bin"), large); !st)
                return st;
            if (auto done = (*writer)->commit(); !done)
                return done.error();
        }
        return {};
    }
};

// What a soak saw.
struct SoakReport {
    double seconds = 0;
    qint64 requests = 0;
    qint64 bytes = 0;
    QMap<int, qint64> statuses;
    qint64 honest503 = 0;         // 503 with Retry-After
    QList<QByteArray> badAnswers; // anything else than 2xx/3xx/304/206 or an honest 503
    std::vector<double> pageMs;   // small pages
    std::vector<double> rangeMs;  // Range downloads
    std::vector<double> adminMs;  // GET /api/system/metrics during the run
    qint64 adminFailures = 0;
    qint64 peakRssBytes = 0; // of the server, sampled

    static double percentile(std::vector<double> values, double p) {
        if (values.empty())
            return 0;
        std::sort(values.begin(), values.end());
        return values[std::min(values.size() - 1, size_t(p * double(values.size())))];
    }
    double share503() const { return requests ? double(honest503) / double(requests) : 0; }
};

// One keep-alive HTTP/1.1 connection on a plain socket (the soak runs many of these on threads).
class SoakConnection {
public:
    struct Answer {
        int status = 0;
        bool hasRetryAfter = false;
        bool closes = false;
        qint64 bodyBytes = 0;
    };
    explicit SoakConnection(quint16 port)
        : m_port(port) {}
    ~SoakConnection() { close(); }

    // Sends the request and reads the whole answer (the body is counted and dropped). False if
    // the connection failed or closed before a complete answer.
    bool get(const QByteArray &host, const QByteArray &path, const QByteArray &headers,
             Answer &answer) {
        if (m_fd < 0 && !open())
            return false;
        const QByteArray request =
            "GET " + path + " HTTP/1.1\r\nHost: " + host + "\r\n" + headers + "\r\n";
        if (::send(m_fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) !=
            request.size())
            return fail();
        qsizetype headEnd;
        while ((headEnd = m_buffer.indexOf("\r\n\r\n")) < 0) {
            if (!fill())
                return fail();
        }
        const QByteArray head = m_buffer.left(headEnd).toLower();
        answer = {};
        answer.status = head.mid(9, 3).toInt();
        answer.hasRetryAfter = head.contains("\r\nretry-after:");
        answer.closes = head.contains("\r\nconnection: close");
        const qsizetype at = head.indexOf("\r\ncontent-length:");
        qint64 remaining =
            at < 0 ? 0
                   : head.mid(at + 17, head.indexOf('\r', at + 2) - at - 17).trimmed().toLongLong();
        answer.bodyBytes = remaining;
        const qint64 buffered = std::min<qint64>(remaining, m_buffer.size() - headEnd - 4);
        m_buffer.remove(0, headEnd + 4 + buffered);
        remaining -= buffered;
        static thread_local std::vector<char> sink(1 << 18);
        while (remaining > 0) {
            const ssize_t n = ::recv(m_fd, sink.data(),
                                     size_t(std::min<qint64>(remaining, qint64(sink.size()))), 0);
            if (n <= 0)
                return fail();
            remaining -= n;
        }
        if (answer.closes)
            close();
        return true;
    }
    void close() {
        if (m_fd >= 0)
            ::close(m_fd);
        m_fd = -1;
        m_buffer.clear();
    }

private:
    bool open() {
        m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        timeval timeout{30, 0};
        setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
        sockaddr_in address{};
        address.sin_family = AF_INET;
        address.sin_port = htons(m_port);
        address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) == 0)
            return true;
        close();
        return false;
    }
    bool fill() {
        char chunk[16384];
        const ssize_t n = ::recv(m_fd, chunk, sizeof chunk, 0);
        if (n <= 0)
            return false;
        m_buffer.append(chunk, n);
        return true;
    }
    bool fail() {
        close();
        return false;
    }

    quint16 m_port;
    int m_fd = -1;
    QByteArray m_buffer;
};

inline qint64 processRss(qint64 pid, const char *field = "VmRSS:") {
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (!status.open(QIODevice::ReadOnly))
        return -1;
    for (const QByteArray &line : status.readAll().split('\n'))
        if (line.startsWith(field))
            return line.mid(qsizetype(qstrlen(field))).trimmed().split(' ').first().toLongLong() *
                   1024;
    return -1;
}

// `clients` keep-alive connections asking for pages (60 %, some conditional), Range
// downloads of 1-8 MiB (30 %) and of 32 MiB (10 %) across all sites, plus the admin asking
// for metrics every 50 ms, for `seconds`.
inline SoakReport runSoak(quint16 port, const QByteArray &token, qint64 serverPid,
                          const SoakSites &sites, int seconds, int clients) {
    SoakReport report;
    std::mutex mutex;
    std::atomic<bool> stop{false};
    QElapsedTimer clock;
    clock.start();
    std::vector<std::thread> threads;
    for (int c = 0; c < clients; ++c) {
        threads.emplace_back([&, c] {
            std::mt19937_64 random(quint64(c) * 7919 + 1);
            SoakConnection connection(port);
            SoakReport mine;
            while (!stop) {
                const int site = int(random() % quint64(sites.sites));
                const double kind = double(random() % 1000) / 1000;
                QByteArray path, headers;
                bool isRange = false;
                if (kind < 0.6) {
                    path =
                        "/p" + QByteArray::number(int(random() % quint64(sites.pages))) + ".html";
                    if (kind < 0.1)
                        headers = "If-Modified-Since: Fri, 01 Jan 2100 00:00:00 GMT\r\n";
                } else {
                    const qint64 length =
                        kind < 0.9 ? (1 + qint64(random() % 8)) << 20 : qint64(32) << 20;
                    const qint64 first = qint64(random() % quint64(sites.largeBytes - length));
                    path = "/video.bin";
                    headers = "Range: bytes=" + QByteArray::number(first) + '-' +
                              QByteArray::number(first + length - 1) + "\r\n";
                    isRange = true;
                }
                QElapsedTimer timer;
                timer.start();
                SoakConnection::Answer answer;
                if (!connection.get(SoakSites::host(site), path, headers, answer)) {
                    if (stop)
                        break;
                    mine.badAnswers.append("no answer for " + path);
                    std::this_thread::sleep_for(std::chrono::milliseconds(50));
                    continue;
                }
                const double ms = double(timer.nsecsElapsed()) / 1e6;
                ++mine.requests;
                mine.bytes += answer.bodyBytes;
                ++mine.statuses[answer.status];
                const bool isGood = (answer.status >= 200 && answer.status < 400);
                if (answer.status == 503 && answer.hasRetryAfter) {
                    ++mine.honest503;
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
                } else if (!isGood) {
                    mine.badAnswers.append("HTTP " + QByteArray::number(answer.status) + " for " +
                                           path);
                } else {
                    (isRange ? mine.rangeMs : mine.pageMs).push_back(ms);
                }
            }
            std::lock_guard lock(mutex);
            report.requests += mine.requests;
            report.bytes += mine.bytes;
            report.honest503 += mine.honest503;
            for (auto it = mine.statuses.begin(); it != mine.statuses.end(); ++it)
                report.statuses[it.key()] += it.value();
            report.badAnswers += mine.badAnswers;
            report.pageMs.insert(report.pageMs.end(), mine.pageMs.begin(), mine.pageMs.end());
            report.rangeMs.insert(report.rangeMs.end(), mine.rangeMs.begin(), mine.rangeMs.end());
        });
    }
    threads.emplace_back([&] { // the admin, and the RSS sampler
        // At nice -10 where allowed (root): the owner's browser is on another machine, and
        // here this thread shares the cores with the clients above; starved by them, it would
        // time its own scheduling rather than the server.
        (void)setpriority(PRIO_PROCESS, id_t(gettid()), -10);
        SoakConnection connection(port);
        while (!stop) {
            QElapsedTimer timer;
            timer.start();
            SoakConnection::Answer answer;
            const bool ok = connection.get("admin.localhost", "/api/system/metrics",
                                           "Authorization: Bearer " + token + "\r\n", answer);
            const double ms = double(timer.nsecsElapsed()) / 1e6;
            {
                std::lock_guard lock(mutex);
                if (ok && answer.status == 200)
                    report.adminMs.push_back(ms);
                else
                    ++report.adminFailures;
                report.peakRssBytes = std::max(report.peakRssBytes, processRss(serverPid));
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });
    while (clock.elapsed() < qint64(seconds) * 1000)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    stop = true;
    for (std::thread &t : threads)
        t.join();
    report.seconds = double(clock.elapsed()) / 1000;
    report.peakRssBytes = std::max(report.peakRssBytes, processRss(serverPid, "VmHWM:"));
    return report;
}

} // namespace fazt::test
