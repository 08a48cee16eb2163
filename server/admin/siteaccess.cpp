#include "admin/siteaccess.h"

namespace fazt::admin {

namespace {

QString listed(const Caller &caller) {
    return caller.sites.join(QStringLiteral(", "));
}

// Calls that hold nothing of any one site and that a site-limited token needs to work.
bool isHarmless(const Route &route) {
    return (route.method == http::Method::Get &&
            (route.pattern == QLatin1String("/api/sites") ||
             route.pattern == QLatin1String("/api/session") ||
             route.pattern == QLatin1String("/api/system/health"))) ||
           (route.method == http::Method::Post &&
            route.pattern == QLatin1String("/api/sites")); // the name is checked there
}

} // namespace

http::Response SiteAccess::outsideSites(const Caller &caller, const QString &site) {
    return apiError(403, "forbidden",
                    QStringLiteral("This token is limited to the sites %1; '%2' is not one of "
                                   "them. Use a token made for that site.")
                        .arg(listed(caller), site.left(80)));
}

std::optional<http::Response> SiteAccess::refusal(const Route &route, const ApiRequest &request) {
    const Caller &caller = request.caller;
    if (!caller.isLimitedToSites() || route.access == Access::Public || isHarmless(route))
        return std::nullopt;
    if (route.pattern.startsWith(QLatin1String("/api/sites/{name}"))) {
        const QString site = request.params.value(QStringLiteral("name"));
        if (caller.mayTouch(site))
            return std::nullopt;
        return outsideSites(caller, site);
    }
    if (route.pattern.startsWith(QLatin1String("/api/stats")) &&
        route.method == http::Method::Get) {
        const QString site =
            request.query.queryItemValue(QStringLiteral("site"), QUrl::FullyDecoded);
        if (site.isEmpty())
            return apiError(403, "forbidden",
                            QStringLiteral("This token is limited to the sites %1: ask for one of "
                                           "them with ?site=NAME.")
                                .arg(listed(caller)));
        if (caller.mayTouch(site))
            return std::nullopt;
        return outsideSites(caller, site);
    }
    return apiError(403, "forbidden",
                    QStringLiteral("This token is limited to the sites %1, and %2 concerns the "
                                   "whole server: use a token that is not limited to sites.")
                        .arg(listed(caller), route.pattern));
}

} // namespace fazt::admin
