#pragma once

#include <QHash>
#include <QString>

#include <functional>
#include <list>
#include <mutex>
#include <optional>

namespace fazt::auth {

// Login attempts per key, as a token bucket: a burst of 5, then one more every 12 seconds.
// acquire() counts an attempt *before* its password is checked, so a burst of parallel
// guesses cannot all reach the (slow) hash before the first failure is recorded; a correct
// password starts the key afresh (recordSuccess()). When refused, answer 429 with
// Retry-After. Keys are the client's address (for IPv6 the caller passes the /64 prefix: one
// host owns all of it) and, in a second limiter with a larger burst, the account, so many
// addresses guessing one account are slowed down too. Memory is bounded: past maxAddresses
// the key whose last attempt is oldest is forgotten. Thread-safe.
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

    // nullopt if `key` may try now, else the seconds to wait (at least 1). Counts nothing.
    std::optional<int> retryAfterSeconds(const QString &key) const;
    // Counts an attempt by `key` if it may try now (nullopt: go ahead and check the
    // password); else counts nothing and returns the seconds to wait.
    std::optional<int> acquire(const QString &key);
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
    std::optional<int> waitLocked(const QString &key, qint64 now) const;
    void countLocked(const QString &key, qint64 now);

    const Options m_options;
    const Clock m_clock;
    mutable std::mutex m_mutex;
    std::list<QString> m_order; // most recent failure first
    QHash<QString, Entry> m_entries;
};

} // namespace fazt::auth
