#pragma once

namespace fazt {
class Config;
}
namespace fazt::db {
class Database;
}
namespace fazt::hosting {
class HostRouter;
}
namespace fazt::vfs {
class Vfs;
}

namespace fazt::admin {

class AdminService;

// The sites of the admin API (their variables, egress and logs are in functionsapi.h):
//   GET    /api/sites                           the sites the caller may touch
//   POST   /api/sites                           {"name": "blog"} (admin, or create-sites)
//   GET    /api/sites/{name}
//   DELETE /api/sites/{name}                    every site but the landing site 'root'
//   PUT    /api/sites/{name}/settings           {"spa", "development": bool,
//                                               "functionTimeoutMs": 1-30000}, merged
//   GET    /api/sites/{name}/domains            its custom hostnames
//   POST   /api/sites/{name}/domains            {"hostname": "www.example.org"}
//   DELETE /api/sites/{name}/domains/{hostname}
// A change of sites or domains reloads the host router.
void addSiteRoutes(AdminService &service, db::Database &database, vfs::Vfs &vfs, Config &config,
                   hosting::HostRouter &router);

} // namespace fazt::admin
