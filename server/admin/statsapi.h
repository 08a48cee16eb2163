#pragma once

namespace fazt::db {
class Database;
}
namespace fazt::stats {
class StatsBuffer;
}

namespace fazt::admin {

class AdminService;

// The analytics endpoints of the admin API:
//   GET  /api/stats          visits, visitors, bandwidth, top paths/referrers/browsers/events,
//                            status codes (and top sites) for a range, in hour or day buckets
//   GET  /api/stats/events   raw events, newest first, paged
//   POST /api/stats/flush    writes what the buffer holds now (numbers otherwise lag by up to
//                            the flush interval, 30 s by default)
void addStatsRoutes(AdminService &service, db::Database &database, stats::StatsBuffer &buffer);

} // namespace fazt::admin
