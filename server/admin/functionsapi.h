#pragma once

#include <QString>

#include <functional>

namespace fazt::functions {
class FunctionStore;
}
namespace fazt::vfs {
class Vfs;
}

namespace fazt::admin {

class AdminService;

// The serverless-function endpoints of the admin API:
//   GET    /api/sites/{name}/env          the site's variables (secrets masked)
//   PUT    /api/sites/{name}/env/{var}    {"value": "...", "secret": true}
//   DELETE /api/sites/{name}/env/{var}
//   GET    /api/sites/{name}/egress       {"hosts": [...]}: what fazt.fetch may reach
//   PUT    /api/sites/{name}/egress       {"hosts": [...]} replaces the allowlist
//   GET    /api/sites/{name}/logs         the function log (?after=ID to follow, ?limit=N)
// `changed` is told the site's name after a change its running functions must see.
void addFunctionRoutes(AdminService &service, vfs::Vfs &vfs, functions::FunctionStore &store,
                       std::function<void(const QString &site)> changed);

} // namespace fazt::admin
