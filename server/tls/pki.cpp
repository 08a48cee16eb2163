#include "tls/pki.h"

#include <QDateTime>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

namespace fazt::tls {

namespace {

struct BioFree {
    void operator()(BIO *bio) const { BIO_free(bio); }
};
using Bio = std::unique_ptr<BIO, BioFree>;

QString openSslError(const char *what) {
    const unsigned long code = ERR_get_error();
    ERR_clear_error();
    char text[256] = {};
    if (code)
        ERR_error_string_n(code, text, sizeof text);
    return QStringLiteral("%1: %2").arg(QLatin1String(what), code ? QLatin1String(text)
                                                                  : QLatin1String("unknown error"));
}

QByteArray bioContents(BIO *bio) {
    char *data = nullptr;
    const long size = BIO_get_mem_data(bio, &data);
    return QByteArray(data, size);
}

qint64 asn1TimeToUnix(const ASN1_TIME *time) {
    tm parsed{};
    if (!time || ASN1_TIME_to_tm(time, &parsed) != 1)
        return 0;
    return qint64(timegm(&parsed));
}

QString subjectField(X509_NAME *name, int nid) {
    const int index = X509_NAME_get_index_by_NID(name, nid, -1);
    if (index < 0)
        return {};
    ASN1_STRING *data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(name, index));
    unsigned char *utf8 = nullptr;
    const int length = ASN1_STRING_to_UTF8(&utf8, data);
    if (length < 0)
        return {};
    const QString text = QString::fromUtf8(reinterpret_cast<char *>(utf8), length);
    OPENSSL_free(utf8);
    return text;
}

QStringList dnsNamesOf(X509 *cert) {
    QStringList names;
    auto *sans = static_cast<GENERAL_NAMES *>(
        X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
    if (!sans)
        return names;
    for (int i = 0; i < sk_GENERAL_NAME_num(sans); ++i) {
        const GENERAL_NAME *name = sk_GENERAL_NAME_value(sans, i);
        if (name->type != GEN_DNS)
            continue;
        const ASN1_IA5STRING *dns = name->d.dNSName;
        names.append(QString::fromLatin1(reinterpret_cast<const char *>(ASN1_STRING_get0_data(dns)),
                                         ASN1_STRING_length(dns))
                         .toLower());
    }
    GENERAL_NAMES_free(sans);
    return names;
}

bool addExtension(X509 *cert, X509 *issuer, int nid, const QByteArray &value) {
    X509V3_CTX context;
    X509V3_set_ctx_nodb(&context);
    X509V3_set_ctx(&context, issuer ? issuer : cert, cert, nullptr, nullptr, 0);
    X509_EXTENSION *extension = X509V3_EXT_conf_nid(nullptr, &context, nid, value.constData());
    if (!extension)
        return false;
    const bool added = X509_add_ext(cert, extension, -1) == 1;
    X509_EXTENSION_free(extension);
    return added;
}

QByteArray subjectAltNames(const QStringList &names) {
    QByteArray value;
    for (const QString &name : names) {
        if (!value.isEmpty())
            value += ',';
        value += "DNS:" + name.toLatin1();
    }
    return value;
}

bool isSafeDnsName(const QString &name) {
    // The names go into an OpenSSL config string: only hostname characters, nothing that
    // could start another directive.
    if (name.isEmpty() || name.size() > 253)
        return false;
    for (const QChar c : name) {
        const bool ok = (c >= QLatin1Char('a') && c <= QLatin1Char('z')) ||
                        (c >= QLatin1Char('0') && c <= QLatin1Char('9')) || c == QLatin1Char('-') ||
                        c == QLatin1Char('.') || c == QLatin1Char('*');
        if (!ok)
            return false;
    }
    return true;
}

} // namespace

PKey generateKey() {
    return PKey(EVP_EC_gen("P-256"));
}

QByteArray keyToPem(EVP_PKEY *key) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!key ||
        PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) != 1)
        return {};
    return bioContents(bio.get());
}

Result<PKey> keyFromPem(const QByteArray &pem) {
    Bio bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    PKey key(PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr));
    if (!key)
        return Error::invalid(openSslError("Cannot read the private key"));
    return key;
}

QByteArray certToPem(X509 *cert) {
    Bio bio(BIO_new(BIO_s_mem()));
    if (!cert || PEM_write_bio_X509(bio.get(), cert) != 1)
        return {};
    return bioContents(bio.get());
}

Result<QList<std::shared_ptr<X509>>> chainFromPem(const QByteArray &pem) {
    Bio bio(BIO_new_mem_buf(pem.constData(), int(pem.size())));
    QList<std::shared_ptr<X509>> chain;
    while (X509 *cert = PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr))
        chain.append(std::shared_ptr<X509>(cert, X509_free));
    const unsigned long last = ERR_peek_last_error();
    // Running off the end of the input is how the loop stops; anything else is a bad block.
    if (last && ERR_GET_REASON(last) != PEM_R_NO_START_LINE) {
        return Error::invalid(openSslError("Cannot read the certificate chain"));
    }
    ERR_clear_error();
    if (chain.isEmpty())
        return Error::invalid(QStringLiteral("The certificate chain holds no certificate."));
    return chain;
}

Result<std::shared_ptr<const CertifiedKey>> loadCertifiedKey(const QByteArray &chainPem,
                                                             const QByteArray &keyPem) {
    auto chain = chainFromPem(chainPem);
    if (!chain)
        return chain.error();
    auto key = keyFromPem(keyPem);
    if (!key)
        return key.error();
    X509 *leaf = chain->first().get();
    if (X509_check_private_key(leaf, key->get()) != 1) {
        ERR_clear_error();
        return Error::invalid(
            QStringLiteral("The private key does not belong to the certificate."));
    }
    auto certified = std::make_shared<CertifiedKey>();
    certified->key = std::move(*key);
    certified->chain = std::move(*chain);
    certified->names = dnsNamesOf(leaf);
    X509_NAME *issuer = X509_get_issuer_name(leaf);
    certified->issuer = subjectField(issuer, NID_commonName);
    if (certified->issuer.isEmpty())
        certified->issuer = subjectField(issuer, NID_organizationName);
    certified->notBefore = asn1TimeToUnix(X509_get0_notBefore(leaf));
    certified->notAfter = asn1TimeToUnix(X509_get0_notAfter(leaf));
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int digestLength = 0;
    X509_digest(leaf, EVP_sha256(), digest, &digestLength);
    certified->fingerprint =
        QByteArray(reinterpret_cast<const char *>(digest), int(digestLength)).toHex();
    return std::shared_ptr<const CertifiedKey>(std::move(certified));
}

Result<Cert> makeCertificate(const CertificateRequest &request, EVP_PKEY *subjectKey, X509 *issuer,
                             EVP_PKEY *issuerKey) {
    for (const QString &name : request.dnsNames)
        if (!isSafeDnsName(name))
            return Error::invalid(QStringLiteral("%1 is not a valid DNS name.").arg(name));
    Cert cert(X509_new());
    X509_set_version(cert.get(), 2);
    unsigned char serial[16];
    RAND_bytes(serial, sizeof serial);
    serial[0] &= 0x7f; // positive
    BIGNUM *serialNumber = BN_bin2bn(serial, sizeof serial, nullptr);
    BN_to_ASN1_INTEGER(serialNumber, X509_get_serialNumber(cert.get()));
    BN_free(serialNumber);
    // Backdated an hour, for clients whose clock is a little behind.
    X509_gmtime_adj(X509_getm_notBefore(cert.get()), -3600);
    X509_gmtime_adj(X509_getm_notAfter(cert.get()), long(request.validSeconds));
    X509_set_pubkey(cert.get(), subjectKey);
    X509_NAME *subject = X509_get_subject_name(cert.get());
    const QByteArray commonName = request.commonName.toUtf8();
    X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_UTF8,
                               reinterpret_cast<const unsigned char *>(commonName.constData()), -1,
                               -1, 0);
    X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : subject);
    bool ok = true;
    for (const QString &name : request.permittedDnsNames)
        if (!isSafeDnsName(name))
            return Error::invalid(QStringLiteral("%1 is not a valid DNS name.").arg(name));
    if (request.isCa) {
        ok = ok && addExtension(cert.get(), issuer, NID_basic_constraints, "critical,CA:TRUE");
        ok = ok && addExtension(cert.get(), issuer, NID_key_usage, "critical,keyCertSign,cRLSign");
        if (!request.permittedDnsNames.isEmpty()) {
            QByteArray constraints = "critical";
            for (const QString &name : request.permittedDnsNames)
                constraints += ",permitted;DNS:" + name.toLatin1();
            constraints += ",excluded;IP:0.0.0.0/0.0.0.0,excluded;IP:::/::";
            ok = ok && addExtension(cert.get(), issuer, NID_name_constraints, constraints);
        }
    } else {
        ok = ok && addExtension(cert.get(), issuer, NID_basic_constraints, "critical,CA:FALSE");
        ok = ok && addExtension(cert.get(), issuer, NID_key_usage, "critical,digitalSignature");
        ok = ok && addExtension(cert.get(), issuer, NID_ext_key_usage, "serverAuth");
    }
    ok = ok && addExtension(cert.get(), issuer, NID_subject_key_identifier, "hash");
    if (issuer)
        ok = ok && addExtension(cert.get(), issuer, NID_authority_key_identifier, "keyid:always");
    if (!request.dnsNames.isEmpty())
        ok = ok && addExtension(cert.get(), issuer, NID_subject_alt_name,
                                subjectAltNames(request.dnsNames));
    if (ok && !request.acmeIdentifier.isEmpty()) {
        // id-pe-acmeIdentifier: critical, an OCTET STRING holding the DER of an OCTET STRING.
        ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
        const QByteArray der =
            QByteArray("\x04", 1) + char(request.acmeIdentifier.size()) + request.acmeIdentifier;
        ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
        ASN1_OCTET_STRING_set(value, reinterpret_cast<const unsigned char *>(der.constData()),
                              int(der.size()));
        X509_EXTENSION *extension = X509_EXTENSION_create_by_OBJ(nullptr, oid, 1, value);
        ok = extension && X509_add_ext(cert.get(), extension, -1) == 1;
        X509_EXTENSION_free(extension);
        ASN1_OCTET_STRING_free(value);
        ASN1_OBJECT_free(oid);
    }
    if (!ok)
        return Error::internal(openSslError("Cannot build the certificate's extensions"));
    if (X509_sign(cert.get(), issuerKey ? issuerKey : subjectKey, EVP_sha256()) <= 0)
        return Error::internal(openSslError("Cannot sign the certificate"));
    return cert;
}

Result<std::shared_ptr<const CertifiedKey>> makeSelfSigned(const CertificateRequest &request) {
    PKey key = generateKey();
    auto cert = makeCertificate(request, key.get(), nullptr, nullptr);
    if (!cert)
        return cert.error();
    return loadCertifiedKey(certToPem(cert->get()), keyToPem(key.get()));
}

Result<QByteArray> makeCsr(const QStringList &dnsNames, EVP_PKEY *key) {
    if (dnsNames.isEmpty())
        return Error::invalid(QStringLiteral("A certificate request needs at least one name."));
    for (const QString &name : dnsNames)
        if (!isSafeDnsName(name))
            return Error::invalid(QStringLiteral("%1 is not a valid DNS name.").arg(name));
    std::unique_ptr<X509_REQ, decltype(&X509_REQ_free)> request(X509_REQ_new(), X509_REQ_free);
    X509_REQ_set_version(request.get(), 0);
    X509_REQ_set_pubkey(request.get(), key);
    const QByteArray commonName = dnsNames.first().toLatin1();
    X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(request.get()), "CN", MBSTRING_ASC,
                               reinterpret_cast<const unsigned char *>(commonName.constData()), -1,
                               -1, 0);
    X509_EXTENSIONS *extensions = sk_X509_EXTENSION_new_null();
    X509_EXTENSION *sans = X509V3_EXT_conf_nid(nullptr, nullptr, NID_subject_alt_name,
                                               subjectAltNames(dnsNames).constData());
    if (!sans) {
        sk_X509_EXTENSION_free(extensions);
        return Error::internal(openSslError("Cannot build the request's names"));
    }
    sk_X509_EXTENSION_push(extensions, sans);
    X509_REQ_add_extensions(request.get(), extensions);
    sk_X509_EXTENSION_pop_free(extensions, X509_EXTENSION_free);
    if (X509_REQ_sign(request.get(), key, EVP_sha256()) <= 0)
        return Error::internal(openSslError("Cannot sign the certificate request"));
    unsigned char *der = nullptr;
    const int length = i2d_X509_REQ(request.get(), &der);
    if (length <= 0)
        return Error::internal(openSslError("Cannot encode the certificate request"));
    QByteArray bytes(reinterpret_cast<char *>(der), length);
    OPENSSL_free(der);
    return bytes;
}

bool nameMatches(const QString &pattern, const QString &host) {
    if (pattern.compare(host, Qt::CaseInsensitive) == 0)
        return true;
    if (!pattern.startsWith(QLatin1String("*.")))
        return false;
    const qsizetype dot = host.indexOf(QLatin1Char('.'));
    return dot > 0 && host.mid(dot).compare(pattern.mid(1), Qt::CaseInsensitive) == 0;
}

} // namespace fazt::tls
