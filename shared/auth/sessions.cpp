#include "auth/sessions.h"

#include "auth/securerandom.h"

#include <QDateTime>

#include <openssl/crypto.h>

namespace fazt::auth {

SessionStore::SessionStore()
    : SessionStore(Options{}) {}

SessionStore::SessionStore(Options options, Clock clock)
    : m_options(options)
    , m_clock(clock ? std::move(clock) : Clock(&QDateTime::currentSecsSinceEpoch)) {}

bool SessionStore::isExpired(const Session &session, qint64 now) const {
    return now >= session.expiresAt;
}

void SessionStore::erase(Entries::iterator it) {
    m_byId.remove(it->id);
    m_entries.erase(it);
}

Session SessionStore::create(const QString &username) {
    const qint64 now = m_clock();
    Session session;
    session.id = secureRandomToken();
    session.csrfToken = secureRandomToken();
    session.username = username;
    session.createdAt = now;
    session.absoluteExpiresAt = now + m_options.absoluteLifetime;
    session.expiresAt = std::min(now + m_options.idleTimeout, session.absoluteExpiresAt);

    std::lock_guard lock(m_mutex);
    // The least recently used sessions are at the back: drop the expired ones there, then
    // make room if the store is full.
    while (!m_entries.empty() && isExpired(m_entries.back(), now))
        erase(std::prev(m_entries.end()));
    while (!m_entries.empty() && int(m_entries.size()) >= m_options.maxSessions)
        erase(std::prev(m_entries.end()));
    m_entries.push_front(session);
    m_byId.insert(session.id, m_entries.begin());
    return session;
}

std::optional<Session> SessionStore::find(QByteArrayView id) {
    const qint64 now = m_clock();
    std::lock_guard lock(m_mutex);
    const auto found = m_byId.constFind(id.toByteArray());
    if (found == m_byId.cend())
        return std::nullopt;
    const Entries::iterator it = *found;
    if (isExpired(*it, now)) {
        erase(it);
        return std::nullopt;
    }
    it->expiresAt = std::min(now + m_options.idleTimeout, it->absoluteExpiresAt);
    m_entries.splice(m_entries.begin(), m_entries, it);
    return *it;
}

void SessionStore::remove(QByteArrayView id) {
    std::lock_guard lock(m_mutex);
    if (const auto found = m_byId.constFind(id.toByteArray()); found != m_byId.cend())
        erase(*found);
}

void SessionStore::removeUser(const QString &username) {
    std::lock_guard lock(m_mutex);
    for (auto it = m_entries.begin(); it != m_entries.end();) {
        const auto next = std::next(it);
        if (it->username == username)
            erase(it);
        it = next;
    }
}

int SessionStore::count() const {
    std::lock_guard lock(m_mutex);
    return int(m_entries.size());
}

namespace {

QByteArrayView cookieName(bool isSecure) {
    return isSecure ? QByteArrayView(SecureSessionCookieName) : QByteArrayView(SessionCookieName);
}

QByteArray cookie(QByteArrayView value, qint64 maxAge, bool isSecure) {
    QByteArray header =
        cookieName(isSecure).toByteArray() + '=' + value.toByteArray() +
        "; Path=/; HttpOnly; SameSite=Strict; Max-Age=" + QByteArray::number(maxAge);
    if (isSecure)
        header += "; Secure";
    return header;
}

QByteArrayView trimmed(QByteArrayView text) {
    while (!text.isEmpty() && (text.front() == ' ' || text.front() == '\t'))
        text = text.sliced(1);
    while (!text.isEmpty() && (text.back() == ' ' || text.back() == '\t'))
        text.chop(1);
    return text;
}

} // namespace

QByteArray sessionCookie(const Session &session, bool isSecure) {
    return cookie(session.id, std::max<qint64>(0, session.absoluteExpiresAt - session.createdAt),
                  isSecure);
}

QByteArray clearedSessionCookie(bool isSecure) {
    return cookie({}, 0, isSecure);
}

QList<QByteArray> sessionIdsFromCookieHeader(QByteArrayView cookieHeader, bool isSecure) {
    // Sessions ids are 43 characters; anything much longer is not one of ours. A handful of
    // candidates is plenty: a browser sends one per domain level and path.
    constexpr qsizetype MaxIdLength = 64;
    constexpr qsizetype MaxCandidates = 8;
    const QByteArrayView name = cookieName(isSecure);
    QList<QByteArray> ids;
    while (!cookieHeader.isEmpty()) {
        const qsizetype end = cookieHeader.indexOf(';');
        const QByteArrayView pair = trimmed(end < 0 ? cookieHeader : cookieHeader.first(end));
        cookieHeader = end < 0 ? QByteArrayView() : cookieHeader.sliced(end + 1);
        const qsizetype equals = pair.indexOf('=');
        if (equals < 0 || trimmed(pair.first(equals)) != name)
            continue;
        QByteArrayView value = trimmed(pair.sliced(equals + 1));
        if (value.size() >= 2 && value.front() == '"' && value.back() == '"')
            value = value.sliced(1, value.size() - 2);
        if (value.size() <= MaxIdLength && isBase64Url(value) && ids.size() < MaxCandidates)
            ids.append(value.toByteArray());
    }
    return ids;
}

bool csrfMatches(const Session &session, QByteArrayView header) {
    if (session.csrfToken.isEmpty() || header.size() != session.csrfToken.size())
        return false;
    return CRYPTO_memcmp(header.data(), session.csrfToken.constData(), size_t(header.size())) == 0;
}

} // namespace fazt::auth
