#pragma once

#include "admin/api.h"

#include <optional>

namespace fazt::admin {

// What a token limited to some sites (`create-token --sites blog,docs`) may reach of the
// admin API: the calls under /api/sites/{name}/ for its own sites, the statistics of one of
// them (?site=), the list of sites (showing only its own), its session and the server's
// health. Everything else concerns other sites or the whole server and is refused, so such
// a token can neither deploy, roll back, activate, nor read anything (variables, logs,
// statistics, settings) of a site outside its list.
class SiteAccess {
public:
    // The 403 to answer if `request` (authenticated as `request.caller`) goes beyond the
    // caller's sites; nullopt if it may go ahead.
    static std::optional<http::Response> refusal(const Route &route, const ApiRequest &request);
    // The 403 for a caller that wants to touch `site` outside its list.
    static http::Response outsideSites(const Caller &caller, const QString &site);
};

} // namespace fazt::admin
