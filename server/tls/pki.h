#pragma once

#include "result.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

#include <memory>
#include <openssl/evp.h>
#include <openssl/x509.h>

namespace fazt::tls {

// OpenSSL objects with their owners visible: keys, certificates and chains.
struct PKeyFree {
    void operator()(EVP_PKEY *key) const { EVP_PKEY_free(key); }
};
struct X509Free {
    void operator()(X509 *cert) const { X509_free(cert); }
};
using PKey = std::unique_ptr<EVP_PKEY, PKeyFree>;
using Cert = std::unique_ptr<X509, X509Free>;

// A private key with the certificate chain that goes with it (leaf first), ready to hand to
// a TLS handshake. Immutable once built, shared between worker threads.
struct CertifiedKey {
    PKey key;
    QList<std::shared_ptr<X509>> chain; // chain[0] is the leaf
    QStringList names;                  // the leaf's DNS names
    QString issuer;                     // the issuer's common name (or organization)
    qint64 notBefore = 0;               // Unix seconds
    qint64 notAfter = 0;
    QByteArray fingerprint; // SHA-256 of the leaf's DER, hex
    X509 *leaf() const { return chain.isEmpty() ? nullptr : chain.first().get(); }
};

// A fresh ECDSA P-256 key.
PKey generateKey();
QByteArray keyToPem(EVP_PKEY *key);
Result<PKey> keyFromPem(const QByteArray &pem);

QByteArray certToPem(X509 *cert);
// Every certificate in `pem`, in order; an error if there is none or one is malformed.
Result<QList<std::shared_ptr<X509>>> chainFromPem(const QByteArray &pem);
// A key and its chain from PEM, with the names and dates read from the leaf; an error if the
// key does not belong to the leaf.
Result<std::shared_ptr<const CertifiedKey>> loadCertifiedKey(const QByteArray &chainPem,
                                                             const QByteArray &keyPem);

// What a new certificate says. Signed by `issuerKey` under `issuer` (or self-signed when
// issuer is null).
struct CertificateRequest {
    QString commonName;
    QStringList dnsNames;
    qint64 validSeconds = 90 * 86400;
    bool isCa = false;
    // A CA's name constraints: the DNS names (each with everything under it) it may sign
    // for; with any, it may sign for no IP address either. Empty: unconstrained.
    QStringList permittedDnsNames;
    // TLS-ALPN-01 (RFC 8737): the SHA-256 of the key authorization, in the critical
    // id-pe-acmeIdentifier extension.
    QByteArray acmeIdentifier;
};
Result<Cert> makeCertificate(const CertificateRequest &request, EVP_PKEY *subjectKey, X509 *issuer,
                             EVP_PKEY *issuerKey);
// A fresh key and a self-signed certificate for it, ready to serve (the fallback, TLS-ALPN-01
// challenge certificates).
Result<std::shared_ptr<const CertifiedKey>> makeSelfSigned(const CertificateRequest &request);
// A PKCS#10 CSR (DER) for `dnsNames`, signed by `key`.
Result<QByteArray> makeCsr(const QStringList &dnsNames, EVP_PKEY *key);

// "a.example.com" matches the name "a.example.com" and the wildcard "*.example.com".
bool nameMatches(const QString &pattern, const QString &host);

} // namespace fazt::tls
