#pragma once

#include "http/exchange.h"

#include <QByteArrayView>

namespace fazt::http {

// What a conditional or range request is compared with: one representation of a resource.
struct Validators {
    QByteArrayView etag;        // the strong tag, quotes included
    QByteArrayView variantEtag; // the tag of an encoded variant of the same bytes, or empty
    qint64 lastModified = -1;   // Unix seconds
    qint64 size = 0;
};

// An inclusive byte range.
struct ByteRange {
    qint64 first = 0;
    qint64 last = -1;
    qint64 length() const { return last - first + 1; }
};

// What the request's preconditions and Range make of a representation, evaluated in the
// order of RFC 9110 13.2.2: If-None-Match (If-Modified-Since only without it), then Range
// subject to If-Range. One evaluation for every way a file is served (from RAM or streamed).
struct Selection {
    enum class Kind { Full, NotModified, Partial, Unsatisfiable };
    Kind kind = Kind::Full;
    ByteRange range; // Partial
};
Selection select(const Request &request, const Validators &representation);

// One "bytes=" range of a representation of `size` bytes; a list of several is served whole
// (Full), as RFC 9110 allows, and so is a malformed one.
Selection parseRange(QByteArrayView header, qint64 size);

} // namespace fazt::http
