#pragma once

namespace fazt::db {
class Database;
}

namespace fazt::admin {

class AdminService;

// The backup download of the admin API:
//   GET /api/system/backup   a consistent copy of fazt.db (SQLite's online backup, taken on
//                            the jobs thread while the server runs), streamed as an attachment
// The copy is made in FAZT_TEMP_DIR and unlinked once open: nothing is left behind, whatever
// the client does.
void addBackupRoutes(AdminService &service, db::Database &database);

} // namespace fazt::admin
