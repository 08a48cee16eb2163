#include "tls/jws.h"

#include "crypto/sha256.h"

#include <QJsonDocument>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>

namespace fazt::tls {

namespace {

QByteArray coordinate(EVP_PKEY *key, const char *name) {
    BIGNUM *value = nullptr;
    if (EVP_PKEY_get_bn_param(key, name, &value) != 1)
        return {};
    QByteArray bytes(32, '\0');
    BN_bn2binpad(value, reinterpret_cast<unsigned char *>(bytes.data()), 32);
    BN_free(value);
    return bytes;
}

} // namespace

QByteArray base64Url(QByteArrayView data) {
    return data.toByteArray().toBase64(QByteArray::Base64UrlEncoding |
                                       QByteArray::OmitTrailingEquals);
}

QJsonObject jwk(EVP_PKEY *key) {
    return {{QStringLiteral("crv"), QStringLiteral("P-256")},
            {QStringLiteral("kty"), QStringLiteral("EC")},
            {QStringLiteral("x"),
             QString::fromLatin1(base64Url(coordinate(key, OSSL_PKEY_PARAM_EC_PUB_X)))},
            {QStringLiteral("y"),
             QString::fromLatin1(base64Url(coordinate(key, OSSL_PKEY_PARAM_EC_PUB_Y)))}};
}

QByteArray jwkThumbprint(EVP_PKEY *key) {
    // Members in lexicographic order, no whitespace (RFC 7638 section 3); QJsonDocument's
    // compact form sorts keys.
    return base64Url(crypto::Sha256::hash(QJsonDocument(jwk(key)).toJson(QJsonDocument::Compact)));
}

QByteArray signJws(EVP_PKEY *key, const QJsonObject &protectedHeader, const QByteArray &payload) {
    const QByteArray header =
        base64Url(QJsonDocument(protectedHeader).toJson(QJsonDocument::Compact));
    const QByteArray body = base64Url(payload);
    const QByteArray input = header + '.' + body;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> context(EVP_MD_CTX_new(),
                                                                    EVP_MD_CTX_free);
    size_t length = 0;
    if (EVP_DigestSignInit(context.get(), nullptr, EVP_sha256(), nullptr, key) != 1 ||
        EVP_DigestSign(context.get(), nullptr, &length,
                       reinterpret_cast<const unsigned char *>(input.constData()),
                       size_t(input.size())) != 1)
        return {};
    QByteArray der(qsizetype(length), '\0');
    if (EVP_DigestSign(context.get(), reinterpret_cast<unsigned char *>(der.data()), &length,
                       reinterpret_cast<const unsigned char *>(input.constData()),
                       size_t(input.size())) != 1)
        return {};
    // JWS wants r||s, 32 bytes each, not OpenSSL's DER.
    const unsigned char *cursor = reinterpret_cast<const unsigned char *>(der.constData());
    ECDSA_SIG *signature = d2i_ECDSA_SIG(nullptr, &cursor, long(length));
    if (!signature)
        return {};
    QByteArray raw(64, '\0');
    BN_bn2binpad(ECDSA_SIG_get0_r(signature), reinterpret_cast<unsigned char *>(raw.data()), 32);
    BN_bn2binpad(ECDSA_SIG_get0_s(signature), reinterpret_cast<unsigned char *>(raw.data()) + 32,
                 32);
    ECDSA_SIG_free(signature);
    const QJsonObject jws{{QStringLiteral("protected"), QString::fromLatin1(header)},
                          {QStringLiteral("payload"), QString::fromLatin1(body)},
                          {QStringLiteral("signature"), QString::fromLatin1(base64Url(raw))}};
    return QJsonDocument(jws).toJson(QJsonDocument::Compact);
}

} // namespace fazt::tls
