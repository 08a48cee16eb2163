#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <chrono>
#include <cstdint>

namespace fazt::hosting::functions {

// The framing between the server and a function worker, over one end of a socketpair each.
//
// A frame is a 4-byte little-endian length (of what follows), a 1-byte Message and the fields,
// each field a 4-byte length and its bytes, or a fixed-size integer. Both sides read with
// bounds: a frame longer than MaxFrameBytes or a field that runs past its frame is malformed.
// The server treats the worker as hostile (its scripts may have broken the engine), so a
// malformed frame from a worker ends that worker; nothing a worker sends is trusted further
// than the checks the server makes on an answer from any script.
enum class Message : std::uint8_t {
    // server -> worker
    Run = 1,    // one invocation: bundle key, method, path, query, header lines, body, client
    Bundle = 2, // a site's code and variables, sent when the worker asks for it
    Reply = 3,  // the answer to a Call: ok flag and fields
    // worker -> server
    Ready = 16,      // the worker is up (sandboxed); its baseline address space
    NeedBundle = 17, // the worker has no engine for this bundle key
    Call = 18,       // fazt.kv.*, fazt.fetch: a request the server carries out
    Log = 19,        // one line of fazt.log / console
    Answer = 20,     // the invocation's response: status, content type, headers, body
    Failed = 21,     // the invocation ended without a response: reason and message
};

enum class CallKind : std::uint8_t { KvGet = 1, KvSet, KvDelete, KvList, Fetch };
enum class FailReason : std::uint8_t { Script = 1, Interrupted, Memory };

// Requests are at most 1 MiB, responses 8 MiB and a deploy's sources 8 MiB: the frame bound
// sits above all of them with room for the fields around them.
constexpr qsizetype MaxFrameBytes = 24 << 20;

class FrameWriter {
public:
    explicit FrameWriter(Message message);
    FrameWriter &u8(std::uint8_t value);
    FrameWriter &u32(std::uint32_t value);
    FrameWriter &i64(std::int64_t value);
    FrameWriter &bytes(QByteArrayView value);
    // The frame, its length filled in.
    const QByteArray &finish();

private:
    QByteArray m_frame;
};

// Reads one frame's fields in order; any read past the end sets isValid() to false and returns
// zero or an empty view, so a caller checks once at the end.
class FrameReader {
public:
    FrameReader() = default;
    FrameReader(Message message, QByteArrayView payload)
        : m_message(message)
        , m_payload(payload) {}
    Message message() const { return m_message; }
    std::uint8_t u8();
    std::uint32_t u32();
    std::int64_t i64();
    QByteArrayView bytes();
    bool isValid() const { return m_isValid; }
    QByteArrayView payload() const { return m_payload; }
    bool atEnd() const { return m_offset == m_payload.size(); }

private:
    bool take(qsizetype size);
    Message m_message = Message::Run;
    QByteArrayView m_payload;
    qsizetype m_offset = 0;
    bool m_isValid = true;
};

// One end of the socketpair: frames out, frames in, with an optional deadline. The server's
// end is non-blocking (a worker that stops reading cannot hold a server thread past its
// deadline); the worker's is blocking.
class Channel {
public:
    enum class Outcome { Ok, TimedOut, Closed, Malformed };

    explicit Channel(int fd = -1)
        : m_fd(fd) {}
    int fd() const { return m_fd; }
    void reset(int fd);

    // deadlineMs: a steady clock time in ms, or -1 for none.
    Outcome send(QByteArrayView frame, std::int64_t deadlineMs);
    // The next frame; the reader's views stay valid until the next receive(). With a spin,
    // a frame that is not there yet is looked for again, yielding the core, for up to that
    // long before the thread sleeps: an answer that comes within microseconds then costs no
    // wake-up (on a busy machine most do).
    Outcome receive(FrameReader &reader, std::int64_t deadlineMs,
                    std::chrono::microseconds spin = {});

private:
    bool waitFor(short events, std::int64_t deadlineMs);
    int m_fd = -1;
    // Bytes read and not yet handed out are m_buffer[m_begin, m_end). The buffer keeps its
    // size from frame to frame: no allocation, no page faults per request.
    QByteArray m_buffer;
    qsizetype m_begin = 0;
    qsizetype m_end = 0;
};

std::int64_t steadyMs();

} // namespace fazt::hosting::functions
