#include "stats/statsreport.h"

#include "db/connection.h"

#include <QDateTime>
#include <QJsonDocument>
#include <QMap>

#include <string>

namespace fazt::stats {

namespace {

constexpr qint64 HourSeconds = 3600;
constexpr qint64 DaySeconds = 86400;
constexpr qint64 MaxRangeSeconds = 366 * DaySeconds;
constexpr qint64 MaxBuckets = 2000;
constexpr int MaxTop = 100;

Result<qint64> parseTime(const QString &text, const char *name) {
    bool isNumber = false;
    const qint64 seconds = text.toLongLong(&isNumber);
    if (isNumber && seconds >= 0)
        return seconds;
    QDateTime time = QDateTime::fromString(text, Qt::ISODate);
    if (!time.isValid())
        time = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!time.isValid())
        return Error::invalid(
            QStringLiteral("'%1' is not a time: give Unix seconds or ISO 8601, e.g. "
                           "2026-11-21T00:00:00Z.")
                .arg(QString::fromLatin1(name)));
    if (time.timeSpec() == Qt::LocalTime)
        time.setTimeSpec(Qt::UTC); // a time without a zone is UTC, as everywhere in the API
    return time.toSecsSinceEpoch();
}

QString isoTime(qint64 seconds) {
    return QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC).toString(Qt::ISODate);
}

// "site = ? AND " for one site, nothing for all: two statements, each with its index.
std::string siteFilter(const ReportQuery &q) {
    return q.site.isEmpty() ? "" : "site = ? AND ";
}

// Binds the site (if filtered) and the time range; returns the next free index.
int bindRange(db::Statement &s, const ReportQuery &q, qint64 from, qint64 to) {
    int i = 1;
    if (!q.site.isEmpty())
        s.bind(i++, q.site);
    s.bind(i++, from);
    s.bind(i++, to);
    return i;
}

Result<QJsonArray> topDimension(db::Connection &c, const ReportQuery &q, const char *kind,
                                const char *valueName, bool isNumeric, int limit) {
    const std::string sql = "SELECT value, sum(count) AS n FROM stats_dimensions WHERE " +
                            siteFilter(q) +
                            "hour >= ? AND hour < ? AND kind = ? GROUP BY value "
                            "ORDER BY n DESC, value LIMIT ?";
    auto s = c.prepare(sql);
    if (!s)
        return s.error();
    const int next = bindRange(*s, q, q.from, q.to);
    s->bind(next, QString::fromLatin1(kind));
    s->bind(next + 1, limit);
    QJsonArray rows;
    const QString key = QString::fromLatin1(valueName);
    const QString countKey = isNumeric ? QStringLiteral("count") : QStringLiteral("visits");
    while (s->next()) {
        QJsonObject row;
        if (isNumeric)
            row.insert(key, s->text(0).toInt());
        else
            row.insert(key, s->text(0));
        row.insert(countKey, s->int64(1));
        rows.append(row);
    }
    if (s->error())
        return *s->error();
    return rows;
}

} // namespace

Result<ReportQuery> ReportQuery::fromParameters(const QString &site, const QString &from,
                                                const QString &to, const QString &bucket,
                                                const QString &top, qint64 now) {
    ReportQuery q;
    q.site = site;
    if (bucket.isEmpty() || bucket == QLatin1String("hour")) {
        q.bucket = Bucket::Hour;
    } else if (bucket == QLatin1String("day")) {
        q.bucket = Bucket::Day;
    } else {
        return Error::invalid(QStringLiteral("'bucket' must be 'hour' or 'day'."));
    }
    const qint64 step = q.bucket == Bucket::Hour ? HourSeconds : DaySeconds;
    qint64 end = now;
    if (!to.isEmpty()) {
        auto t = parseTime(to, "to");
        if (!t)
            return t.error();
        end = *t;
    }
    qint64 start = end - (q.bucket == Bucket::Hour ? DaySeconds : 30 * DaySeconds);
    if (!from.isEmpty()) {
        auto f = parseTime(from, "from");
        if (!f)
            return f.error();
        start = *f;
    }
    if (start >= end)
        return Error::invalid(QStringLiteral("'from' must be before 'to'."));
    if (end - start > MaxRangeSeconds)
        return Error::invalid(
            QStringLiteral("The range is longer than a year: ask for a year at a time."));
    q.from = start - start % step;
    q.to = end % step == 0 ? end : end - end % step + step;
    if ((q.to - q.from) / step > MaxBuckets)
        return Error::invalid(QStringLiteral("That range has more than %1 hours: use "
                                             "bucket=day or a shorter range.")
                                  .arg(MaxBuckets));
    if (!top.isEmpty()) {
        bool ok = false;
        q.top = top.toInt(&ok);
        if (!ok || q.top < 1 || q.top > MaxTop)
            return Error::invalid(QStringLiteral("'top' must be between 1 and %1.").arg(MaxTop));
    }
    return q;
}

Result<QJsonObject> report(db::Connection &c, const ReportQuery &q) {
    const qint64 step = q.bucket == ReportQuery::Bucket::Hour ? HourSeconds : DaySeconds;
    // Every bucket appears, empty ones with zeros, so a chart needs no gap filling.
    QMap<qint64, QJsonObject> buckets;
    for (qint64 t = q.from; t < q.to; t += step)
        buckets.insert(t, QJsonObject{{QStringLiteral("t"), isoTime(t)},
                                      {QStringLiteral("visits"), 0},
                                      {QStringLiteral("hits"), 0},
                                      {QStringLiteral("visitors"), 0},
                                      {QStringLiteral("bytes"), 0}});
    qint64 views = 0, hits = 0, bytes = 0;
    {
        auto s = c.prepare("SELECT hour - hour % ? AS t, sum(views), sum(hits), sum(bytes) "
                           "FROM stats_hourly WHERE " +
                           siteFilter(q) + "hour >= ? AND hour < ? GROUP BY t");
        if (!s)
            return s.error();
        s->bind(1, step);
        int i = 2;
        if (!q.site.isEmpty())
            s->bind(i++, q.site);
        s->bind(i++, q.from);
        s->bind(i, q.to);
        while (s->next()) {
            auto it = buckets.find(s->int64(0));
            if (it == buckets.end())
                continue;
            it->insert(QStringLiteral("visits"), s->int64(1));
            it->insert(QStringLiteral("hits"), s->int64(2));
            it->insert(QStringLiteral("bytes"), s->int64(3));
            views += s->int64(1);
            hits += s->int64(2);
            bytes += s->int64(3);
        }
        if (s->error())
            return *s->error();
    }
    qint64 visitors = 0;
    {
        // Visitors per bucket from that period's uniques; the total from the days touched.
        auto s = c.prepare("SELECT period, start, visitors FROM stats_uniques WHERE site = ? AND "
                           "((period = ? AND start >= ? AND start < ?) OR "
                           "(period = 'd' AND start >= ? AND start < ?))");
        if (!s)
            return s.error();
        const QString period = step == HourSeconds ? QStringLiteral("h") : QStringLiteral("d");
        s->bindAll(q.site, period, q.from, q.to, q.from - q.from % DaySeconds, q.to);
        QMap<qint64, qint64> days;
        while (s->next()) {
            const QString rowPeriod = s->text(0);
            if (rowPeriod == period) {
                if (auto it = buckets.find(s->int64(1)); it != buckets.end())
                    it->insert(QStringLiteral("visitors"), s->int64(2));
            }
            if (rowPeriod == QLatin1String("d"))
                days.insert(s->int64(1), s->int64(2));
        }
        if (s->error())
            return *s->error();
        for (qint64 n : days)
            visitors += n;
    }
    QJsonArray series;
    for (const QJsonObject &b : buckets)
        series.append(b);

    QJsonArray topPaths;
    {
        auto s = c.prepare("SELECT site, path, sum(views) AS v, sum(hits) AS h, sum(bytes) "
                           "FROM stats_hourly WHERE " +
                           siteFilter(q) +
                           "hour >= ? AND hour < ? GROUP BY site, path "
                           "ORDER BY v DESC, h DESC, path LIMIT ?");
        if (!s)
            return s.error();
        s->bind(bindRange(*s, q, q.from, q.to), q.top);
        while (s->next())
            topPaths.append(QJsonObject{{QStringLiteral("site"), s->text(0)},
                                        {QStringLiteral("path"), s->text(1)},
                                        {QStringLiteral("visits"), s->int64(2)},
                                        {QStringLiteral("hits"), s->int64(3)},
                                        {QStringLiteral("bytes"), s->int64(4)}});
        if (s->error())
            return *s->error();
    }
    auto referrers = topDimension(c, q, "referrer", "host", false, q.top);
    auto agents = topDimension(c, q, "agent", "agent", false, q.top);
    auto statuses = topDimension(c, q, "status", "status", true, 100);
    auto topEvents = topDimension(c, q, "event", "name", false, q.top);
    for (const auto *r : {&referrers, &agents, &statuses, &topEvents})
        if (!*r)
            return r->error();
    qint64 eventCount = 0;
    {
        auto s = c.prepare("SELECT sum(count) FROM stats_dimensions WHERE " + siteFilter(q) +
                           "hour >= ? AND hour < ? AND kind = 'event'");
        if (!s)
            return s.error();
        bindRange(*s, q, q.from, q.to);
        if (s->next())
            eventCount = s->int64(0);
        if (s->error())
            return *s->error();
    }
    // Events were counted as "visits" by topDimension; an event list says "count".
    QJsonArray eventRows;
    for (const auto &v : *topEvents) {
        QJsonObject row = v.toObject();
        row.insert(QStringLiteral("count"), row.take(QStringLiteral("visits")));
        eventRows.append(row);
    }

    QJsonObject result{
        {QStringLiteral("site"), q.site.isEmpty() ? QJsonValue() : QJsonValue(q.site)},
        {QStringLiteral("from"), isoTime(q.from)},
        {QStringLiteral("to"), isoTime(q.to)},
        {QStringLiteral("bucket"),
         q.bucket == ReportQuery::Bucket::Hour ? QStringLiteral("hour") : QStringLiteral("day")},
        {QStringLiteral("totals"), QJsonObject{{QStringLiteral("visits"), views},
                                               {QStringLiteral("hits"), hits},
                                               {QStringLiteral("visitors"), visitors},
                                               {QStringLiteral("bytes"), bytes},
                                               {QStringLiteral("events"), eventCount}}},
        {QStringLiteral("series"), series},
        {QStringLiteral("topPaths"), topPaths},
        {QStringLiteral("topReferrers"), *referrers},
        {QStringLiteral("agents"), *agents},
        {QStringLiteral("statusCodes"), *statuses},
        {QStringLiteral("topEvents"), eventRows},
    };
    if (q.site.isEmpty()) {
        QJsonArray sites;
        auto s = c.prepare("SELECT site, sum(views) AS v, sum(hits), sum(bytes) FROM stats_hourly "
                           "WHERE hour >= ? AND hour < ? GROUP BY site ORDER BY v DESC, site "
                           "LIMIT ?");
        if (!s)
            return s.error();
        s->bindAll(q.from, q.to, q.top);
        while (s->next())
            sites.append(QJsonObject{{QStringLiteral("site"), s->text(0)},
                                     {QStringLiteral("visits"), s->int64(1)},
                                     {QStringLiteral("hits"), s->int64(2)},
                                     {QStringLiteral("bytes"), s->int64(3)}});
        if (s->error())
            return *s->error();
        result.insert(QStringLiteral("topSites"), sites);
    }
    return result;
}

Result<QJsonArray> events(db::Connection &c, const EventQuery &q) {
    std::string sql = "SELECT id, at, site, path, name, properties, referrer, agent "
                      "FROM stats_events WHERE at >= ? AND at < ?";
    if (!q.site.isEmpty())
        sql += " AND site = ?";
    if (!q.name.isEmpty())
        sql += " AND name = ?";
    if (q.beforeId > 0)
        sql += " AND id < ?";
    sql += " ORDER BY id DESC LIMIT ?";
    auto s = c.prepare(sql);
    if (!s)
        return s.error();
    int i = 1;
    s->bind(i++, q.from * 1000);
    s->bind(i++, q.to * 1000);
    if (!q.site.isEmpty())
        s->bind(i++, q.site);
    if (!q.name.isEmpty())
        s->bind(i++, q.name);
    if (q.beforeId > 0)
        s->bind(i++, q.beforeId);
    s->bind(i, q.limit);
    QJsonArray rows;
    while (s->next()) {
        QJsonObject row{
            {QStringLiteral("id"), s->int64(0)},
            {QStringLiteral("at"),
             QDateTime::fromMSecsSinceEpoch(s->int64(1), Qt::UTC).toString(Qt::ISODateWithMs)},
            {QStringLiteral("site"), s->text(2)},
            {QStringLiteral("path"), s->text(3)},
            {QStringLiteral("name"), s->text(4)}};
        if (!s->isNull(5))
            row.insert(QStringLiteral("properties"),
                       QJsonDocument::fromJson(s->text(5).toUtf8()).object());
        if (!s->isNull(6))
            row.insert(QStringLiteral("referrer"), s->text(6));
        if (!s->isNull(7))
            row.insert(QStringLiteral("agent"), s->text(7));
        rows.append(row);
    }
    if (s->error())
        return *s->error();
    return rows;
}

} // namespace fazt::stats
