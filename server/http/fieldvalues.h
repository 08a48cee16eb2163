#pragma once

#include <QByteArrayView>

namespace fazt::http {

// Parsers for the values of request fields the server acts on. None allocates: each walks
// the value once, where it lies in the request's buffer.

// The quality (0 to 1000) an Accept-Encoding value gives `coding` (RFC 9110 12.5.3): its own
// entry's q (1000 without one), else the "*" entry's, else -1 (not mentioned). A malformed
// qvalue counts as 0, as nginx counts it.
int codingQuality(QByteArrayView acceptEncoding, QByteArrayView coding);
// Whether a response may be sent in `coding`: mentioned with a quality above 0.
bool acceptsCoding(QByteArrayView acceptEncoding, QByteArrayView coding);

// Whether an If-None-Match value matches a representation whose entity tag is `etag` (quotes
// included, W/ allowed): "*" matches any, and each listed tag is compared weakly (RFC 9110
// 8.8.3.2: the opaque tags are equal, W/ or not). A malformed list matches nothing past the
// point where it breaks.
bool etagListMatches(QByteArrayView ifNoneMatch, QByteArrayView etag);

} // namespace fazt::http
