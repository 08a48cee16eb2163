#pragma once

#include "result.h"
#include "tls/acmemessages.h"
#include "tls/pki.h"

#include <QByteArray>
#include <QList>
#include <QSslCertificate>
#include <QString>
#include <QUrl>

#include <atomic>
#include <memory>

class QNetworkAccessManager;
class QNetworkRequest;

namespace fazt::certs {
class CertStore;
}

namespace fazt::tls {

// An ACME (RFC 8555) client: directory, nonces (a badNonce answer is retried with the fresh
// nonce it carries), account created or found again by its key (kept in the CertStore),
// orders, HTTP-01 or TLS-ALPN-01 challenges, polling that honours Retry-After, finalize with
// a CSR for a fresh P-256 key, and the chain download. JWS signatures are ES256.
//
// Blocking by design: obtain() runs the whole conversation and returns the certificate or the
// CA's error, spinning a local event loop for each request. It must therefore live on a
// thread of its own (the certificate manager's), never on an HTTP worker or the main thread.
// It may be constructed anywhere: its network access is created on first use, on that thread.
// abort() from any thread ends the conversation at the next request or poll.
class AcmeClient {
public:
    enum class ChallengeType { Http01, TlsAlpn01 };

    struct Options {
        QUrl directory = QUrl(QStringLiteral("https://acme-v02.api.letsencrypt.org/directory"));
        QList<QSslCertificate> extraRoots; // trusted besides the system's, for the CA only
        QString email;
        ChallengeType challenge = ChallengeType::Http01;
        int requestTimeoutMs = 30'000;
        int maxPolls = 60;
        int maxBadNonceRetries = 5;
    };

    // Puts a challenge's answer where the CA will look (and takes it away again).
    class Solver {
    public:
        virtual ~Solver() = default;
        virtual Status present(ChallengeType type, const QString &name, const QByteArray &token,
                               const QByteArray &keyAuthorization) = 0;
        virtual void cleanUp(ChallengeType type, const QString &name, const QByteArray &token) = 0;
    };

    struct Issued {
        QByteArray chainPem;
        QByteArray keyPem;
    };

    AcmeClient(certs::CertStore &store, Options options);
    ~AcmeClient();
    AcmeClient(const AcmeClient &) = delete;
    AcmeClient &operator=(const AcmeClient &) = delete;

    // One order for `names` (the first is the common name), through to the certificate.
    Result<Issued> obtain(const QStringList &names, Solver &solver);
    void abort() { m_isAborted = true; }

private:
    struct Reply {
        int status = 0;
        QByteArray body;
        QByteArray location;
        QByteArray retryAfter;
    };

    Result<Reply> send(const QByteArray &method, const QUrl &url, const QByteArray &body,
                       const QByteArray &accept);
    // A signed POST (payload null: POST-as-GET), retried on badNonce. Errors carry the CA's
    // problem document.
    Result<Reply> post(const QString &url, const QByteArray &payload, bool isAsGet = false,
                       const QByteArray &accept = "application/json");
    Status loadDirectory();
    Status ensureAccount();
    Result<QByteArray> takeNonce();
    Status sleep(qint64 ms);
    // Waits as long as the reply's Retry-After asks (a second if it does not say).
    Status waitToPoll(const Reply &reply);
    Status authorize(const QString &url, Solver &solver);
    // POST-as-GET of an authorization; the raw reply too when asked (for Retry-After).
    Result<acme::Authorization> fetchAuthorization(const QString &url, Reply *reply = nullptr);
    Result<acme::Order> pollOrder(const QString &url, const QStringList &until);

    certs::CertStore &m_store;
    const Options m_options;
    std::unique_ptr<QNetworkAccessManager> m_network;
    std::atomic<bool> m_isAborted{false};
    acme::Directory m_directory;
    bool m_hasDirectory = false;
    PKey m_accountKey;
    QString m_accountUrl;
    QByteArray m_thumbprint;
    QByteArray m_nonce;
};

} // namespace fazt::tls
