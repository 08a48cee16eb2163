#pragma once

#include <QByteArrayView>

namespace fazt::http {

// The request header fields the server reads by name. The parser notes where each one is
// while it parses (as nginx's headers_in and h2o's tokens do), so Request::field(Field) is
// an array lookup; any other name is found by a scan of the fields.
enum class Field : quint8 {
    AcceptEncoding,
    Authorization,
    ContentType,
    Cookie,
    Forwarded,
    IdempotencyKey,
    IfModifiedSince,
    IfNoneMatch,
    IfRange,
    LastEventId,
    Prefer,
    Range,
    Referer,
    UserAgent,
    XCsrfToken,
    XForwardedFor,
    XRealIp,
    Count // not a field
};

// The field `name` (case-insensitive) is, or Field::Count for one not in the list.
Field fieldOf(QByteArrayView name);
// The field's canonical spelling ("If-None-Match").
QByteArrayView nameOf(Field field);

} // namespace fazt::http
