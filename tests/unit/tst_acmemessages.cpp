// What the TLS side parses from the network (ACME documents, ClientHello extensions) and
// the crypto it builds (certificates, CSRs, JWS), with broken and hostile input.

#include "tls/acmemessages.h"
#include "tls/certcache.h"
#include "tls/clienthello.h"
#include "tls/jws.h"
#include "tls/pki.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

#include <openssl/ecdsa.h>
#include <openssl/x509v3.h>

using namespace fazt;
using namespace fazt::tls;

namespace {

QByteArray serverNameExtension(const QByteArray &name) {
    QByteArray entry =
        QByteArray(1, '\0') + char(name.size() >> 8) + char(name.size() & 0xff) + name;
    return QByteArray(1, char(entry.size() >> 8)) + char(entry.size() & 0xff) + entry;
}

} // namespace

class TestAcmeMessages : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void serverName() {
        QCOMPARE(parseServerName(serverNameExtension("Blog.Example.COM.")),
                 QByteArray("blog.example.com"));
        QCOMPARE(parseServerName(serverNameExtension("a..b")), QByteArray());
        QCOMPARE(parseServerName(serverNameExtension("bad_name.com")), QByteArray());
        QCOMPARE(parseServerName(serverNameExtension("x/../y")), QByteArray());
        QCOMPARE(parseServerName(serverNameExtension(QByteArray(300, 'a'))), QByteArray());
        QCOMPARE(parseServerName(serverNameExtension(QByteArray(64, 'a') + ".com")), QByteArray());
        QByteArray truncated = serverNameExtension("example.com");
        truncated.chop(1);
        QCOMPARE(parseServerName(truncated), QByteArray());
        QCOMPARE(parseServerName(QByteArray::fromHex("00")), QByteArray());
        QCOMPARE(parseServerName(QByteArray::fromHex("ffff00")), QByteArray());
    }

    void alpn() {
        QCOMPARE(parseAlpn(QByteArray::fromHex("000c02683208687474702f312e31")),
                 QList<QByteArray>({"h2", "http/1.1"}));
        QCOMPARE(parseAlpn(QByteArray::fromHex("000b0a61636d652d746c732f31")),
                 QList<QByteArray>({"acme-tls/1"}));
        QVERIFY(parseAlpn(QByteArray::fromHex("0003ff6832")).isEmpty()); // overlong entry
        QVERIFY(parseAlpn(QByteArray::fromHex("0002006832")).isEmpty()); // bad list length
        QVERIFY(parseAlpn(QByteArray::fromHex("000100")).isEmpty());     // empty protocol
    }

    void acmeDocuments() {
        auto directory =
            acme::parseDirectory("{\"newNonce\":\"https://ca/n\",\"newAccount\":\"https://ca/"
                                 "a\",\"newOrder\":\"https://ca/o\"}");
        QVERIFY(directory);
        QCOMPARE(directory->newOrder, QStringLiteral("https://ca/o"));
        const QByteArray json1 = "{\"newNonce\":\"https://ca/n\",\"newAccount\":1}";
        QVERIFY(!acme::parseDirectory(json1));
        const QByteArray json2 = "{\"newNonce\":\"javascript:x\",\"newAccount\":\"https://"
                                 "a\",\"newOrder\":\"https://o\"}";
        QVERIFY(!acme::parseDirectory(json2));
        QVERIFY(!acme::parseDirectory("[1,2]"));
        QVERIFY(!acme::parseDirectory(QByteArray(2 << 20, ' ')));
        auto problem = acme::parseProblem(
            "{\"type\":\"urn:ietf:params:acme:error:badNonce\",\"detail\":\"stale\","
            "\"subproblems\":[{\"identifier\":{\"value\":\"a.test\"},\"detail\":\"x\"}]}");
        QVERIFY(problem);
        QVERIFY(problem->isBadNonce());
        QCOMPARE(problem->describe(),
                 QStringLiteral("urn:ietf:params:acme:error:badNonce: stale (a.test: x)"));
        const QByteArray json3 = "{\"type\": 5}";
        QVERIFY(!acme::parseProblem(json3));
        auto order = acme::parseOrder(
            "{\"status\":\"invalid\",\"authorizations\":[\"https://ca/z/1\"],\"finalize\":\"https:/"
            "/ca/f\",\"error\":{\"type\":\"t\",\"detail\":\"d\"}}");
        QVERIFY(order);
        QCOMPARE(order->error, QStringLiteral("t: d"));
        const QByteArray json4 =
            "{\"status\":\"pending\",\"authorizations\":[3],\"finalize\":\"https://ca/f\"}";
        QVERIFY(!acme::parseOrder(json4));
        const QByteArray json5 = "{\"status\":\"pending\",\"finalize\":\"https://ca/f\"}";
        QVERIFY(!acme::parseOrder(json5));
        auto authorization = acme::parseAuthorization(
            "{\"identifier\":{\"value\":\"a.test\"},\"status\":\"pending\",\"challenges\":[{"
            "\"type\":\"http-01\",\"url\":\"https://ca/c\",\"token\":\"tok\"}]}");
        QVERIFY(authorization);
        QCOMPARE(authorization->challenges.first().token, QStringLiteral("tok"));
        const QByteArray json6 = "{\"identifier\":{},\"status\":\"pending\",\"challenges\":[]}";
        QVERIFY(!acme::parseAuthorization(json6));
        const QByteArray json7 =
            "{\"identifier\":{\"value\":\"a\"},\"status\":\"pending\",\"challenges\":[1]}";
        QVERIFY(!acme::parseAuthorization(json7));
        QCOMPARE(acme::parseRetryAfter("7", 0), 7);
        QCOMPARE(acme::parseRetryAfter("-3", 0), -1);
        QCOMPARE(acme::parseRetryAfter("soon", 0), -1);
        QCOMPARE(acme::parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", 784111770), 7);
    }

    void certificatesAndCsr() {
        PKey caKey = generateKey();
        CertificateRequest ca;
        ca.commonName = QStringLiteral("Test CA");
        ca.isCa = true;
        auto caCert = makeCertificate(ca, caKey.get(), nullptr, nullptr);
        QVERIFY(caCert);
        PKey key = generateKey();
        CertificateRequest leaf;
        leaf.commonName = QStringLiteral("a.test");
        leaf.dnsNames = {QStringLiteral("a.test"), QStringLiteral("*.b.test")};
        auto cert = makeCertificate(leaf, key.get(), caCert->get(), caKey.get());
        QVERIFY(cert);
        auto certified = loadCertifiedKey(certToPem(cert->get()) + certToPem(caCert->get()),
                                          keyToPem(key.get()));
        QVERIFY(certified);
        QCOMPARE((*certified)->names, leaf.dnsNames);
        QCOMPARE((*certified)->issuer, QStringLiteral("Test CA"));
        QCOMPARE((*certified)->chain.size(), 2);
        QVERIFY((*certified)->notAfter > (*certified)->notBefore);
        // A key that is not the certificate's is refused.
        QVERIFY(!loadCertifiedKey(certToPem(cert->get()), keyToPem(caKey.get())));
        QVERIFY(
            !loadCertifiedKey("-----BEGIN CERTIFICATE-----\nnot base64\n", keyToPem(key.get())));
        // Names that could inject into OpenSSL's config syntax are refused.
        leaf.dnsNames = {QStringLiteral("a.test,DNS:evil.test")};
        QVERIFY(!makeCertificate(leaf, key.get(), nullptr, nullptr));
        QVERIFY(!makeCsr({QStringLiteral("a.test, IP:1.2.3.4")}, key.get()));
        auto csr = makeCsr({QStringLiteral("a.test")}, key.get());
        QVERIFY(csr && csr->size() > 100);
        // The cache: exact names first, then the wildcard one label up.
        CertCache cache;
        cache.insert(*certified);
        QCOMPARE(cache.find("a.test"), *certified);
        QCOMPARE(cache.find("x.b.test"), *certified);
        QVERIFY(!cache.find("y.x.b.test"));
        QVERIFY(!cache.find("b.test"));
    }

    void tlsAlpnCertificateCarriesTheDigest() {
        CertificateRequest request;
        request.commonName = QStringLiteral("a.test");
        request.dnsNames = {QStringLiteral("a.test")};
        request.acmeIdentifier = QByteArray(32, '\x5a');
        auto certified = makeSelfSigned(request);
        QVERIFY(certified);
        X509 *leaf = (*certified)->leaf();
        ASN1_OBJECT *oid = OBJ_txt2obj("1.3.6.1.5.5.7.1.31", 1);
        const int index = X509_get_ext_by_OBJ(leaf, oid, -1);
        ASN1_OBJECT_free(oid);
        QVERIFY(index >= 0);
        X509_EXTENSION *extension = X509_get_ext(leaf, index);
        QVERIFY(X509_EXTENSION_get_critical(extension));
        const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(extension);
        QCOMPARE(QByteArray(reinterpret_cast<const char *>(ASN1_STRING_get0_data(data)),
                            ASN1_STRING_length(data)),
                 QByteArray("\x04\x20", 2) + QByteArray(32, '\x5a'));
    }

    void jwsVerifiesWithTheJwk() {
        PKey key = generateKey();
        const QByteArray jws =
            signJws(key.get(), {{QStringLiteral("alg"), QStringLiteral("ES256")}}, "{}");
        const QJsonObject object = QJsonDocument::fromJson(jws).object();
        const QByteArray input = object.value(QStringLiteral("protected")).toString().toLatin1() +
                                 '.' +
                                 object.value(QStringLiteral("payload")).toString().toLatin1();
        const QByteArray raw =
            QByteArray::fromBase64(object.value(QStringLiteral("signature")).toString().toLatin1(),
                                   QByteArray::Base64UrlEncoding);
        QCOMPARE(raw.size(), 64);
        ECDSA_SIG *signature = ECDSA_SIG_new();
        ECDSA_SIG_set0(
            signature,
            BN_bin2bn(reinterpret_cast<const unsigned char *>(raw.constData()), 32, nullptr),
            BN_bin2bn(reinterpret_cast<const unsigned char *>(raw.constData()) + 32, 32, nullptr));
        unsigned char *der = nullptr;
        const int derLength = i2d_ECDSA_SIG(signature, &der);
        ECDSA_SIG_free(signature);
        EVP_MD_CTX *context = EVP_MD_CTX_new();
        QCOMPARE(EVP_DigestVerifyInit(context, nullptr, EVP_sha256(), nullptr, key.get()), 1);
        QCOMPARE(EVP_DigestVerify(context, der, size_t(derLength),
                                  reinterpret_cast<const unsigned char *>(input.constData()),
                                  size_t(input.size())),
                 1);
        EVP_MD_CTX_free(context);
        OPENSSL_free(der);
        // RFC 7638: 43 characters of base64url, stable for the key.
        QCOMPARE(jwkThumbprint(key.get()).size(), 43);
        QCOMPARE(jwkThumbprint(key.get()), jwkThumbprint(key.get()));
    }
};

QTEST_GUILESS_MAIN(TestAcmeMessages)
#include "tst_acmemessages.moc"
