#pragma once

#include "result.h"

#include <QByteArrayView>
#include <QString>

namespace fazt::http {

// Decodes %XX once, checks the result (no NUL, no "..", no backslash, valid UTF-8) and
// normalises it: "." segments and empty ones (duplicate slashes) are dropped, a trailing '/'
// is kept. Returns the path without its leading '/', or an error for a 400. This one path
// decides everything about a request to a site: function or file, and which file; and which
// admin endpoint.
Result<QString> decodePath(QByteArrayView rawPath);

} // namespace fazt::http
