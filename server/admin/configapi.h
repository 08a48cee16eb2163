#pragma once

namespace fazt {
class Config;
}
namespace fazt::db {
class Database;
}
namespace fazt::vfs {
class VfsCache;
}

namespace fazt::admin {

class AdminService;

// The server's settings in the admin API:
//   GET /api/config   every setting, with the cache's and the uploads' limits in force
//   PUT /api/config   {"key": value, ...}: numbers within their bounds (a warning when risky
//                     or read only at start), the trusted proxies, the access log's format
//                     and file; all checked before any is stored
void addConfigRoutes(AdminService &service, db::Database &database, vfs::VfsCache &cache,
                     Config &config);

} // namespace fazt::admin
