#pragma once

#include "hosting/hostrouter.h"
#include "hosting/knownsites.h"
#include "hosting/tracker.h"
#include "http/conditional.h"
#include "http/exchange.h"
#include "vfs/vfs.h"
#include "vfs/vfscache.h"

#include <functional>
#include <memory>

namespace fazt::hosting {

class FunctionRuntime;
class LiveReload;

// Serves sites' files: host routing, clean URLs, index.html, the site's 404.html, SPA
// fallback, ETag/Last-Modified revalidation, single ranges, HEAD, gzip from the cache, and
// streaming of files too large to cache.
//
// The hot path is a cache hit: one lookup, and a response assembled from byte arrays that
// were prepared when the file entered the cache (heads included), so nothing is copied.
class SiteHandler : public http::Handler {
public:
    SiteHandler(vfs::Vfs &vfs, vfs::VfsCache &cache, HostRouter &router);

    void handle(http::Exchange &exchange) override;
    // Requests for admin.<domain> go to `admin` (the admin API); without one they get 404.
    void setAdminHandler(http::Handler *admin) { m_admin = admin; }
    // The web dashboard: on the admin host, every path outside /api/ is a file of `site`,
    // served with `headers` (its Content-Security-Policy) added.
    // Call before serving, then pinDashboard().
    void setDashboard(const QString &site, std::vector<http::Header> headers);
    // Loads every file of the dashboard's active deploy into the cache, pinned (never
    // evicted): the admin host answers from RAM whatever user traffic does to the cache.
    // Returns the number of files pinned.
    Result<int> pinDashboard();
    // With a tracker, every request for a site that exists is counted and /track and
    // /pixel.gif take events (a made-up <name>.<domain> is never counted).
    void setTracker(Tracker *tracker) { m_tracker = tracker; }
    // With a runtime, /api/... on a site whose deploy has api/main.js runs its functions.
    // Whether or not there is a runtime, such a site never serves anything under api/ as a
    // file (its sources).
    void setFunctionRuntime(FunctionRuntime *functions) { m_functions = functions; }
    // Preview mode (`fazt preview`, the console's preview): HTML pages carry the live-reload
    // script, /__fazt/livereload is its event stream, and every file is sent with
    // Cache-Control: no-cache, so an edited stylesheet or script shows on the next load
    // instead of after max-age. Call before serving.
    void setLiveReload(LiveReload *liveReload) { m_liveReload = liveReload; }
    // Asked before a cache miss reads a file from the database; false answers 503 with
    // Retry-After (the memory breaker: cache hits are still served). Call before serving.
    void setCacheFillGate(std::function<bool()> gate) { m_cacheFillGate = std::move(gate); }

    // Decodes %XX once, checks the result (no NUL, no "..", no backslash, valid UTF-8) and
    // normalises it: "." segments and empty ones (duplicate slashes) are dropped, a trailing
    // '/' is kept. Returns the path without its leading '/', or an error for a 400. This one
    // path decides everything about a request: function or file, and which file.
    static Result<QString> decodePath(QByteArrayView rawPath);
    // True for a normalised path (decodePath()) that belongs to a site's functions: "api" and
    // everything under "api/".
    static bool isFunctionPath(QStringView path);
    // True for file names that carry a content hash (app.3f9a2c1b.js, index-BzX12kd9.css):
    // such files never change, so they may be cached for a year.
    static bool isFingerprinted(const QString &path);
    static bool isCompressible(const QString &mime);

private:
    struct Lookup; // outcome of resolving a request path
    void serveSite(http::Exchange &exchange, const QString &site, const Result<QString> &path);
    bool hasFunctions(const QString &site);
    Lookup resolve(const QString &site, const QString &path);
    std::shared_ptr<const vfs::CachedFile> prepare(const QString &site, const vfs::FileInfo &file);
    enum class Encoding { Identity, Gzip };
    void serveFile(http::Exchange &exchange, const QString &site, const vfs::CachedFile &entry,
                   int status);
    void streamFile(http::Exchange &exchange, const QString &site, const vfs::FileInfo &file,
                    int status);
    void serveNotFound(http::Exchange &exchange, const QString &site);
    // A file's response without its body: type, validators, caching, the site's extra fields.
    http::Response fileResponse(int status, const QString &site, const vfs::FileInfo &file,
                                Encoding encoding) const;
    static http::Validators validatorsOf(const vfs::CachedFile &entry);

    vfs::Vfs &m_vfs;
    vfs::VfsCache &m_cache;
    HostRouter &m_router;
    http::Handler *m_admin = nullptr;
    QString m_dashboardSite;
    std::vector<http::Header> m_dashboardHeaders;
    Tracker *m_tracker = nullptr;
    KnownSites m_knownSites;
    FunctionRuntime *m_functions = nullptr;
    LiveReload *m_liveReload = nullptr;
    std::function<bool()> m_cacheFillGate;
};

} // namespace fazt::hosting
