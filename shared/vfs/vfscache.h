#pragma once

#include "vfs/vfstypes.h"

#include <QByteArray>
#include <QString>

#include <atomic>
#include <chrono>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <unordered_map>

namespace fazt::vfs {

// A file held in RAM, ready to serve. Immutable once inserted: readers share it.
struct CachedFile {
    FileInfo info;
    QByteArray body;
    QByteArray gzipBody; // the body gzip-compressed, if that is worth it; else empty
    // Response heads prepared once by the HTTP layer (opaque here): 200 plain, 200 gzip, 304;
    // and what it reads per request without building it again: the Content-Type and the
    // entity tags of the plain and the gzip bodies.
    QByteArray head;
    QByteArray gzipHead;
    QByteArray notModifiedHead;
    QByteArray contentType;
    QByteArray etag;
    QByteArray gzipEtag;
    // What this entry costs the cache's byte budget.
    qint64 cost() const;
};

// Byte-weighted LRU of CachedFiles, keyed by (site, path), safe for many reader threads.
//
// Eviction takes the least recently used entries first, except:
//  - pinned entries (the admin site) are never evicted;
//  - a site's root `index.html` is kept while that site was hit (find() of any of its paths)
//    in the last 60 s: the page every visitor opens first does not fall out under a scan.
// Files larger than the large-file threshold are never cached (they are streamed).
class VfsCache {
public:
    using Clock = std::function<std::chrono::steady_clock::time_point()>;
    enum class Pin { No, Yes };
    struct Counters {
        qint64 bytes = 0;
        qint64 entries = 0;
        quint64 hits = 0;
        quint64 misses = 0;
        quint64 evictions = 0;
    };

    static constexpr std::chrono::seconds IndexFloor{60};

    VfsCache(qint64 budgetBytes, qint64 largeFileThreshold);

    // The entry for (site, path), or null. Counts a hit or a miss and marks the site as hit.
    std::shared_ptr<const CachedFile> find(const QString &site, const QString &path);
    // Adds or replaces. False (and nothing cached) when the file is over the large-file
    // threshold or alone larger than the budget.
    bool insert(const QString &site, const QString &path, std::shared_ptr<const CachedFile> file,
                Pin pin = Pin::No);
    void remove(const QString &site, const QString &path);
    // Drops every entry of a site (after a deploy is activated or the site is deleted).
    void removeSite(const QString &site);
    void clear();

    // Changes the budget at run time, evicting at once if it shrank.
    void setBudget(qint64 budgetBytes);
    void setLargeFileThreshold(qint64 bytes);
    qint64 budget() const;
    qint64 largeFileThreshold() const;
    bool isCacheable(qint64 size) const;

    Counters counters() const;

    // For tests: replaces the clock used for the index.html floor.
    void setClock(Clock clock);

private:
    struct Entry {
        QString key;  // site + QChar(0) + path: site names hold no NUL, so keys cannot collide
        QString site; // for removeSite() and the index.html floor
        std::shared_ptr<const CachedFile> file;
        qint64 cost = 0;
        bool isPinned = false;
        bool isRootIndex = false;
    };
    using Lru = std::list<Entry>; // front: most recently used
    struct KeyHash {
        size_t operator()(const QString &key) const noexcept;
    };
    using Index = std::unordered_map<QString, Lru::iterator, KeyHash>;
    using TimePoint = std::chrono::steady_clock::time_point;

    static QString keyOf(const QString &site, const QString &path);
    // The caller holds m_mutex for all of these.
    void evictOverBudget(Lru &evicted);
    bool isProtected(const Entry &entry, std::optional<TimePoint> &now) const;
    void markSiteHit(const QString &site, TimePoint now);

    mutable std::mutex m_mutex;
    Lru m_lru;
    Index m_index;
    std::unordered_map<QString, TimePoint, KeyHash> m_siteHits;
    size_t m_siteHitsPruneMark;
    Clock m_clock;
    qint64 m_budget;
    qint64 m_bytes = 0;
    quint64 m_hits = 0;
    quint64 m_misses = 0;
    quint64 m_evictions = 0;
    // Read without the lock by isCacheable() on the request path.
    std::atomic<qint64> m_largeFileThreshold;
};

} // namespace fazt::vfs
