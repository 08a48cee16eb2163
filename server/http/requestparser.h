#pragma once

#include "http/field.h"

#include <QByteArrayView>
#include <QVarLengthArray>

#include <array>

namespace fazt::http {

// A range of bytes inside the buffer a head was parsed from (offsets, so the bytes can be
// moved or copied once and the spans stay valid against the copy).
struct Span {
    quint32 offset = 0;
    quint32 length = 0;
    QByteArrayView in(QByteArrayView buffer) const { return buffer.sliced(offset, length); }
    bool isEmpty() const { return length == 0; }
};

// The value of a hexadecimal digit, or -1.
int hexDigitValue(char c);
// A field name or method: one or more tchar (RFC 9110 §5.6.2).
bool isToken(QByteArrayView text);
// A field value a message may carry: visible characters, SP, HTAB and obs-text; no CR, LF,
// NUL or other control character.
bool isFieldValue(QByteArrayView text);

enum class Method : quint8 { Get, Head, Post, Put, Delete, Patch, Options, Other };

struct HeadLimits {
    qsizetype maxRequestLine = 8 * 1024; // request line without its CRLF: longer is 414
    qsizetype maxHeadBytes = 32 * 1024;  // request line + header fields + final CRLF: longer is 431
    int maxHeaders = 100;                // more fields: 431
};

// The request line and header fields of one HTTP/1.x request, validated. Spans point into
// the buffer given to parseHead(). The members are meaningful once parseHead() returned
// Complete; while it returns Incomplete they hold the lines parsed so far.
struct RequestHead {
    struct Field {
        Span name;
        Span value; // without surrounding whitespace
    };

    Method method = Method::Other;
    Span methodText;
    Span target;          // as sent: origin-form "/a/b?x", absolute-form "http://h/a", or "*"
    Span path;            // target up to '?' (still percent-encoded); for an absolute-form target
                          // its path part, empty if it has none (which means "/"); "*" for "*"
    Span query;           // after '?', without it; empty if none
    int minorVersion = 1; // HTTP/1.<minorVersion>: 0 or 1
    QVarLengthArray<Field, 24> fields;

    // Derived from the fields:
    Span host;                 // the Host field (or the authority of an absolute-form target)
    qint64 contentLength = -1; // -1: no Content-Length
    bool isChunked = false;    // Transfer-Encoding: chunked
    bool keepAlive = true;     // HTTP/1.1 unless "Connection: close"; HTTP/1.0 only with keep-alive
    bool expectsContinue = false; // Expect: 100-continue (ignored on HTTP/1.0, RFC 9110 §10.1.1)

    // The value of the first field named `name` (case-insensitive), or a null view if absent.
    QByteArrayView field(QByteArrayView buffer, QByteArrayView name) const;
    // The same for a known field, without a scan.
    QByteArrayView field(QByteArrayView buffer, http::Field known) const {
        const quint16 at = m_known[size_t(known)];
        return at == 0 ? QByteArrayView() : fields[at - 1].value.in(buffer);
    }
    bool hasBody() const { return isChunked || contentLength > 0; }

private:
    friend class HeadParser; // parseHead()'s implementation

    // Where parseHead() left off: lines before m_lineStart are parsed into the members above.
    // m_scanned is the `scanned` it handed out, so a head passed back out of step (or one that
    // is finished) is parsed again from the start instead of being trusted.
    qsizetype m_scanned = -1;
    quint32 m_lineStart = 0;
    bool m_hasHostField = false;
    bool m_hasHostFromTarget = false;
    bool m_hasConnectionClose = false;
    // Notes the field line just appended to `fields` if `name` is a known field's first line.
    void indexKnownField(QByteArrayView name) {
        const http::Field known = fieldOf(name);
        if (known != http::Field::Count && m_known[size_t(known)] == 0 && fields.size() <= 0xffff)
            m_known[size_t(known)] = quint16(fields.size());
    }
    // For each known field, 1 + the index in `fields` of its first line; 0 if absent.
    std::array<quint16, size_t(http::Field::Count)> m_known{};
};

struct HeadResult {
    enum class Status { Incomplete, Complete, Invalid };
    Status status = Status::Incomplete;
    qsizetype length = 0;         // Complete: bytes of the head including the final CRLFCRLF
    int httpStatus = 0;           // Invalid: 400, 414, 417, 431, 501 or 505
    const char *reason = nullptr; // Invalid: a sentence for the error page (static storage)
};

// Parses a request head from the start of `data`. Call again with more data (the same bytes
// followed by new ones) while the result is Incomplete, passing back the same `head` and the
// same `scanned` (start it at 0 for each request): every line is parsed once, when its CRLF
// arrives, and the search resumes where it stopped, so a head that arrives byte by byte costs
// O(n), not O(n²). Errors and limits are reported as soon as the offending bytes are buffered,
// not only once the head is complete; the first offending line decides the status.
// Strict: CRLF line endings only (bare CR or LF: 400), no obs-fold, no whitespace before ':',
// tokens per RFC 9110, Host required on HTTP/1.1 and unique, Content-Length digits only and
// unique, Transfer-Encoding only "chunked" (else 501) and never together with Content-Length
// or on HTTP/1.0, Expect only "100-continue" (else 417). No leading empty lines are skipped.
HeadResult parseHead(QByteArrayView data, const HeadLimits &limits, RequestHead &head,
                     qsizetype &scanned);

// Decodes a chunked request body incrementally (RFC 9112 §7.1). Extensions are ignored,
// trailers are read and dropped; every line has a length limit (4096 bytes) and the trailer
// section as a whole one of 8 KiB. The caller limits the total body size.
class ChunkedDecoder {
public:
    enum class Status { NeedMore, Done, Invalid };
    struct Step {
        Status status = Status::NeedMore;
        qsizetype consumed = 0; // bytes of the input used (never more than its size)
        QByteArrayView data;    // body bytes decoded in this step (a view into the input)
    };

    // Consumes a prefix of `input`. Returns at most one contiguous piece of body data per
    // call (with NeedMore, or with Done when the last piece and the end of the body arrive
    // together; never with Invalid); call again with the rest of the input while
    // consumed < input.size() and the status is NeedMore. Once Done, consumes nothing: bytes
    // after the body's final CRLF belong to the next request.
    Step feed(QByteArrayView input);
    bool isDone() const { return m_state == State::Done; }
    const char *error() const { return m_error; }

private:
    enum class State {
        Size,
        SizeWhitespace, // BWS between the size and ';'
        Extension,
        SizeLf,
        Data,
        DataCr,
        DataLf,
        Trailer,
        TrailerLf,
        Done,
        Invalid
    };
    Step fail(qsizetype consumed, const char *error);
    // One byte outside chunk data: nullptr, or what is wrong with it.
    const char *takeByte(char c);
    const char *takeSizeLineByte(char c);
    const char *takeTrailerByte(char c);

    State m_state = State::Size;
    quint64 m_remaining = 0;
    int m_lineLength = 0;
    int m_sizeDigits = 0;
    int m_trailerBytes = 0;
    bool m_isTrailerLineEmpty = true;
    const char *m_error = nullptr;
};

} // namespace fazt::http
