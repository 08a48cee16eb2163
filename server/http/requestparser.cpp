// The request head parser and chunked body decoder: the first code every client byte meets,
// so it is strict (anything ambiguous is refused, which is what defeats request smuggling)
// and cheap (no allocation for up to 24 fields, each byte looked at a bounded number of times).

#include "http/requestparser.h"

#include <algorithm>
#include <array>
#include <bit>
#include <cstring>
#include <limits>
#include <string_view>
#include <utility>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

namespace fazt::http {
namespace {

// One table lookup per byte classifies it for every rule below.
enum CharClass : quint8 {
    TokenChar = 1,      // tchar (RFC 9110 §5.6.2)
    FieldValueChar = 2, // field-vchar, SP or HTAB; obs-text (0x80-0xFF) included
    HostChar = 4,       // reg-name, IP-literal and port characters (RFC 3986 §3.2.2)
};

constexpr std::array<quint8, 256> makeCharClasses() {
    constexpr std::string_view tokenPunctuation = "!#$%&'*+-.^_`|~";
    constexpr std::string_view hostPunctuation = "-._~!$&'()*+,;=:[]%";
    std::array<quint8, 256> classes{};
    for (int c = 0; c < 256; ++c) {
        const char ch = static_cast<char>(c);
        const bool isAlnum =
            (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
        quint8 cls = 0;
        if (isAlnum || (c < 0x80 && tokenPunctuation.find(ch) != std::string_view::npos))
            cls |= TokenChar;
        if (c == '\t' || (c >= 0x20 && c != 0x7F))
            cls |= FieldValueChar;
        if (isAlnum || (c < 0x80 && hostPunctuation.find(ch) != std::string_view::npos))
            cls |= HostChar;
        classes[c] = cls;
    }
    return classes;
}

constexpr std::array<quint8, 256> kCharClasses = makeCharClasses();

bool is(char c, CharClass cls) {
    return kCharClasses[static_cast<uchar>(c)] & cls;
}

bool isOws(char c) {
    return c == ' ' || c == '\t';
}

char toLowerAscii(char c) {
    return c >= 'A' && c <= 'Z' ? static_cast<char>(c + ('a' - 'A')) : c;
}

bool equalsIgnoringCase(QByteArrayView a, QByteArrayView b) {
    return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
               return toLowerAscii(x) == toLowerAscii(y);
           });
}

// The same against a lowercase literal (whose length the compiler knows).
bool equalsLowercase(QByteArrayView text, std::string_view lowercase) {
    return text.size() == qsizetype(lowercase.size()) &&
           std::equal(lowercase.begin(), lowercase.end(), text.begin(),
                      [](char lower, char c) { return lower == toLowerAscii(c); });
}

// What checkBytes() looks for.
enum class Screen {
    FieldValue, // bytes 0x00-0x1F and DEL: never in a field value, except HTAB
    Target,     // bytes outside 0x21-0x7E, and the '?' that starts a query
};

#ifdef __SSE2__
// SSE2 (every x86-64 CPU has it) screens the bulk of a head 16 bytes at a time: a mask of the
// bytes of a block that need a closer look. Compares are signed, so obs-text (0x80-0xFF) is
// negative: below 0x20 but not a control character.
unsigned suspectBytes(Screen screen, const char *block) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i *>(block));
    const __m128i del = _mm_cmpeq_epi8(bytes, _mm_set1_epi8(0x7F));
    __m128i suspect;
    if (screen == Screen::FieldValue) {
        const __m128i control = _mm_and_si128(_mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20)),
                                              _mm_cmpgt_epi8(bytes, _mm_set1_epi8(-1)));
        suspect = _mm_or_si128(control, del);
    } else {
        const __m128i invisible = _mm_or_si128(_mm_cmplt_epi8(bytes, _mm_set1_epi8(0x21)), del);
        suspect = _mm_or_si128(invisible, _mm_cmpeq_epi8(bytes, _mm_set1_epi8('?')));
    }
    return static_cast<unsigned>(_mm_movemask_epi8(suspect));
}
#endif

// Calls `check(at)` for each byte of buffer[begin, end) in order, or with SSE2 only for those
// the screen flags, and stops at the first false. A tail shorter than a block is screened as
// the 16 bytes that end at `end` (in the buffer whenever end >= 16: bytes before `begin`, of
// the line or an earlier one), ignoring the flags of those before the tail.
template <typename Check>
bool checkBytes(const char *buffer, qsizetype begin, qsizetype end, Screen screen, Check check) {
    qsizetype at = begin;
#ifdef __SSE2__
    const auto checkFlagged = [&](qsizetype blockStart, unsigned flagged) {
        for (; flagged != 0; flagged &= flagged - 1) {
            if (!check(blockStart + std::countr_zero(flagged)))
                return false;
        }
        return true;
    };
    for (; end - at >= 16; at += 16) {
        if (!checkFlagged(at, suspectBytes(screen, buffer + at)))
            return false;
    }
    if (at < end && end >= 16) {
        const qsizetype blockStart = end - 16;
        return checkFlagged(blockStart, suspectBytes(screen, buffer + blockStart) &
                                            (0xFFFFu << (at - blockStart)));
    }
#else
    Q_UNUSED(buffer);
    Q_UNUSED(screen);
#endif
    for (; at < end; ++at) {
        if (!check(at))
            return false;
    }
    return true;
}

// True if every byte of buffer[begin, end) may appear in a field value.
bool isFieldValue(const char *buffer, qsizetype begin, qsizetype end) {
    return checkBytes(buffer, begin, end, Screen::FieldValue,
                      [buffer](qsizetype at) { return is(buffer[at], FieldValueChar); });
}

// Where the query of the target buffer[begin, end) starts ('?'), -1 if it has none, or -2 if
// the target has a byte outside 0x21-0x7E.
qsizetype findQueryInTarget(const char *buffer, qsizetype begin, qsizetype end) {
    qsizetype question = -1;
    const bool isVisible =
        checkBytes(buffer, begin, end, Screen::Target, [buffer, &question](qsizetype at) {
            const auto c = static_cast<uchar>(buffer[at]);
            if (c == '?' && question < 0)
                question = at;
            return c >= 0x21 && c <= 0x7E;
        });
    return isVisible ? question : -2;
}

bool isHost(QByteArrayView text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return is(c, HostChar); });
}

Span spanOf(qsizetype begin, qsizetype end) {
    return {static_cast<quint32>(begin), static_cast<quint32>(end - begin)};
}

Method methodFromText(QByteArrayView text) {
    switch (text.size()) {
    case 3:
        if (text == "GET")
            return Method::Get;
        if (text == "PUT")
            return Method::Put;
        break;
    case 4:
        if (text == "HEAD")
            return Method::Head;
        if (text == "POST")
            return Method::Post;
        break;
    case 5:
        if (text == "PATCH")
            return Method::Patch;
        break;
    case 6:
        if (text == "DELETE")
            return Method::Delete;
        break;
    case 7:
        if (text == "OPTIONS")
            return Method::Options;
        break;
    }
    return Method::Other;
}

// The largest Content-Length accepted: far beyond any body, and leaves headroom for sums.
constexpr qint64 kMaxContentLength = qint64(1) << 62;
// Spans hold 32-bit offsets; a head never gets near this, but limits are configuration.
constexpr qsizetype kMaxSpanOffset = std::numeric_limits<quint32>::max();

// The part of an absolute-form target after "http://" or "https://" (scheme case-insensitive),
// or -1 if it has neither prefix.
qsizetype authorityStart(QByteArrayView target) {
    for (const std::string_view scheme :
         {std::string_view("http://"), std::string_view("https://")}) {
        const auto size = qsizetype(scheme.size());
        if (target.size() > size && equalsLowercase(target.first(size), scheme))
            return size;
    }
    return -1;
}

// Calls `handle` with each element of a comma-separated list, OWS trimmed; empty elements
// (allowed by RFC 9110 §5.6.1) are skipped.
template <typename Handler> void forEachListElement(QByteArrayView list, Handler handle) {
    while (!list.isEmpty()) {
        const auto comma = std::find(list.begin(), list.end(), ',');
        QByteArrayView element(list.begin(), comma);
        list = comma == list.end() ? QByteArrayView() : QByteArrayView(comma + 1, list.end());
        while (!element.isEmpty() && isOws(element.front()))
            element = element.sliced(1);
        while (!element.isEmpty() && isOws(element.back()))
            element.chop(1);
        if (!element.isEmpty())
            handle(element);
    }
}

// What is wrong with a line; httpStatus 0 means nothing.
struct Problem {
    int httpStatus = 0;
    const char *reason = nullptr;
    explicit operator bool() const { return httpStatus != 0; }
};

constexpr Problem kFine{};
constexpr Problem kMalformedRequestLine{400, "Malformed request line"};
constexpr Problem kBothLengths{400, "Both Content-Length and Transfer-Encoding"};

} // namespace

// parseHead() itself: the one friend of RequestHead's parse state.
class HeadParser {
public:
    static HeadResult parse(QByteArrayView data, const HeadLimits &limits, RequestHead &head,
                            qsizetype &scanned);

private:
    static Problem parseRequestLine(const char *p, qsizetype end, RequestHead &head);
    static Problem parseTarget(const char *p, qsizetype begin, qsizetype end, RequestHead &head);
    static Problem parseFieldLine(const char *p, qsizetype begin, qsizetype end,
                                  const HeadLimits &limits, RequestHead &head);
    static Problem interpretField(QByteArrayView name, QByteArrayView value, Span valueSpan,
                                  RequestHead &head);
    static Problem parseHost(QByteArrayView value, Span span, RequestHead &head);
    static Problem parseContentLength(QByteArrayView value, RequestHead &head);
    static Problem parseTransferEncoding(QByteArrayView value, RequestHead &head);
    static void parseConnection(QByteArrayView value, RequestHead &head);
};

// Lines are found with memchr and each is parsed once, when its LF arrives; `scanned` is
// where the search for the next LF resumes (a line's CR is looked up behind its LF, so a
// CRLF split across calls needs no backing up). Nothing is searched beyond the limits, so a
// client can make us buffer at most maxHeadBytes.
HeadResult HeadParser::parse(QByteArrayView data, const HeadLimits &limits, RequestHead &head,
                             qsizetype &scanned) {
    if (scanned <= 0 || scanned != head.m_scanned || scanned > data.size()) {
        RequestHead fresh; // not `RequestHead()`, which would zero the inline fields first
        head = std::move(fresh);
        scanned = 0;
    }
    const auto finish = [&head](HeadResult result) {
        head.m_scanned = -1; // a finished head is parsed from the start if passed back
        return result;
    };
    const auto fail = [&finish](int httpStatus, const char *reason) {
        return finish({HeadResult::Status::Invalid, 0, httpStatus, reason});
    };

    const char *p = data.data();
    const qsizetype size = data.size();
    const qsizetype headLimit = std::clamp<qsizetype>(limits.maxHeadBytes, 0, kMaxSpanOffset);
    const qsizetype visible = std::min(size, headLimit);
    const qsizetype requestLineLimit = std::clamp<qsizetype>(limits.maxRequestLine, 0, headLimit);
    // A request line of maxRequestLine bytes has its CR at maxRequestLine and its LF one after.
    // It is known to be longer once that CR is not there, whether or not an LF follows, so
    // "too long" is decided alike however the bytes arrive. `earliestLf` is where the line's
    // LF is, or the first place it can still be.
    const auto isRequestLineTooLong = [&](qsizetype earliestLf) {
        const qsizetype crAt = requestLineLimit;
        return earliestLf > crAt + 1 || (earliestLf == crAt + 1 && p[crAt] != '\r');
    };
    qsizetype pos = scanned;
    for (;;) {
        const qsizetype lineBegin = head.m_lineStart;
        const bool isRequestLine = lineBegin == 0;
        const qsizetype searchEnd =
            isRequestLine ? std::min(visible, requestLineLimit + 2) : visible;
        const void *lf = pos < searchEnd ? std::memchr(p + pos, '\n', searchEnd - pos) : nullptr;
        const qsizetype lfAt = lf ? static_cast<const char *>(lf) - p : visible;
        if (isRequestLine && isRequestLineTooLong(lfAt))
            return fail(414, "Request line too long");
        if (!lf) {
            if (size >= headLimit)
                return fail(431, "Header section too large");
            scanned = head.m_scanned = size;
            return {};
        }
        if (lfAt == lineBegin || p[lfAt - 1] != '\r')
            return fail(400, "Line ending in LF without CR");
        const qsizetype lineEnd = lfAt - 1;
        Problem problem;
        if (isRequestLine) {
            problem = parseRequestLine(p, lineEnd, head);
        } else if (lineEnd == lineBegin) {
            if (head.minorVersion == 1 && !head.m_hasHostField)
                return fail(400, "Missing Host header");
            scanned = lfAt + 1;
            return finish({HeadResult::Status::Complete, lfAt + 1, 0, nullptr});
        } else {
            problem = parseFieldLine(p, lineBegin, lineEnd, limits, head);
        }
        if (problem)
            return fail(problem.httpStatus, problem.reason);
        head.m_lineStart = static_cast<quint32>(lfAt + 1);
        pos = lfAt + 1;
    }
}

// The request line, bytes [0, end) of the head (without its CRLF):
// method SP request-target SP HTTP-version. The version is the fixed-size tail, so it is
// checked first: an HTTP/2 preface ("PRI * HTTP/2.0") gets 505, not a 400 about its target.
Problem HeadParser::parseRequestLine(const char *p, qsizetype end, RequestHead &head) {
    constexpr qsizetype versionSize = 8; // "HTTP/1.1"
    constexpr qsizetype shortest = 1 + 1 + 1 + 1 + versionSize;
    if (end < shortest || p[end - versionSize - 1] != ' ')
        return kMalformedRequestLine;
    const char *version = p + end - versionSize;
    const auto isDigit = [](char c) { return c >= '0' && c <= '9'; };
    if (std::memcmp(version, "HTTP/", 5) != 0 || !isDigit(version[5]) || version[6] != '.' ||
        !isDigit(version[7]))
        return {400, "Malformed HTTP version"};
    if (version[5] != '1' || version[7] > '1')
        return {505, "HTTP version not supported"};
    head.minorVersion = version[7] - '0';
    head.keepAlive = head.minorVersion == 1;

    // Stops at the SP before the version at the latest: SP is no token character.
    qsizetype methodEnd = 0;
    while (is(p[methodEnd], TokenChar))
        ++methodEnd;
    if (methodEnd == 0 || p[methodEnd] != ' ')
        return {400, "Invalid method"};
    head.methodText = spanOf(0, methodEnd);
    head.method = methodFromText(QByteArrayView(p, methodEnd));

    const qsizetype targetBegin = methodEnd + 1;
    const qsizetype targetEnd = end - versionSize - 1;
    if (targetBegin >= targetEnd)
        return kMalformedRequestLine;
    return parseTarget(p, targetBegin, targetEnd, head);
}

// Target bytes [begin, end) of the request line: origin-form, "*" or absolute-form.
Problem HeadParser::parseTarget(const char *p, qsizetype begin, qsizetype end, RequestHead &head) {
    const qsizetype question = findQueryInTarget(p, begin, end);
    if (question == -2)
        return {400, "Invalid character in request target"};
    head.target = spanOf(begin, end);
    qsizetype pathBegin = begin;
    if (p[begin] == '*' && end - begin == 1) {
        if (head.method != Method::Options)
            return {400, "Target \"*\" is only allowed with OPTIONS"};
        head.path = head.target;
        return kFine;
    }
    if (p[begin] != '/') {
        const qsizetype skip = authorityStart(QByteArrayView(p + begin, end - begin));
        if (skip < 0)
            return {400, "Invalid request target"};
        const qsizetype authorityBegin = begin + skip;
        qsizetype authorityEnd = authorityBegin;
        while (authorityEnd < end && p[authorityEnd] != '/' && p[authorityEnd] != '?')
            ++authorityEnd;
        const QByteArrayView authority(p + authorityBegin, authorityEnd - authorityBegin);
        if (authority.isEmpty() || !isHost(authority))
            return {400, "Invalid host in request target"};
        head.host = spanOf(authorityBegin, authorityEnd);
        head.m_hasHostFromTarget = true;
        pathBegin = authorityEnd;
    }
    head.path = spanOf(pathBegin, question < 0 ? end : question);
    if (question >= 0)
        head.query = spanOf(question + 1, end);
    return kFine;
}

// One field line, bytes [begin, end) (not empty, without its CRLF; p[end] is the CR).
Problem HeadParser::parseFieldLine(const char *p, qsizetype begin, qsizetype end,
                                   const HeadLimits &limits, RequestHead &head) {
    if (isOws(p[begin]))
        return {400, "Obsolete line folding"};
    // Stops at the CR at the latest: CR is no token character.
    qsizetype nameEnd = begin;
    while (is(p[nameEnd], TokenChar))
        ++nameEnd;
    if (p[nameEnd] != ':') {
        if (nameEnd == end)
            return {400, "Header line without a colon"};
        if (isOws(p[nameEnd]))
            return {400, "Whitespace between header name and colon"};
        return {400, "Invalid character in header name"};
    }
    if (nameEnd == begin)
        return {400, "Empty header name"};

    qsizetype valueBegin = nameEnd + 1;
    qsizetype valueEnd = end;
    while (valueBegin < valueEnd && isOws(p[valueBegin]))
        ++valueBegin;
    while (valueEnd > valueBegin && isOws(p[valueEnd - 1]))
        --valueEnd;
    if (!isFieldValue(p, valueBegin, valueEnd))
        return {400, "Invalid character in header value"};
    if (head.fields.size() >= limits.maxHeaders)
        return {431, "Too many header fields"};

    const RequestHead::Field field{spanOf(begin, nameEnd), spanOf(valueBegin, valueEnd)};
    head.fields.append(field);
    head.indexKnownField(QByteArrayView(p + begin, nameEnd - begin));
    return interpretField(QByteArrayView(p + begin, nameEnd - begin),
                          QByteArrayView(p + valueBegin, valueEnd - valueBegin), field.value, head);
}

// The fields whose meaning the parser itself must know to frame the request.
Problem HeadParser::interpretField(QByteArrayView name, QByteArrayView value, Span valueSpan,
                                   RequestHead &head) {
    switch (name.size()) {
    case 4:
        if (equalsLowercase(name, "host"))
            return parseHost(value, valueSpan, head);
        break;
    case 6:
        if (equalsLowercase(name, "expect")) {
            if (!equalsLowercase(value, "100-continue"))
                return {417, "Unsupported Expect header (only 100-continue is)"};
            head.expectsContinue = head.minorVersion == 1;
        }
        break;
    case 10:
        if (equalsLowercase(name, "connection"))
            parseConnection(value, head);
        break;
    case 14:
        if (equalsLowercase(name, "content-length"))
            return parseContentLength(value, head);
        break;
    case 17:
        if (equalsLowercase(name, "transfer-encoding"))
            return parseTransferEncoding(value, head);
        break;
    }
    return kFine;
}

Problem HeadParser::parseHost(QByteArrayView value, Span span, RequestHead &head) {
    if (head.m_hasHostField)
        return {400, "More than one Host header"};
    if (!isHost(value))
        return {400, "Invalid Host header"};
    head.m_hasHostField = true;
    if (!head.m_hasHostFromTarget) // RFC 9112 §3.2.2: the target's authority wins
        head.host = span;
    return kFine;
}

Problem HeadParser::parseContentLength(QByteArrayView value, RequestHead &head) {
    if (head.contentLength >= 0)
        return {400, "More than one Content-Length"};
    if (head.isChunked)
        return kBothLengths;
    if (value.isEmpty())
        return {400, "Invalid Content-Length"};
    qint64 length = 0;
    for (const char c : value) {
        if (c < '0' || c > '9')
            return {400, "Invalid Content-Length"};
        const int digit = c - '0';
        if (length > (kMaxContentLength - digit) / 10)
            return {400, "Content-Length too large"};
        length = length * 10 + digit;
    }
    head.contentLength = length;
    return kFine;
}

Problem HeadParser::parseTransferEncoding(QByteArrayView value, RequestHead &head) {
    if (head.minorVersion == 0)
        return {400, "Transfer-Encoding on an HTTP/1.0 request"};
    if (head.isChunked)
        return {400, "More than one Transfer-Encoding"};
    if (head.contentLength >= 0)
        return kBothLengths;
    if (!equalsLowercase(value, "chunked"))
        return {501, "Transfer-Encoding not supported (only chunked is)"};
    head.isChunked = true;
    return kFine;
}

// Connection options decide keep-alive; "close" wins over "keep-alive" in any order.
void HeadParser::parseConnection(QByteArrayView value, RequestHead &head) {
    forEachListElement(value, [&head](QByteArrayView option) {
        if (equalsLowercase(option, "close")) {
            head.m_hasConnectionClose = true;
            head.keepAlive = false;
        } else if (equalsLowercase(option, "keep-alive") && head.minorVersion == 0 &&
                   !head.m_hasConnectionClose) {
            head.keepAlive = true;
        }
    });
}

QByteArrayView RequestHead::field(QByteArrayView buffer, QByteArrayView name) const {
    for (const Field &f : fields)
        if (f.name.length == name.size() && equalsIgnoringCase(f.name.in(buffer), name))
            return f.value.in(buffer);
    return {};
}

HeadResult parseHead(QByteArrayView data, const HeadLimits &limits, RequestHead &head,
                     qsizetype &scanned) {
    return HeadParser::parse(data, limits, head, scanned);
}

namespace {

constexpr int kMaxLineLength = 4096;   // a chunk-size line or trailer line, without CRLF
constexpr int kMaxTrailerBytes = 8192; // the whole trailer section, CRLFs included
constexpr int kMaxSizeDigits = 16;     // fills 64 bits, so the size cannot overflow

bool isControl(char c) {
    return !is(c, FieldValueChar); // control characters other than HTAB, and DEL
}

constexpr const char *kNoCrlfAfterData = "Chunk data not followed by CRLF";

} // namespace

ChunkedDecoder::Step ChunkedDecoder::fail(qsizetype consumed, const char *error) {
    m_state = State::Invalid;
    m_error = error;
    return {Status::Invalid, consumed, {}};
}

// Chunk data is handed out as a view into the input; everything else goes byte by byte
// through takeByte().
ChunkedDecoder::Step ChunkedDecoder::feed(QByteArrayView input) {
    if (m_state == State::Done)
        return {Status::Done, 0, {}};
    if (m_state == State::Invalid)
        return {Status::Invalid, 0, {}};

    QByteArrayView data;
    qsizetype pos = 0;
    while (pos < input.size()) {
        if (m_state != State::Data) {
            if (const char *error = takeByte(input[pos]))
                return fail(pos, error);
            ++pos;
            if (m_state == State::Done)
                return {Status::Done, pos, data};
            continue;
        }
        if (!data.isNull()) // one piece per call
            break;
        const auto available = static_cast<quint64>(input.size() - pos);
        const auto take = static_cast<qsizetype>(std::min(m_remaining, available));
        data = input.sliced(pos, take);
        pos += take;
        m_remaining -= static_cast<quint64>(take);
        if (m_remaining == 0)
            m_state = State::DataCr;
    }
    return {Status::NeedMore, pos, data};
}

const char *ChunkedDecoder::takeByte(char c) {
    switch (m_state) {
    case State::Size:
    case State::SizeWhitespace:
    case State::Extension:
        return takeSizeLineByte(c);
    case State::SizeLf:
        if (c != '\n')
            return "Chunk size line ending in CR without LF";
        m_lineLength = 0;
        m_sizeDigits = 0;
        m_state = m_remaining == 0 ? State::Trailer : State::Data;
        return nullptr;
    case State::DataCr:
        if (c != '\r')
            return kNoCrlfAfterData;
        m_state = State::DataLf;
        return nullptr;
    case State::DataLf:
        if (c != '\n')
            return kNoCrlfAfterData;
        m_state = State::Size;
        return nullptr;
    case State::Trailer:
    case State::TrailerLf:
        return takeTrailerByte(c);
    case State::Data:
    case State::Done:
    case State::Invalid:
        break;
    }
    Q_UNREACHABLE();
    return nullptr;
}

// chunk-size [ BWS ";" chunk-ext ] CR: the size in 1 to 16 hex digits; extensions are only
// checked for control characters.
const char *ChunkedDecoder::takeSizeLineByte(char c) {
    if (c != '\r' && ++m_lineLength > kMaxLineLength)
        return "Chunk size line too long";
    switch (m_state) {
    case State::Size:
        if (const int digit = hexDigitValue(c); digit >= 0) {
            if (m_sizeDigits == kMaxSizeDigits)
                return "Chunk size too large";
            m_remaining = (m_remaining << 4) | static_cast<quint64>(digit);
            ++m_sizeDigits;
        } else if (m_sizeDigits > 0 && c == ';') {
            m_state = State::Extension;
        } else if (m_sizeDigits > 0 && isOws(c)) {
            m_state = State::SizeWhitespace;
        } else if (m_sizeDigits > 0 && c == '\r') {
            m_state = State::SizeLf;
        } else {
            return "Invalid chunk size";
        }
        return nullptr;
    case State::SizeWhitespace:
        if (c == ';')
            m_state = State::Extension;
        else if (!isOws(c))
            return "Invalid chunk extension";
        return nullptr;
    default: // State::Extension
        if (c == '\r')
            m_state = State::SizeLf;
        else if (isControl(c))
            return "Invalid chunk extension";
        return nullptr;
    }
}

// Trailer field lines are counted and dropped; the empty line ends the body.
const char *ChunkedDecoder::takeTrailerByte(char c) {
    if (++m_trailerBytes > kMaxTrailerBytes)
        return "Trailer section too large";
    if (m_state == State::TrailerLf) {
        if (c != '\n')
            return "Trailer line ending in CR without LF";
        m_state = m_isTrailerLineEmpty ? State::Done : State::Trailer;
        m_isTrailerLineEmpty = true;
        m_lineLength = 0;
        return nullptr;
    }
    if (c == '\r') {
        m_state = State::TrailerLf;
    } else if (isControl(c)) {
        return "Invalid character in trailer";
    } else if (++m_lineLength > kMaxLineLength) {
        return "Trailer line too long";
    } else {
        m_isTrailerLineEmpty = false;
    }
    return nullptr;
}

bool isToken(QByteArrayView text) {
    return !text.isEmpty() &&
           std::all_of(text.begin(), text.end(), [](char c) { return is(c, TokenChar); });
}

bool isFieldValue(QByteArrayView text) {
    return std::all_of(text.begin(), text.end(), [](char c) { return is(c, FieldValueChar); });
}

int hexDigitValue(char c) {
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

} // namespace fazt::http
