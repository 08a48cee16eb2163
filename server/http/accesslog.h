#pragma once

#include "result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QHostAddress>
#include <QString>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

namespace fazt::http {

class Request;

// The access log: one line per response, off unless asked for (config `log.access`).
//
//   common    127.0.0.1 - - [06/Dec/2026:16:30:00 +0000] "GET /a HTTP/1.1" 200 512
//   combined  the same, then "referer" "user agent" (what goaccess and friends read)
//   json      {"time":"2026-12-06T16:30:00.123Z","remote_ip":"127.0.0.1","host":"blog.example.com",
//              "method":"GET","uri":"/a","proto":"HTTP/1.1","status":200,"size":512,
//              "duration":0.000142,"user_agent":"curl/7.88.1","referer":""}
//
// A worker loop never writes to the file: it formats its line into a buffer in RAM (a mutex
// held for a memcpy) and a thread of the log's own writes the buffer out every 200 ms or
// once 64 KiB wait. Past 4 MiB waiting (a stalled disk or journal) lines are dropped, and
// counted, rather than the server slowing down. Off, the request path pays one relaxed
// atomic load. Bytes a client chose (target, host, headers) are escaped for the format:
// quotes and backslashes, control characters, and bytes that are not UTF-8, so a hostile
// request can neither end a line nor forge a field.
class AccessLog {
public:
    enum class Format { Off, Common, Combined, Json };

    AccessLog();
    // Writes out what is waiting, then stops the writer.
    ~AccessLog();
    AccessLog(const AccessLog &) = delete;
    AccessLog &operator=(const AccessLog &) = delete;

    // "off", "common", "combined" or "json"; anything else is an error.
    static Result<Format> parseFormat(const QString &name);
    // Where lines go: empty for standard error (the journal under systemd: each line then
    // starts with "<6>"), else a file opened for appending (created 0600). A file that is
    // moved away (logrotate) is reopened at its path within a second.
    Status setDestination(const QString &path);
    // Whether setDestination(path) would work (the file is created if missing).
    static Status checkDestination(const QString &path);
    void setFormat(Format format) { m_format.store(format, std::memory_order_relaxed); }
    bool isOn() const { return m_format.load(std::memory_order_relaxed) != Format::Off; }

    // One response, from a worker thread. `request` may be empty (a head that could not be
    // parsed). `status` is the response's, `bodyBytes` the size of the body sent.
    void record(const Request &request, const QHostAddress &peer, int status, qint64 bodyBytes,
                std::chrono::nanoseconds elapsed);

    // Lines dropped because the writer fell behind.
    quint64 dropped() const { return m_dropped.load(std::memory_order_relaxed); }
    // Blocks until everything recorded so far is written (tests, shutdown).
    void flush();

private:
    void run();
    void writeOut(const QByteArray &lines);
    void reopenIfMoved();

    std::atomic<Format> m_format{Format::Off};
    std::atomic<quint64> m_dropped{0};
    std::mutex m_mutex; // guards everything below
    std::condition_variable m_wake;
    std::condition_variable m_written;
    QByteArray m_pending;
    quint64 m_recorded = 0; // lines appended to m_pending, ever
    quint64 m_flushed = 0;  // of those, written out
    bool m_isStopping = false;
    bool m_isFlushRequested = false;
    QString m_path; // empty: stderr
    // The writer thread's own:
    int m_fd = 2;
    bool m_isFailing = false;
    const bool m_isJournal; // stderr is the journal
    std::atomic<bool> m_isToJournal;
    std::thread m_thread;
};

} // namespace fazt::http
