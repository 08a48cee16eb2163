#pragma once

#include "tls/pki.h"

#include <QByteArray>
#include <QHash>

#include <functional>
#include <memory>
#include <shared_mutex>

namespace fazt::tls {

// The certificates the TLS handshake picks from, in RAM: by name (exact, then the wildcard one
// label up), the TLS-ALPN-01 challenge certificates, and the fallback for names we have no
// certificate for. Read on every handshake from any worker thread; written rarely (issuance,
// renewal) by the certificate manager. Replacing a certificate never disturbs a handshake that
// already holds the old one (shared ownership).
class CertCache {
public:
    using Certified = std::shared_ptr<const CertifiedKey>;
    // Called on a worker thread when a handshake asks for a name that has no certificate.
    // Must be cheap and must not block: it only queues the name for someone else to decide.
    using MissHandler = std::function<void(const QByteArray &name)>;

    // Serves `cert` for every name it carries.
    void insert(const Certified &cert);
    void remove(const QByteArray &name);
    Certified find(const QByteArray &name) const;
    QList<Certified> all() const;

    void setChallenge(const QByteArray &name, const Certified &cert);
    void removeChallenge(const QByteArray &name);
    Certified challenge(const QByteArray &name) const;

    void setFallback(const Certified &cert);
    Certified fallback() const;

    // HTTP-01: the key authorization served at /.well-known/acme-challenge/<token>.
    void setHttpToken(const QByteArray &token, const QByteArray &keyAuthorization);
    void removeHttpToken(const QByteArray &token);
    QByteArray httpToken(const QByteArray &token) const;

    void setMissHandler(MissHandler handler);
    void reportMiss(const QByteArray &name) const;

private:
    mutable std::shared_mutex m_mutex;
    QHash<QByteArray, Certified> m_byName;
    QHash<QByteArray, Certified> m_challenges;
    QHash<QByteArray, QByteArray> m_httpTokens;
    Certified m_fallback;
    MissHandler m_onMiss;
};

} // namespace fazt::tls
