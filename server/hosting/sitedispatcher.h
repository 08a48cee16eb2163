#pragma once

#include "hosting/hostrouter.h"
#include "hosting/knownsites.h"
#include "hosting/sitehandler.h"
#include "hosting/tracker.h"
#include "http/exchange.h"

namespace fazt::hosting {

class FunctionRuntime;
class LiveReload;

// What the server hands every request that Guard lets through: it routes the host, then
// chooses who answers. On a site: the live-reload stream (preview), the site's functions
// (/api/...), the analytics endpoints (/track, /pixel.gif), else its files (SiteHandler),
// counted by the Tracker. On the admin host: the dashboard's files, else the admin API.
class SiteDispatcher : public http::Handler {
public:
    SiteDispatcher(SiteHandler &files, HostRouter &router, vfs::Vfs &vfs);

    void handle(http::Exchange &exchange) override;
    // Requests for admin.<domain> go to `admin` (the admin API); without one they get 404.
    void setAdminHandler(http::Handler *admin) { m_admin = admin; }
    // With a tracker, every request for a site that exists is counted and /track and
    // /pixel.gif take events (a made-up <name>.<domain> is never counted).
    void setTracker(Tracker *tracker) { m_tracker = tracker; }
    // With a runtime, /api/... on a site whose deploy has api/main.js runs its functions.
    // Whether or not there is a runtime, such a site never serves anything under api/ as a
    // file (its sources).
    void setFunctionRuntime(FunctionRuntime *functions) { m_functions = functions; }
    // Preview mode: /__fazt/livereload is the page's event stream, and the files are served
    // as SiteHandler::setLiveReload() says. Call before serving.
    void setLiveReload(LiveReload *liveReload);

private:
    SiteHandler &m_files;
    HostRouter &m_router;
    KnownSites m_knownSites;
    http::Handler *m_admin = nullptr;
    Tracker *m_tracker = nullptr;
    FunctionRuntime *m_functions = nullptr;
    LiveReload *m_liveReload = nullptr;
};

} // namespace fazt::hosting
