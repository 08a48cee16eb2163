#include "http/accesslog.h"

#include "http/exchange.h"
#include "http/responses.h"
#include "system/logtext.h"

#include <QFile>

#include <cerrno>
#include <climits>
#include <csignal>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <pthread.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fazt::http {

namespace {

constexpr qsizetype WriteAtBytes = 64 * 1024;  // wake the writer early past this
constexpr qsizetype MaxPendingBytes = 4 << 20; // drop lines past this
constexpr auto WriteInterval = std::chrono::milliseconds(200);
constexpr qsizetype MaxFieldBytes = 4096; // of any one field a client chose

const char Hex[] = "0123456789abcdef";

// The length of the UTF-8 sequence starting at `at` (a lead byte and its continuation
// bytes, no overlong forms or surrogates), or 0 when the bytes there are not one.
int utf8Length(QByteArrayView text, qsizetype at) {
    const auto byte = [&](qsizetype i) { return i < text.size() ? quint8(text[i]) : quint8(0); };
    const quint8 c = byte(at);
    const auto isTail = [](quint8 b) { return (b & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF)
        return isTail(byte(at + 1)) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        const quint8 c1 = byte(at + 1);
        const bool ok = isTail(c1) && isTail(byte(at + 2)) && !(c == 0xE0 && c1 < 0xA0) &&
                        !(c == 0xED && c1 >= 0xA0);
        return ok ? 3 : 0;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        const quint8 c1 = byte(at + 1);
        const bool ok = isTail(c1) && isTail(byte(at + 2)) && isTail(byte(at + 3)) &&
                        !(c == 0xF0 && c1 < 0x90) && !(c == 0xF4 && c1 >= 0x90);
        return ok ? 4 : 0;
    }
    return 0;
}

// Appends `text` for a quoted field: `"` and `\` escaped with a backslash; control
// characters (C0, DEL, and C1 as U+0080..U+009F) and bytes that are not UTF-8 written as
// \xNN (common) or \u00NN (JSON), so nothing a client sends can end the line or the field.
// At most MaxFieldBytes of the input are kept.
void appendEscaped(QByteArray &out, QByteArrayView text, bool isJson) {
    text = text.first(std::min(text.size(), MaxFieldBytes));
    const auto escapeByte = [&](quint8 b) {
        out.append(isJson ? "\\u00" : "\\x");
        out.append(Hex[b >> 4]);
        out.append(Hex[b & 15]);
    };
    for (qsizetype i = 0; i < text.size();) {
        const quint8 c = quint8(text[i]);
        if (c == '"' || c == '\\') {
            out.append('\\');
            out.append(char(c));
            ++i;
        } else if (c < 0x20 || c == 0x7F) {
            escapeByte(c);
            ++i;
        } else if (c < 0x80) {
            out.append(char(c));
            ++i;
        } else if (const int n = utf8Length(text, i); n == 0) {
            escapeByte(c);
            ++i;
        } else if (n == 2 && c == 0xC2 && quint8(text[i + 1]) < 0xA0) {
            escapeByte(quint8(text[i + 1])); // a C1 control, U+0080..U+009F
            i += 2;
        } else {
            out.append(text.sliced(i, n));
            i += n;
        }
    }
}

// The time as each format writes it, made at most once a second per thread.
struct Clock {
    qint64 second = -1;
    char common[32] = {}; // "06/Dec/2026:16:30:00 +0000"
    char iso[32] = {};    // "2026-12-06T16:30:00"
};

const Clock &clockAt(qint64 second) {
    thread_local Clock clock;
    if (clock.second != second) {
        const time_t t = time_t(second);
        tm utc{};
        gmtime_r(&t, &utc);
        std::strftime(clock.common, sizeof clock.common, "%d/%b/%Y:%H:%M:%S +0000", &utc);
        std::strftime(clock.iso, sizeof clock.iso, "%Y-%m-%dT%H:%M:%S", &utc);
        clock.second = second;
    }
    return clock;
}

QByteArray protoOf(const Request &request) {
    return request.minorVersion() == 0 ? QByteArrayLiteral("HTTP/1.0")
                                       : QByteArrayLiteral("HTTP/1.1");
}

void appendCommon(QByteArray &line, const Request &request, const QByteArray &peer,
                  const Clock &clock, int status, qint64 bytes, bool isCombined) {
    line.append(peer);
    line.append(" - - [");
    line.append(clock.common);
    line.append("] \"");
    if (request.methodText().isEmpty()) {
        line.append('-');
    } else {
        appendEscaped(line, request.methodText(), false);
        line.append(' ');
        appendEscaped(line, request.target(), false);
        line.append(' ');
        line.append(protoOf(request));
    }
    line.append("\" ");
    line.append(QByteArray::number(status));
    line.append(' ');
    line.append(bytes > 0 ? QByteArray::number(bytes) : QByteArrayLiteral("-"));
    if (isCombined) { // absent headers are "-", as Apache writes them
        for (const char *name : {"Referer", "User-Agent"}) {
            const QByteArrayView value = request.field(name);
            line.append(" \"");
            appendEscaped(line, value.isEmpty() ? QByteArrayView("-") : value, false);
            line.append('"');
        }
    }
    line.append('\n');
}

void appendJson(QByteArray &line, const Request &request, const QByteArray &peer,
                const Clock &clock, qint64 millisecond, int status, qint64 bytes,
                std::chrono::nanoseconds elapsed) {
    const auto field = [&](const char *name, QByteArrayView value) {
        line.append(name);
        appendEscaped(line, value, true);
        line.append('"');
    };
    line.append("{\"time\":\"");
    line.append(clock.iso);
    char fraction[8];
    std::snprintf(fraction, sizeof fraction, ".%03dZ", int(millisecond));
    line.append(fraction);
    line.append("\",\"remote_ip\":\"");
    line.append(peer);
    field("\",\"host\":\"", request.host());
    field(",\"method\":\"", request.methodText());
    field(",\"uri\":\"", request.target());
    line.append(",\"proto\":\"");
    line.append(request.methodText().isEmpty() ? QByteArray() : protoOf(request));
    line.append("\",\"status\":");
    line.append(QByteArray::number(status));
    line.append(",\"size\":");
    line.append(QByteArray::number(bytes));
    char duration[32];
    std::snprintf(duration, sizeof duration, ",\"duration\":%.6f", double(elapsed.count()) / 1e9);
    line.append(duration);
    field(",\"user_agent\":\"", request.field(http::Field::UserAgent));
    field(",\"referer\":\"", request.field(http::Field::Referer));
    line.append("}\n");
}

} // namespace

AccessLog::AccessLog()
    : m_isJournal(system::LogText::isStderrTheJournal())
    , m_isToJournal(m_isJournal) {
    m_thread = std::thread([this] {
        sigset_t all; // signals belong to the main thread
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        run();
    });
}

AccessLog::~AccessLog() {
    {
        std::lock_guard lock(m_mutex);
        m_isStopping = true;
    }
    m_wake.notify_all();
    m_thread.join();
    if (m_fd > 2)
        ::close(m_fd);
}

Result<AccessLog::Format> AccessLog::parseFormat(const QString &name) {
    if (name.isEmpty() || name == QLatin1String("off"))
        return Format::Off;
    if (name == QLatin1String("common"))
        return Format::Common;
    if (name == QLatin1String("combined"))
        return Format::Combined;
    if (name == QLatin1String("json"))
        return Format::Json;
    return Error::invalid(QStringLiteral("'log.access' is off, common, combined or json, not '%1'.")
                              .arg(name.left(40)));
}

Status AccessLog::checkDestination(const QString &path) {
    if (path.isEmpty())
        return {};
    if (!path.startsWith(u'/'))
        return Error::invalid(QStringLiteral("'log.access_file' must be an absolute path (or "
                                             "empty for standard error), not '%1'.")
                                  .arg(path.left(200)));
    // Opened once, so that a path that cannot work is refused now, with the reason. Only a
    // new file, or one as private as those fazt makes (0600), is taken: the setting must not
    // let whoever holds an admin token append lines to someone else's file (or, through a
    // link, to anything).
    const QByteArray name = QFile::encodeName(path);
    struct stat before {};
    const bool existed = ::lstat(name.constData(), &before) == 0;
    const int fd = ::open(name.constData(),
                          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
    if (fd < 0)
        return Error::invalid(
            QStringLiteral("Cannot open the access log %1: %2.")
                .arg(path.left(200), QString::fromLocal8Bit(std::strerror(errno))));
    struct stat info {};
    const bool isPrivateFile =
        ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && (!existed || (info.st_mode & 077) == 0);
    ::close(fd);
    if (!isPrivateFile)
        return Error::invalid(QStringLiteral("%1 is not a file fazt would write its access log to: "
                                             "it exists and is not a private regular file (mode "
                                             "0600). Choose a new path.")
                                  .arg(path.left(200)));
    return {};
}

Status AccessLog::setDestination(const QString &path) {
    if (Status s = checkDestination(path); !s)
        return s;
    std::lock_guard lock(m_mutex);
    m_path = path;
    m_isToJournal = m_isJournal && path.isEmpty();
    m_wake.notify_all(); // the writer opens it
    return {};
}

void AccessLog::record(const Request &request, const QHostAddress &peer, int status,
                       qint64 bytes, std::chrono::nanoseconds elapsed) {
    const Format format = m_format.load(std::memory_order_relaxed);
    if (format == Format::Off)
        return;
    timespec now{};
    clock_gettime(CLOCK_REALTIME, &now);
    const Clock &clock = clockAt(now.tv_sec);
    bool isV4 = false; // an IPv4 client on a dual-stack socket is shown as 1.2.3.4
    const quint32 v4 = peer.toIPv4Address(&isV4);
    const QByteArray address = (isV4 ? QHostAddress(v4) : peer).toString().toLatin1();
    QByteArray line;
    line.reserve(256);
    if (m_isToJournal.load(std::memory_order_relaxed))
        line.append("<6>");
    if (format == Format::Json)
        appendJson(line, request, address, clock, now.tv_nsec / 1'000'000, status, bytes, elapsed);
    else
        appendCommon(line, request, address, clock, status, bytes, format == Format::Combined);
    bool isDue = false;
    {
        std::lock_guard lock(m_mutex);
        if (m_pending.size() + line.size() > MaxPendingBytes) {
            m_dropped.fetch_add(1, std::memory_order_relaxed);
            return;
        }
        m_pending.append(line);
        ++m_recorded;
        isDue = m_pending.size() >= WriteAtBytes;
    }
    if (isDue)
        m_wake.notify_one();
}

void AccessLog::flush() {
    std::unique_lock lock(m_mutex);
    const quint64 target = m_recorded;
    m_isFlushRequested = true;
    m_wake.notify_all();
    m_written.wait(lock, [&] { return m_flushed >= target || m_isStopping; });
}

void AccessLog::run() {
    std::unique_lock lock(m_mutex);
    QString openPath; // the path m_fd is open on (empty: stderr)
    auto lastCheck = std::chrono::steady_clock::now();
    for (;;) {
        m_wake.wait_for(lock, WriteInterval, [this] {
            return m_isStopping || m_isFlushRequested || m_pending.size() >= WriteAtBytes;
        });
        m_isFlushRequested = false;
        const QByteArray lines = std::exchange(m_pending, QByteArray());
        const quint64 recorded = m_recorded;
        const QString path = m_path;
        const bool isStopping = m_isStopping;
        lock.unlock();
        const auto now = std::chrono::steady_clock::now();
        if (path != openPath) {
            if (m_fd > 2)
                ::close(m_fd);
            m_fd = 2;
            openPath = path;
            reopenIfMoved();
        } else if (now - lastCheck > std::chrono::seconds(1)) {
            lastCheck = now;
            reopenIfMoved();
        }
        if (!lines.isEmpty())
            writeOut(lines);
        lock.lock();
        m_flushed = recorded;
        m_written.notify_all();
        if (isStopping && m_pending.isEmpty())
            return;
    }
}

// The writer's file is the one at m_path (logrotate may have moved it away): reopen if not.
void AccessLog::reopenIfMoved() {
    QString path;
    {
        std::lock_guard lock(m_mutex);
        path = m_path;
    }
    if (path.isEmpty())
        return;
    const QByteArray name = QFile::encodeName(path);
    struct stat atPath {};
    struct stat open {};
    if (m_fd > 2 && ::stat(name.constData(), &atPath) == 0 && ::fstat(m_fd, &open) == 0 &&
        atPath.st_dev == open.st_dev && atPath.st_ino == open.st_ino)
        return;
    const int fd = ::open(name.constData(),
                          O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY | O_NOFOLLOW, 0600);
    if (fd < 0) {
        qWarning("fazt: cannot open the access log %s: %s", name.constData(), std::strerror(errno));
        return; // the old descriptor (or stderr) goes on
    }
    if (m_fd > 2)
        ::close(m_fd);
    m_fd = fd;
}

// A file takes the whole buffer in one write (O_APPEND: never interleaved). Standard error
// is shared with the server's own log lines: there each write is whole lines of at most
// PIPE_BUF bytes, which a pipe or the journal's stream keeps in one piece.
void AccessLog::writeOut(const QByteArray &lines) {
    const char *data = lines.constData();
    const char *const end = data + lines.size();
    while (data < end) {
        qsizetype size = end - data;
        if (m_fd == 2 && size > PIPE_BUF) {
            const QByteArrayView window(data, PIPE_BUF);
            const qsizetype lastNewline = window.lastIndexOf('\n');
            size = lastNewline >= 0 ? lastNewline + 1 : PIPE_BUF;
        }
        const ssize_t n = ::write(m_fd, data, size_t(size));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            if (!m_isFailing) // said once, until a write succeeds again
                qWarning("fazt: writing the access log failed: %s", std::strerror(errno));
            m_isFailing = true;
            return;
        }
        data += n;
    }
    m_isFailing = false;
}

} // namespace fazt::http
