#pragma once

#include "http/exchange.h"

#include <QString>

namespace fazt::admin {

class AdminService;

// The owner's session in the admin API:
//   POST /api/login     {"username", "password"} -> the session cookie and its CSRF token;
//                       limited per client address and per account
//   POST /api/logout    ends the session and clears the cookie
//   GET  /api/session   who is calling: the session (with its CSRF token) or the token
void addSessionRoutes(AdminService &service);

// The 429 for a login refused by a limiter, with Retry-After.
http::Response loginRefused(int retryAfterSeconds, const QString &why);

} // namespace fazt::admin
