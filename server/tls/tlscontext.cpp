#include "tls/tlscontext.h"

#include "tls/certcache.h"
#include "tls/clienthello.h"

#include "http/connection.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

namespace fazt::tls {

namespace {

constexpr QByteArrayView AcmeTls = "acme-tls/1";
constexpr QByteArrayView Http11 = "http/1.1";

// The per-connection choice made in the client-hello callback, read by the ALPN callback.
int challengeIndex() {
    static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
    return index;
}

char isChallengeTag;

bool apply(SSL *ssl, const CertifiedKey &cert) {
    STACK_OF(X509) *chain = sk_X509_new_null();
    for (qsizetype i = 1; i < cert.chain.size(); ++i)
        sk_X509_push(chain, cert.chain[i].get());
    // Takes its own references to the leaf, the key and every chain certificate.
    const int ok = SSL_use_cert_and_key(ssl, cert.leaf(), cert.key.get(), chain, 1);
    sk_X509_free(chain);
    return ok == 1;
}

int onClientHello(SSL *ssl, int *alert, void *arg) {
    auto *cache = static_cast<CertCache *>(arg);
    const unsigned char *data = nullptr;
    size_t length = 0;
    QByteArray name;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &data, &length) == 1)
        name = parseServerName(QByteArrayView(data, qsizetype(length)));
    // The owner's connection moves to the priority worker, a user's to an accepting worker,
    // before the handshake's costly part runs on the wrong one.
    if (http::Connection::pausesForServerName(ssl, name))
        return SSL_CLIENT_HELLO_RETRY;
    bool isChallenge = false;
    if (SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_application_layer_protocol_negotiation, &data,
                                  &length) == 1) {
        const QList<QByteArray> protocols = parseAlpn(QByteArrayView(data, qsizetype(length)));
        isChallenge = protocols.size() == 1 && protocols.first() == AcmeTls;
    }
    CertCache::Certified cert;
    if (isChallenge) {
        cert = cache->challenge(name);
        if (!cert) {
            *alert = SSL_AD_UNRECOGNIZED_NAME;
            return SSL_CLIENT_HELLO_ERROR;
        }
        SSL_set_ex_data(ssl, challengeIndex(), &isChallengeTag);
    } else {
        cert = name.isEmpty() ? CertCache::Certified() : cache->find(name);
        if (!cert) {
            if (!name.isEmpty())
                cache->reportMiss(name);
            cert = cache->fallback();
        }
    }
    if (!cert || !apply(ssl, *cert)) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
    }
    return SSL_CLIENT_HELLO_SUCCESS;
}

int onAlpn(SSL *ssl, const unsigned char **out, unsigned char *outLength, const unsigned char *in,
           unsigned int inLength, void *) {
    const bool isChallenge = SSL_get_ex_data(ssl, challengeIndex()) == &isChallengeTag;
    const QByteArrayView wanted = isChallenge ? AcmeTls : Http11;
    for (unsigned int at = 0; at < inLength;) {
        const unsigned int length = in[at];
        if (at + 1 + length > inLength)
            break;
        if (QByteArrayView(in + at + 1, length) == wanted) {
            *out = in + at + 1;
            *outLength = static_cast<unsigned char>(length);
            return SSL_TLSEXT_ERR_OK;
        }
        at += 1 + length;
    }
    // A client that offers h2 only, say: no ALPN, and it talks HTTP/1.1 or goes away.
    return isChallenge ? SSL_TLSEXT_ERR_ALERT_FATAL : SSL_TLSEXT_ERR_NOACK;
}

} // namespace

TlsContext::TlsContext(CertCache &cache)
    : m_cache(cache) {}

TlsContext::~TlsContext() {
    SSL_CTX_free(m_context);
}

Status TlsContext::init() {
    m_context = SSL_CTX_new(TLS_server_method());
    if (!m_context)
        return Error::internal(QStringLiteral("Cannot create the TLS context."));
    SSL_CTX_set_min_proto_version(m_context, TLS1_2_VERSION);
    SSL_CTX_set_options(m_context, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION |
                                       SSL_OP_CIPHER_SERVER_PREFERENCE);
    // TLS 1.2: ECDHE with AEAD only (TLS 1.3's suites are all modern).
    if (SSL_CTX_set_cipher_list(m_context, "ECDHE-ECDSA-AES128-GCM-SHA256:"
                                           "ECDHE-RSA-AES128-GCM-SHA256:"
                                           "ECDHE-ECDSA-AES256-GCM-SHA384:"
                                           "ECDHE-RSA-AES256-GCM-SHA384:"
                                           "ECDHE-ECDSA-CHACHA20-POLY1305:"
                                           "ECDHE-RSA-CHACHA20-POLY1305") != 1) {
        ERR_clear_error();
        return Error::internal(QStringLiteral("OpenSSL refused the TLS cipher list."));
    }
    SSL_CTX_set_mode(m_context, SSL_MODE_ENABLE_PARTIAL_WRITE |
                                    SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
    SSL_CTX_set_session_cache_mode(m_context, SSL_SESS_CACHE_SERVER);
    static const unsigned char sessionContext[] = "fazt";
    SSL_CTX_set_session_id_context(m_context, sessionContext, sizeof sessionContext - 1);
    SSL_CTX_set_client_hello_cb(m_context, onClientHello, &m_cache);
    SSL_CTX_set_alpn_select_cb(m_context, onAlpn, nullptr);
    return {};
}

} // namespace fazt::tls
