#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHash>
#include <QList>
#include <QString>

#include <functional>
#include <list>
#include <mutex>
#include <optional>

namespace fazt::auth {

// A logged-in browser. The id is the cookie's value; the CSRF token must accompany every
// state-changing request made with that cookie. Both are 32 random bytes as base64url.
struct Session {
    QByteArray id;
    QByteArray csrfToken;
    QString username;
    qint64 createdAt = 0;         // Unix seconds
    qint64 expiresAt = 0;         // ends here unless used again (moves forward on each use)
    qint64 absoluteExpiresAt = 0; // ends here whatever happens: createdAt + absolute lifetime
};

// Sessions live in RAM only (a restart logs everyone out) and are bounded: past maxSessions
// the least recently used one is dropped. Expiry slides: each find() extends a session by the
// idle timeout, never past its absolute lifetime. Thread-safe.
class SessionStore {
public:
    using Clock = std::function<qint64()>; // Unix seconds
    struct Options {
        qint64 idleTimeout = 12 * 3600;          // seconds without use before a session ends
        qint64 absoluteLifetime = 7 * 24 * 3600; // seconds after login a session always ends
        int maxSessions = 10000;
    };

    SessionStore();
    explicit SessionStore(Options options, Clock clock = {});

    Session create(const QString &username);
    // The session with this id, its expiry extended; nullopt (and the session dropped) if it
    // expired.
    std::optional<Session> find(QByteArrayView id);
    void remove(QByteArrayView id);
    // Ends every session of `username` (after a password change).
    void removeUser(const QString &username);
    // Sessions held; an expired one counts until the next create() or find() drops it.
    int count() const;

    const Options &options() const { return m_options; }

private:
    using Entries = std::list<Session>; // most recently used first
    bool isExpired(const Session &session, qint64 now) const;
    void erase(Entries::iterator it);

    const Options m_options;
    const Clock m_clock;
    mutable std::mutex m_mutex;
    Entries m_entries;
    QHash<QByteArray, Entries::iterator> m_byId;
};

// Over HTTPS the cookie has the __Host- prefix: browsers take it only from this very host
// over HTTPS (Secure, Path=/, no Domain), so a sibling site (evil.<domain>) cannot plant one
// that wins. Over plain HTTP there is no such guarantee; see sessionIdsFromCookieHeader().
inline constexpr char SessionCookieName[] = "fazt_session";
inline constexpr char SecureSessionCookieName[] = "__Host-fazt_session";

// The Set-Cookie value that hands `session` to the browser:
// "fazt_session=<id>; Path=/; HttpOnly; SameSite=Strict; Max-Age=<seconds>", or over HTTPS
// "__Host-fazt_session=<id>; ...; Secure". It lives until the session's absolute expiry; the
// server ends idle sessions earlier.
QByteArray sessionCookie(const Session &session, bool isSecure);
// The Set-Cookie value that makes the browser forget the session cookie (logout).
QByteArray clearedSessionCookie(bool isSecure);
// The candidate session ids in a Cookie request header ("a=b; fazt_session=<id>"), in order:
// the values of the session cookie for this transport (__Host-fazt_session over HTTPS) that
// can be session ids. Spacing is forgiven; other values are ignored. Several may be present
// (a parent domain or a sibling site can set one too): the caller takes the first one that is
// a live session, so a planted cookie cannot push the owner's aside.
QList<QByteArray> sessionIdsFromCookieHeader(QByteArrayView cookieHeader, bool isSecure);

// True if `header` (the X-CSRF-Token request header) is this session's CSRF token. Constant
// time: the comparison does not reveal how much of a guess was right.
bool csrfMatches(const Session &session, QByteArrayView header);

} // namespace fazt::auth
