#include "crypto/sha256.h"

#include <openssl/evp.h>

namespace fazt::crypto {

void Sha256::Free::operator()(evp_md_ctx_st *ctx) const { EVP_MD_CTX_free(ctx); }

Sha256::Sha256() : m_ctx(EVP_MD_CTX_new()) {
    // Failure here means OpenSSL cannot allocate a few hundred bytes: nothing to recover.
    if (!m_ctx || EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr) != 1)
        qFatal("OpenSSL cannot start a SHA-256 digest");
}

Sha256::~Sha256() = default;

void Sha256::addData(QByteArrayView data) {
    EVP_DigestUpdate(m_ctx.get(), data.data(), size_t(data.size()));
}

QByteArray Sha256::result() {
    QByteArray digest(32, Qt::Uninitialized);
    unsigned int length = 0;
    EVP_DigestFinal_ex(m_ctx.get(), reinterpret_cast<unsigned char *>(digest.data()), &length);
    EVP_DigestInit_ex(m_ctx.get(), EVP_sha256(), nullptr);
    return digest;
}

QByteArray Sha256::hash(QByteArrayView data) {
    Sha256 sha;
    sha.addData(data);
    return sha.result();
}

} // namespace fazt::crypto
