#pragma once

#include "result.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QString>

namespace fazt::db {
class Connection;
}

namespace fazt::stats {

// What the analytics endpoints are asked: one site (or all), a time range and a bucket size.
struct ReportQuery {
    enum class Bucket { Hour, Day };
    QString site;    // empty: every site
    qint64 from = 0; // Unix seconds, inclusive, aligned down to the bucket
    qint64 to = 0;   // exclusive, aligned up to the bucket
    Bucket bucket = Bucket::Hour;
    int top = 10; // rows in each "top" list

    // Builds a query from the API's text parameters (each may be empty): times as Unix
    // seconds or ISO 8601; by default the last 24 hours in hours, or with bucket=day the last
    // 30 days. Ranges past a year, or with more than 2,000 buckets, are refused with a
    // message saying what to ask instead.
    static Result<ReportQuery> fromParameters(const QString &site, const QString &from,
                                              const QString &to, const QString &bucket,
                                              const QString &top, qint64 nowSeconds);
};

// Visits (page views), unique visitors, bandwidth, events, top paths, referrers, browsers,
// status codes and (for all sites) top sites, as the JSON the admin API returns. Reads the
// rollups only, so any range costs the same whatever the traffic was.
//
// Unique visitors are exact per hour and per day. A day bucket's visitors are that day's;
// the range total adds up the days (a visitor's id changes every day by design).
Result<QJsonObject> report(db::Connection &c, const ReportQuery &q);

struct EventQuery {
    QString site; // empty: every site
    QString name; // empty: every event
    qint64 from = 0;
    qint64 to = 0;
    qint64 beforeId = 0; // paging: events with a smaller id (0: from the newest)
    int limit = 100;
};
// Raw events, newest first: [{"id","at","site","path","name","properties","referrer","agent"}].
Result<QJsonArray> events(db::Connection &c, const EventQuery &q);

} // namespace fazt::stats
