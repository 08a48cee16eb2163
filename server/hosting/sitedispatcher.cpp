#include "hosting/sitedispatcher.h"

#include "hosting/functions/functionruntime.h"
#include "hosting/livereload.h"
#include "http/responses.h"
#include "http/urlpath.h"

namespace fazt::hosting {

using http::Exchange;

SiteDispatcher::SiteDispatcher(SiteHandler &files, HostRouter &router, vfs::Vfs &vfs)
    : m_files(files)
    , m_router(router)
    , m_knownSites(vfs) {}

void SiteDispatcher::setLiveReload(LiveReload *liveReload) {
    m_liveReload = liveReload;
    m_files.setLiveReload(liveReload);
}

void SiteDispatcher::handle(Exchange &exchange) {
    const http::Request &request = exchange.request();
    const HostRouter::Route route = m_router.route(request.host());
    switch (route.kind) {
    case HostRouter::Route::Kind::Site: {
        // Decoded and normalised once: the same path decides "function or file" and, for a
        // file, which one, so no spelling of /api/... (//api, /./api, /%61pi, /api%2f...)
        // reaches the static files of a site that has functions.
        const Result<QString> path = http::decodePath(request.path());
        if (m_liveReload && m_liveReload->handle(exchange))
            return;
        Tracker *tracker = m_tracker && m_knownSites.contains(route.site) ? m_tracker : nullptr;
        if (path && m_functions && SiteHandler::isFunctionPath(*path) &&
            m_functions->handle(exchange, route.site, u'/' + *path,
                                tracker ? tracker->counterFor(request, route.site)
                                        : FunctionRuntime::Counter()))
            return;
        if (tracker) {
            if (tracker->handleEndpoint(exchange, route.site))
                return;
            Tracker::CountingExchange counted(exchange, *tracker, route.site);
            m_files.serve(counted, route.site, path);
            return;
        }
        m_files.serve(exchange, route.site, path);
        return;
    }
    case HostRouter::Route::Kind::Admin:
        if (m_admin && !m_files.dashboardSite().isEmpty()) {
            // The dashboard's files: everything but the API (/health and /metrics were
            // answered before this handler).
            const Result<QString> path = http::decodePath(request.path());
            if (!path || !SiteHandler::isFunctionPath(*path)) {
                m_files.serve(exchange, m_files.dashboardSite(), path);
                return;
            }
        }
        if (m_admin) {
            m_admin->handle(exchange);
            return;
        }
        exchange.respond(http::errorResponse(
            404, QStringLiteral("This server has no admin interface here.")));
        return;
    case HostRouter::Route::Kind::Unknown:
        exchange.respond(
            http::errorResponse(404,
                                QStringLiteral("No site is configured for the host '%1'.")
                                    .arg(QString::fromLatin1(request.host().first(
                                        std::min<qsizetype>(200, request.host().size()))))));
        return;
    }
}

} // namespace fazt::hosting
