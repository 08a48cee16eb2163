#pragma once

#include <QByteArray>

namespace fazt::auth {

// Bytes from OpenSSL's CSPRNG. Session ids, CSRF tokens, API tokens and salts come from here
// and nowhere else. If the generator fails the process stops: a predictable id is worse than
// no server.
QByteArray secureRandomBytes(qsizetype count);

// 32 random bytes (256 bits) as base64url without padding: 43 characters, safe in cookies,
// headers and URLs.
QByteArray secureRandomToken();

// True if `text` is non-empty and only uses the base64url alphabet (A-Z a-z 0-9 - _).
bool isBase64Url(QByteArrayView text);

} // namespace fazt::auth
