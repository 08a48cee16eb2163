#pragma once

#include "hosting/lookupcache.h"
#include "http/conditional.h"
#include "http/exchange.h"
#include "vfs/vfs.h"
#include "vfs/vfscache.h"

#include <functional>
#include <memory>
#include <vector>

namespace fazt::hosting {

class LiveReload;

// Serves sites' files: clean URLs, index.html, the site's 404.html, SPA fallback,
// ETag/Last-Modified revalidation, single ranges, gzip from the cache, and streaming of files
// too large to cache. Which requests reach it is SiteDispatcher's business.
//
// The hot path is a cache hit: one lookup, and a response assembled from byte arrays that
// were prepared when the file entered the cache (heads included), so nothing is copied.
// Misses are remembered too (LookupCache): a deep link into a single-page app, or a path a
// crawler keeps asking for, costs no query after the first.
class SiteHandler {
public:
    SiteHandler(vfs::Vfs &vfs, vfs::VfsCache &cache);

    // Answers a GET or HEAD (anything else: 405) for `path` (http::decodePath()'s result, or
    // its error: 400) among `site`'s files.
    void serve(http::Exchange &exchange, const QString &site, const Result<QString> &path);

    // The web dashboard: on the admin host, every path outside /api/ is a file of `site`,
    // served with `headers` (its Content-Security-Policy) added.
    // Call before serving, then pinDashboard().
    void setDashboard(const QString &site, std::vector<http::Header> headers);
    const QString &dashboardSite() const { return m_dashboardSite; }
    // Loads every file of the dashboard's active deploy into the cache, pinned (never
    // evicted): the admin host answers from RAM whatever user traffic does to the cache.
    // Returns the number of files pinned.
    Result<int> pinDashboard();
    // Preview mode (`fazt preview`, the console's preview): HTML pages carry the live-reload
    // script and every file is sent with Cache-Control: no-cache, so an edited stylesheet or
    // script shows on the next load instead of after max-age. Call before serving.
    void setLiveReload(LiveReload *liveReload) { m_liveReload = liveReload; }
    // Asked before a cache miss reads a file from the database; false answers 503 with
    // Retry-After (the memory breaker: cache hits are still served). Call before serving.
    void setCacheFillGate(std::function<bool()> gate) { m_cacheFillGate = std::move(gate); }

    // True for a normalised path (http::decodePath()) that belongs to a site's functions:
    // "api" and everything under "api/".
    static bool isFunctionPath(QStringView path);
    // True for file names that carry a content hash (app.3f9a2c1b.js, index-BzX12kd9.css):
    // such files never change, so they may be cached for a year.
    static bool isFingerprinted(const QString &path);
    static bool isCompressible(const QString &mime);

private:
    struct Lookup; // outcome of resolving a request path
    enum class Encoding { Identity, Gzip };

    bool hasFunctions(const QString &site);
    Lookup resolve(const QString &site, const QString &path);
    std::shared_ptr<const vfs::CachedFile> prepare(const QString &site, const vfs::FileInfo &file);
    void serveFile(http::Exchange &exchange, const QString &site, const vfs::CachedFile &entry,
                   int status);
    void streamFile(http::Exchange &exchange, const QString &site, const vfs::FileInfo &file,
                    int status);
    void serveNotFound(http::Exchange &exchange, const QString &site);
    LookupCache::Fallback fallbackOf(const QString &site);
    // A file's response without its body: type, validators, caching, the site's extra fields.
    http::Response fileResponse(int status, const QString &site, const vfs::FileInfo &file,
                                Encoding encoding) const;
    static http::Validators validatorsOf(const vfs::CachedFile &entry);

    vfs::Vfs &m_vfs;
    vfs::VfsCache &m_cache;
    LookupCache m_misses;
    QString m_dashboardSite;
    std::vector<http::Header> m_dashboardHeaders;
    LiveReload *m_liveReload = nullptr;
    std::function<bool()> m_cacheFillGate;
};

} // namespace fazt::hosting
