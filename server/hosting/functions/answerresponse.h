#pragma once

#include "hosting/functions/answer.h"
#include "http/exchange.h"

namespace fazt::hosting::functions {

// The HTTP response for a checked answer (never cached: functions answer per request).
http::Response responseOf(const Answer &answer);
// {"error": message} with `status`: what the runtime answers for a function that failed.
http::Response jsonError(int status, const QString &message);

} // namespace fazt::hosting::functions
