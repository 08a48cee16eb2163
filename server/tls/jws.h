#pragma once

#include <QByteArray>
#include <QJsonObject>

#include <openssl/evp.h>

namespace fazt::tls {

// RFC 7515 JSON Web Signatures with ES256 (ECDSA P-256, SHA-256), as ACME needs them.
QByteArray base64Url(QByteArrayView data);
// The public key as a JWK: {"crv":"P-256","kty":"EC","x":...,"y":...}.
QJsonObject jwk(EVP_PKEY *key);
// RFC 7638 thumbprint of the JWK: base64url(SHA-256(canonical JSON)).
QByteArray jwkThumbprint(EVP_PKEY *key);
// A flattened JWS: {"protected", "payload", "signature"}. An empty payload is ACME's
// POST-as-GET. Empty on failure.
QByteArray signJws(EVP_PKEY *key, const QJsonObject &protectedHeader, const QByteArray &payload);

} // namespace fazt::tls
