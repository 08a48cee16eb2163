#include "vfs/vfscache.h"

#include <QHashFunctions>

#include <algorithm>
#include <iterator>

namespace fazt::vfs {

namespace {

// What an entry costs beyond its strings and body: the list and index nodes, the Entry, the
// CachedFile with its FileInfo, and the shared_ptr control block. An estimate: it only has to
// keep a cache of many tiny files from growing far past its budget.
constexpr qint64 PerEntryOverhead = 256;

// m_siteHits is keyed by whatever site names find() is asked about. Once it reaches the mark,
// records older than IndexFloor (which protect nothing) are swept; the mark then doubles, so the
// sweep costs amortised O(1) per new site and the map stays bounded by the sites hit recently.
constexpr size_t MinSiteHitsPruneMark = 1024;

} // namespace

qint64 CachedFile::cost() const {
    return body.size() + gzipBody.size() + head.size() + gzipHead.size() +
           notModifiedHead.size() + contentType.size() + etag.size() + gzipEtag.size() +
           PerEntryOverhead +
           qint64(sizeof(QChar)) * (info.path.size() + info.mime.size()) + info.hash.size();
}

size_t VfsCache::KeyHash::operator()(const QString &key) const noexcept {
    return qHash(key, QHashSeed::globalSeed());
}

VfsCache::VfsCache(qint64 budgetBytes, qint64 largeFileThreshold)
    : m_siteHitsPruneMark(MinSiteHitsPruneMark)
    , m_clock(&std::chrono::steady_clock::now)
    , m_budget(std::max<qint64>(0, budgetBytes))
    , m_largeFileThreshold(largeFileThreshold) {}

QString VfsCache::keyOf(const QString &site, const QString &path) {
    return site + QChar(u'\0') + path;
}

std::shared_ptr<const CachedFile> VfsCache::find(const QString &site, const QString &path) {
    const QString key = keyOf(site, path);
    std::lock_guard lock(m_mutex);
    markSiteHit(site, m_clock());
    const auto found = m_index.find(key);
    if (found == m_index.end()) {
        ++m_misses;
        return nullptr;
    }
    ++m_hits;
    m_lru.splice(m_lru.begin(), m_lru, found->second);
    return found->second->file;
}

// Returns false too when the new entry was itself evicted at once, which happens only when the
// protected entries (pinned, or a recently hit index.html) leave no room for it.
bool VfsCache::insert(const QString &site, const QString &path,
                      std::shared_ptr<const CachedFile> file, Pin pin) {
    if (!file || !isCacheable(file->body.size()))
        return false;

    // The list node and the index node are built before the lock is taken and spliced in under
    // it, so the critical section allocates nothing but an occasional rehash of the index.
    const qint64 cost = file->cost();
    Lru staged;
    staged.push_back(Entry{keyOf(site, path), site, std::move(file), cost, pin == Pin::Yes,
                           path == u"index.html"});
    const auto entry = staged.begin();
    Index stagedIndex;
    stagedIndex.emplace(entry->key, entry);
    Index::node_type indexNode = stagedIndex.extract(stagedIndex.begin());

    Lru dropped; // declared before the lock: bodies are freed after it is released
    std::lock_guard lock(m_mutex);
    if (cost > m_budget)
        return false;
    if (const auto existing = m_index.find(entry->key); existing != m_index.end()) {
        m_bytes -= existing->second->cost;
        dropped.splice(dropped.end(), m_lru, existing->second);
        existing->second = entry;
    } else {
        m_index.insert(std::move(indexNode));
    }
    const Entry *inserted = &*entry;
    m_lru.splice(m_lru.begin(), staged, entry);
    m_bytes += cost;
    evictOverBudget(dropped);
    return !m_lru.empty() && &m_lru.front() == inserted;
}

void VfsCache::remove(const QString &site, const QString &path) {
    const QString key = keyOf(site, path);
    Lru dropped;
    Index::node_type indexNode;
    std::lock_guard lock(m_mutex);
    indexNode = m_index.extract(key);
    if (indexNode.empty())
        return;
    m_bytes -= indexNode.mapped()->cost;
    dropped.splice(dropped.end(), m_lru, indexNode.mapped());
}

// A linear scan: it runs once per deploy activation or site deletion, not per request.
void VfsCache::removeSite(const QString &site) {
    Lru dropped;
    std::lock_guard lock(m_mutex);
    for (auto it = m_lru.begin(); it != m_lru.end();) {
        const auto next = std::next(it);
        if (it->site == site) {
            m_bytes -= it->cost;
            m_index.erase(it->key);
            dropped.splice(dropped.end(), m_lru, it);
        }
        it = next;
    }
}

// Drops the entries but keeps the per-site hit times: those describe traffic, not contents.
void VfsCache::clear() {
    Lru dropped;
    Index droppedIndex;
    std::lock_guard lock(m_mutex);
    dropped.swap(m_lru);
    droppedIndex.swap(m_index);
    m_bytes = 0;
}

void VfsCache::setBudget(qint64 budgetBytes) {
    Lru dropped;
    std::lock_guard lock(m_mutex);
    m_budget = std::max<qint64>(0, budgetBytes);
    evictOverBudget(dropped);
}

// Applies to later inserts; entries already cached leave through the LRU like any other.
void VfsCache::setLargeFileThreshold(qint64 bytes) {
    m_largeFileThreshold.store(bytes, std::memory_order_relaxed);
}

qint64 VfsCache::budget() const {
    std::lock_guard lock(m_mutex);
    return m_budget;
}

qint64 VfsCache::largeFileThreshold() const {
    return m_largeFileThreshold.load(std::memory_order_relaxed);
}

bool VfsCache::isCacheable(qint64 size) const {
    return size <= largeFileThreshold();
}

VfsCache::Counters VfsCache::counters() const {
    std::lock_guard lock(m_mutex);
    return {m_bytes, qint64(m_index.size()), m_hits, m_misses, m_evictions};
}

void VfsCache::setClock(Clock clock) {
    std::lock_guard lock(m_mutex);
    m_clock = clock ? std::move(clock) : Clock(&std::chrono::steady_clock::now);
}

// Walks from the least recently used end, skipping protected entries where they stand. When only
// protected entries are left the cache stays over budget: they are few (the admin site's files,
// one index.html per recently visited site), and dropping them would defeat their purpose.
void VfsCache::evictOverBudget(Lru &evicted) {
    std::optional<TimePoint> now; // read once, and only if an index.html is considered
    auto it = m_lru.end();
    while (m_bytes > m_budget && it != m_lru.begin()) {
        const auto candidate = std::prev(it);
        if (isProtected(*candidate, now)) {
            it = candidate;
            continue;
        }
        m_bytes -= candidate->cost;
        m_index.erase(candidate->key);
        evicted.splice(evicted.end(), m_lru, candidate);
        ++m_evictions;
    }
}

bool VfsCache::isProtected(const Entry &entry, std::optional<TimePoint> &now) const {
    if (entry.isPinned)
        return true;
    if (!entry.isRootIndex)
        return false;
    const auto hit = m_siteHits.find(entry.site);
    if (hit == m_siteHits.end())
        return false;
    if (!now)
        now = m_clock();
    return *now - hit->second <= IndexFloor;
}

void VfsCache::markSiteHit(const QString &site, TimePoint now) {
    if (const auto hit = m_siteHits.find(site); hit != m_siteHits.end()) {
        hit->second = now;
        return;
    }
    if (m_siteHits.size() >= m_siteHitsPruneMark) {
        std::erase_if(m_siteHits, [now](const auto &h) { return now - h.second > IndexFloor; });
        m_siteHitsPruneMark = std::max(MinSiteHitsPruneMark, 2 * m_siteHits.size());
    }
    m_siteHits.emplace(site, now);
}

} // namespace fazt::vfs
