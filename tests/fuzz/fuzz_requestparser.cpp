// libFuzzer target for parseHead() and ChunkedDecoder. Beyond "no crash, no UB" it checks
// what the parser promises: results and spans stay inside the input, and feeding the same
// bytes whole, byte by byte or in arbitrary pieces gives the same verdict and the same head.

#include "http/requestparser.h"

#include <algorithm>
#include <cstddef>
#include <cstdint>

using namespace fazt::http;

namespace {

void require(bool condition) {
    if (!condition)
        __builtin_trap();
}

bool isInside(Span span, qsizetype size) {
    return qsizetype(span.offset) + qsizetype(span.length) <= size;
}

bool operator==(Span a, Span b) {
    return a.offset == b.offset && a.length == b.length;
}

bool isSameHead(const RequestHead &a, const RequestHead &b) {
    if (a.fields.size() != b.fields.size())
        return false;
    for (qsizetype i = 0; i < a.fields.size(); ++i) {
        if (!(a.fields[i].name == b.fields[i].name) || !(a.fields[i].value == b.fields[i].value))
            return false;
    }
    return a.method == b.method && a.methodText == b.methodText && a.target == b.target &&
           a.path == b.path && a.query == b.query && a.minorVersion == b.minorVersion &&
           a.host == b.host && a.contentLength == b.contentLength && a.isChunked == b.isChunked &&
           a.keepAlive == b.keepAlive && a.expectsContinue == b.expectsContinue;
}

bool isSameResult(const HeadResult &a, const HeadResult &b) {
    return a.status == b.status && a.length == b.length && a.httpStatus == b.httpStatus;
}

void checkResult(const HeadResult &result, const RequestHead &head, const HeadLimits &limits,
                 QByteArrayView data) {
    require(result.length >= 0 && result.length <= data.size());
    switch (result.status) {
    case HeadResult::Status::Incomplete:
        require(result.httpStatus == 0 && !result.reason);
        return;
    case HeadResult::Status::Invalid:
        require(result.httpStatus >= 400 && result.httpStatus < 600 && result.reason);
        return;
    case HeadResult::Status::Complete:
        break;
    }
    const qsizetype length = result.length;
    require(length <= limits.maxHeadBytes && data.first(length).endsWith("\r\n\r\n"));
    require(head.fields.size() <= limits.maxHeaders);
    for (const RequestHead::Field &field : head.fields)
        require(isInside(field.name, length) && !field.name.isEmpty() &&
                isInside(field.value, length));
    for (const Span span : {head.methodText, head.target, head.path, head.query, head.host})
        require(isInside(span, length));
    require(!head.methodText.isEmpty() && !head.target.isEmpty());
    require(head.minorVersion == 0 || head.minorVersion == 1);
    require(head.contentLength >= -1 && head.contentLength <= (qint64(1) << 62));
    require(!(head.isChunked && head.contentLength >= 0));
    require(!(head.isChunked && head.minorVersion == 0));
    for (const char c : head.target.in(data))
        require(c > 0x20 && c < 0x7F);
    // The index of known fields answers what a scan by name answers.
    for (int known = 0; known < int(Field::Count); ++known) {
        const QByteArrayView indexed = head.field(data, Field(known));
        const QByteArrayView scanned = head.field(data, nameOf(Field(known)));
        require(indexed.isNull() == scanned.isNull() && indexed.data() == scanned.data() &&
                indexed.size() == scanned.size());
    }
}

// Feeds data in growing prefixes: byte by byte for the first `byteSteps` bytes, then in steps
// drawn from `seed`, so a line or a CRLF is split wherever the input says.
HeadResult parseInPieces(QByteArrayView data, const HeadLimits &limits, RequestHead &head,
                         qsizetype byteSteps, quint32 seed) {
    qsizetype scanned = 0;
    qsizetype fed = 0;
    HeadResult result;
    do {
        if (fed < byteSteps) {
            ++fed;
        } else {
            seed = seed * 1103515245u + 12345u;
            fed += 1 + (seed >> 16) % 97;
        }
        fed = std::min(fed, data.size());
        result = parseHead(data.first(fed), limits, head, scanned);
        checkResult(result, head, limits, data.first(fed));
    } while (result.status == HeadResult::Status::Incomplete && fed < data.size());
    return result;
}

// What decoding a body gave: its final status, the bytes consumed, and the decoded bytes as a
// checksum and size.
struct Decoded {
    ChunkedDecoder::Status status = ChunkedDecoder::Status::NeedMore;
    qsizetype consumed = 0;
    quint64 checksum = 0;
    qsizetype size = 0;
};

// Decodes `body` handing the decoder at most `step` bytes at a time.
Decoded decodeInPieces(QByteArrayView body, qsizetype step) {
    ChunkedDecoder decoder;
    Decoded decoded;
    qsizetype offset = 0;
    while (offset < body.size() && decoded.status == ChunkedDecoder::Status::NeedMore) {
        const QByteArrayView available =
            body.sliced(offset).first(std::min(step, body.size() - offset));
        QByteArrayView piece = available;
        while (!piece.isEmpty() && decoded.status == ChunkedDecoder::Status::NeedMore) {
            const ChunkedDecoder::Step result = decoder.feed(piece);
            require(result.consumed >= 0 && result.consumed <= piece.size());
            if (!result.data.isEmpty()) {
                require(result.status != ChunkedDecoder::Status::Invalid);
                require(result.data.data() >= piece.data() &&
                        result.data.data() + result.data.size() <= piece.data() + result.consumed);
            }
            require(result.status != ChunkedDecoder::Status::NeedMore || result.consumed > 0);
            for (const char c : result.data)
                decoded.checksum = decoded.checksum * 131 + static_cast<uchar>(c);
            decoded.size += result.data.size();
            decoded.consumed += result.consumed;
            decoded.status = result.status;
            piece = piece.sliced(result.consumed);
        }
        offset += available.size() - piece.size();
        if (!piece.isEmpty())
            break;
    }
    require(decoded.consumed <= body.size());
    if (decoded.status == ChunkedDecoder::Status::Done) {
        require(decoder.isDone());
        require(decoder.feed(body.sliced(decoded.consumed)).consumed == 0);
    }
    if (decoded.status == ChunkedDecoder::Status::Invalid)
        require(decoder.error() != nullptr);
    return decoded;
}

// Body bytes before an error are handed out only by the calls that returned before it, so
// with Invalid how many were seen depends on the split; status and bytes consumed do not.
bool isSameDecoding(const Decoded &a, const Decoded &b) {
    if (a.status != b.status || a.consumed != b.consumed)
        return false;
    return a.status == ChunkedDecoder::Status::Invalid ||
           (a.checksum == b.checksum && a.size == b.size);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *bytes, std::size_t size) {
    const QByteArrayView data(bytes, qsizetype(size));
    const quint32 seed = size > 0 ? bytes[0] : 0;
    // The defaults, and limits small enough for the fuzzer to reach every boundary.
    for (const HeadLimits &limits : {HeadLimits{}, HeadLimits{40, 200, 4}}) {
        RequestHead whole;
        qsizetype scanned = 0;
        const HeadResult result = parseHead(data, limits, whole, scanned);
        checkResult(result, whole, limits, data);

        RequestHead byteByByte;
        const HeadResult trickled = parseInPieces(data, limits, byteByByte, 4096, seed);
        require(isSameResult(result, trickled));
        RequestHead pieces;
        const HeadResult split = parseInPieces(data, limits, pieces, seed % 8, seed);
        require(isSameResult(result, split));
        if (result.status != HeadResult::Status::Complete)
            continue;
        require(isSameHead(whole, byteByByte) && isSameHead(whole, pieces));

        if (!whole.isChunked)
            continue;
        const QByteArrayView body = data.sliced(result.length);
        const Decoded oneShot = decodeInPieces(body, body.size() + 1);
        require(isSameDecoding(oneShot, decodeInPieces(body, 1)));
        require(isSameDecoding(oneShot, decodeInPieces(body, 1 + seed % 13)));
    }
    return 0;
}
