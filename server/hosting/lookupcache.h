#pragma once

#include <QHash>
#include <QSet>
#include <QString>

#include <chrono>
#include <mutex>
#include <optional>

namespace fazt::vfs {
class Vfs;
}

namespace fazt::hosting {

// What the database said about addresses that name no file, so that asking again costs no
// query: per site, what a miss is answered with (no such site, its 404 page, or its
// index.html for a single-page app), and the paths known to be missing. A deep link into a
// single-page app costs four queries and a JSON parse the first time, none after.
//
// Everything is forgotten when a site changes (Vfs::generation()), at least once a second
// (another process may deploy to the same database), and when MaxPaths paths are held (a scan
// of made-up paths only keeps resetting it). An answer is only remembered if no change
// happened since it was read: callers pass the generation they saw before asking. Thread-safe.
class LookupCache {
public:
    enum class Fallback { NoSuchSite, NotFoundPage, SinglePageApp };
    static constexpr qsizetype MaxPaths = 10000;
    static constexpr std::chrono::milliseconds MaxAge{1000};

    explicit LookupCache(vfs::Vfs &vfs);

    // The generation to pass to remember...(): read it before asking the database.
    quint64 generation() const;
    bool isMissing(const QString &site, const QString &path);
    void rememberMissing(const QString &site, const QString &path, quint64 seenGeneration);
    std::optional<Fallback> fallback(const QString &site);
    void rememberFallback(const QString &site, Fallback fallback, quint64 seenGeneration);

private:
    // With m_mutex held: forgets everything if it may be out of date.
    void forgetIfStale();

    vfs::Vfs &m_vfs;
    std::mutex m_mutex;
    quint64 m_generation = 0;
    std::chrono::steady_clock::time_point m_since;
    QHash<QString, Fallback> m_fallbacks;
    QSet<QString> m_missing; // site + QChar(0) + path; site names hold no NUL
};

} // namespace fazt::hosting
