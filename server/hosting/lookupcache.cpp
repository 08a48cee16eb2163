#include "hosting/lookupcache.h"

#include "vfs/vfs.h"

namespace fazt::hosting {

namespace {

QString keyOf(const QString &site, const QString &path) {
    return site + QChar(0) + path;
}

} // namespace

LookupCache::LookupCache(vfs::Vfs &vfs)
    : m_vfs(vfs)
    , m_generation(vfs.generation())
    , m_since(std::chrono::steady_clock::now()) {}

quint64 LookupCache::generation() const {
    return m_vfs.generation();
}

void LookupCache::forgetIfStale() {
    const quint64 generation = m_vfs.generation();
    const auto now = std::chrono::steady_clock::now();
    if (generation == m_generation && now - m_since < MaxAge && m_missing.size() < MaxPaths)
        return;
    m_fallbacks.clear();
    m_missing.clear();
    m_generation = generation;
    m_since = now;
}

bool LookupCache::isMissing(const QString &site, const QString &path) {
    std::lock_guard lock(m_mutex);
    forgetIfStale();
    return m_missing.contains(keyOf(site, path));
}

void LookupCache::rememberMissing(const QString &site, const QString &path,
                                  quint64 seenGeneration) {
    std::lock_guard lock(m_mutex);
    forgetIfStale();
    if (seenGeneration == m_generation)
        m_missing.insert(keyOf(site, path));
}

std::optional<LookupCache::Fallback> LookupCache::fallback(const QString &site) {
    std::lock_guard lock(m_mutex);
    forgetIfStale();
    const auto found = m_fallbacks.constFind(site);
    if (found == m_fallbacks.cend())
        return std::nullopt;
    return *found;
}

void LookupCache::rememberFallback(const QString &site, Fallback fallback,
                                   quint64 seenGeneration) {
    std::lock_guard lock(m_mutex);
    forgetIfStale();
    if (seenGeneration == m_generation)
        m_fallbacks.insert(site, fallback);
}

} // namespace fazt::hosting
