#pragma once

namespace fazt::admin {
class AdminService;
}

namespace fazt::guard {

class Guard;

// The /api/system/* endpoints of the admin API: readiness, metrics, limits (read, override
// with the force rule, recalibrate) and maintenance mode. They run on the admin thread.
class SystemApi {
public:
    static void addRoutes(admin::AdminService &admin, Guard &guard);
};

} // namespace fazt::guard
