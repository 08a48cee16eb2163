#include "tls/certcache.h"

#include <mutex>

namespace fazt::tls {

void CertCache::insert(const Certified &cert) {
    std::unique_lock lock(m_mutex);
    for (const QString &name : cert->names)
        m_byName.insert(name.toLatin1(), cert);
}

void CertCache::remove(const QByteArray &name) {
    std::unique_lock lock(m_mutex);
    m_byName.remove(name);
}

CertCache::Certified CertCache::find(const QByteArray &name) const {
    std::shared_lock lock(m_mutex);
    if (auto it = m_byName.constFind(name); it != m_byName.constEnd())
        return *it;
    const qsizetype dot = name.indexOf('.');
    if (dot > 0) {
        if (auto it = m_byName.constFind(QByteArray("*" + name.mid(dot)));
            it != m_byName.constEnd())
            return *it;
    }
    return {};
}

QList<CertCache::Certified> CertCache::all() const {
    std::shared_lock lock(m_mutex);
    QList<Certified> list;
    for (const Certified &cert : m_byName)
        if (!list.contains(cert))
            list.append(cert);
    return list;
}

void CertCache::setChallenge(const QByteArray &name, const Certified &cert) {
    std::unique_lock lock(m_mutex);
    m_challenges.insert(name, cert);
}

void CertCache::removeChallenge(const QByteArray &name) {
    std::unique_lock lock(m_mutex);
    m_challenges.remove(name);
}

CertCache::Certified CertCache::challenge(const QByteArray &name) const {
    std::shared_lock lock(m_mutex);
    return m_challenges.value(name);
}

void CertCache::setFallback(const Certified &cert) {
    std::unique_lock lock(m_mutex);
    m_fallback = cert;
}

CertCache::Certified CertCache::fallback() const {
    std::shared_lock lock(m_mutex);
    return m_fallback;
}

void CertCache::setHttpToken(const QByteArray &token, const QByteArray &keyAuthorization) {
    std::unique_lock lock(m_mutex);
    m_httpTokens.insert(token, keyAuthorization);
}

void CertCache::removeHttpToken(const QByteArray &token) {
    std::unique_lock lock(m_mutex);
    m_httpTokens.remove(token);
}

QByteArray CertCache::httpToken(const QByteArray &token) const {
    std::shared_lock lock(m_mutex);
    return m_httpTokens.value(token);
}

void CertCache::setMissHandler(MissHandler handler) {
    std::unique_lock lock(m_mutex);
    m_onMiss = std::move(handler);
}

void CertCache::reportMiss(const QByteArray &name) const {
    MissHandler handler;
    {
        std::shared_lock lock(m_mutex);
        handler = m_onMiss;
    }
    if (handler) // outside the lock: the handler takes locks of its own
        handler(name);
}

} // namespace fazt::tls
