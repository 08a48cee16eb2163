#include "auth/loginlimiter.h"

#include <QDateTime>

#include <algorithm>
#include <limits>

namespace fazt::auth {

LoginLimiter::LoginLimiter()
    : LoginLimiter(Options{}) {}

LoginLimiter::LoginLimiter(Options options, Clock clock)
    : m_options(options)
    , m_clock(clock ? std::move(clock) : Clock(&QDateTime::currentSecsSinceEpoch)) {}

std::optional<int> LoginLimiter::retryAfterSeconds(const QString &key) const {
    const qint64 now = m_clock();
    std::lock_guard lock(m_mutex);
    return waitLocked(key, now);
}

std::optional<int> LoginLimiter::acquire(const QString &key) {
    const qint64 now = m_clock();
    std::lock_guard lock(m_mutex);
    if (const auto wait = waitLocked(key, now))
        return wait;
    countLocked(key, now);
    return std::nullopt;
}

void LoginLimiter::recordFailure(const QString &key) {
    const qint64 now = m_clock();
    std::lock_guard lock(m_mutex);
    countLocked(key, now);
}

std::optional<int> LoginLimiter::waitLocked(const QString &key, qint64 now) const {
    const auto it = m_entries.constFind(key);
    if (it == m_entries.cend())
        return std::nullopt;
    const qint64 wait = it->fullAt - now - qint64(m_options.burst - 1) * m_options.refillInterval;
    if (wait <= 0)
        return std::nullopt;
    return int(std::min<qint64>(wait, std::numeric_limits<int>::max()));
}

void LoginLimiter::countLocked(const QString &key, qint64 now) {
    auto it = m_entries.find(key);
    if (it == m_entries.end()) {
        while (!m_order.empty() && int(m_entries.size()) >= m_options.maxAddresses) {
            m_entries.remove(m_order.back());
            m_order.pop_back();
        }
        m_order.push_front(key);
        it = m_entries.insert(key, Entry{now, m_order.begin()});
    } else {
        m_order.splice(m_order.begin(), m_order, it->order);
    }
    // An empty bucket stays empty: failures recorded while refused do not lengthen the wait.
    it->fullAt = std::min(std::max(it->fullAt, now) + m_options.refillInterval,
                          now + qint64(m_options.burst) * m_options.refillInterval);
}

void LoginLimiter::recordSuccess(const QString &key) {
    std::lock_guard lock(m_mutex);
    const auto it = m_entries.find(key);
    if (it == m_entries.end())
        return;
    m_order.erase(it->order);
    m_entries.erase(it);
}

int LoginLimiter::count() const {
    std::lock_guard lock(m_mutex);
    return int(m_entries.size());
}

} // namespace fazt::auth
