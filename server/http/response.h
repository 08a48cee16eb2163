#pragma once

#include "http/requestparser.h"
#include "result.h"

#include <QByteArray>

#include <memory>
#include <vector>

namespace fazt::http {

// Produces a response body piece by piece, pulled by the connection when the socket can take
// more (back-pressure: a slow client never makes us hold more than a few pieces).
class BodySource {
public:
    virtual ~BodySource() = default;
    // The next piece, at most `maxBytes`; an empty array at the end.
    virtual Result<QByteArray> next(qint64 maxBytes) = 0;
};

// Whether the connection may carry another request after this response.
enum class ConnectionPolicy { KeepAlive, Close };

// A header field outside the well-known ones of Response.
struct Header {
    QByteArray name;
    QByteArray value;
};

// A complete response as data: its status, its body (`body`, shared, not copied; or `stream`)
// and its header fields, well-known ones typed, the rest in `headers`. The connection
// serialises it once, adding Server and the other standard fields, Date and Connection, and
// alone applies the rules on which responses carry no body (HEAD, 1xx, 204, 304): handlers
// build the same response for GET and HEAD.
//
// A head that was serialised ahead of time (a cached file's) travels in `preparedHead` and is
// sent as it is; the typed fields that describe it (status, contentLength, contentType) are
// still set, for the access log and the analytics.
struct Response {
    Response() = default;
    explicit Response(int statusCode)
        : status(statusCode) {}
    Response(int statusCode, QByteArray type, QByteArray content)
        : status(statusCode)
        , contentType(std::move(type))
        , body(std::move(content)) {}

    // 0 only for "no response yet" (an admin endpoint that answers later).
    int status = 0;
    // Content-Length: -1 means the size of `body`; a `stream` must set it.
    qint64 contentLength = -1;
    QByteArray contentType;
    QByteArray contentEncoding;
    QByteArray contentRange;
    QByteArray etag;          // with its quotes (and W/ if weak)
    qint64 lastModified = -1; // Unix seconds; -1: no Last-Modified
    QByteArray cacheControl;
    QByteArray vary;
    QByteArray location;
    QByteArray allow;
    int retryAfterSeconds = -1;
    std::vector<Header> headers; // in order, after the well-known ones
    QByteArray preparedHead;     // status line and fields, each ending in CRLF; see above
    QByteArray body;
    std::unique_ptr<BodySource> stream;
    ConnectionPolicy connection = ConnectionPolicy::KeepAlive;

    Response &addHeader(QByteArray name, QByteArray value) {
        headers.push_back({std::move(name), std::move(value)});
        return *this;
    }
    // The Content-Length this response declares, or -1 for none (1xx, 204, 304: RFC 9110 8.6
    // forbids it on 204, and on 304 it would state the representation's length, not this
    // empty body's).
    qint64 declaredLength() const;
    // Whether an answer with `status` to a request with `method` has a body at all.
    static bool hasBody(Method method, int status);
    // The body bytes that go on the wire answering `method`.
    qint64 bodyBytes(Method method) const;
    // Drops what hasBody() says is not sent (the connection does this, once).
    void dropBodyFor(Method method);
    // The status line and the fields, each ending in CRLF (no Date, Connection or blank line).
    QByteArray serializeHead() const;
};

} // namespace fazt::http
