#pragma once

#include <QHash>
#include <QString>

#include <functional>
#include <list>
#include <mutex>
#include <optional>

namespace fazt::auth {

// Failed logins per client address, as a token bucket: a burst of 5 failures, then one more
// every 12 seconds. Ask before checking a password; when refused, answer 429 with Retry-After.
// The key is the peer address of the socket (for IPv6 the caller should pass the /64 prefix:
// one host owns all of it). Memory is bounded: past maxAddresses the address whose last
// failure is oldest is forgotten. Thread-safe.
class LoginLimiter {
public:
    using Clock = std::function<qint64()>; // Unix seconds
    struct Options {
        int burst = 5;              // failures allowed back to back
        qint64 refillInterval = 12; // seconds per further attempt
        int maxAddresses = 100000;
    };

    LoginLimiter();
    explicit LoginLimiter(Options options, Clock clock = {});

    // nullopt if `key` may try now, else the seconds to wait (at least 1).
    std::optional<int> retryAfterSeconds(const QString &key) const;
    void recordFailure(const QString &key);
    // A correct password: the address starts afresh.
    void recordSuccess(const QString &key);
    // Addresses currently tracked.
    int count() const;

    const Options &options() const { return m_options; }

private:
    // Generic cell rate algorithm: one number per address, the time at which its bucket
    // would be full again ("theoretical arrival time"). Each failure pushes it one interval
    // later; an attempt is allowed while it is at most (burst - 1) intervals ahead of now.
    struct Entry {
        qint64 fullAt = 0;
        std::list<QString>::iterator order;
    };

    const Options m_options;
    const Clock m_clock;
    mutable std::mutex m_mutex;
    std::list<QString> m_order; // most recent failure first
    QHash<QString, Entry> m_entries;
};

} // namespace fazt::auth
