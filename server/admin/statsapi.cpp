#include "admin/statsapi.h"

#include "admin/adminservice.h"
#include "db/database.h"
#include "stats/statsbuffer.h"
#include "stats/statsreport.h"
#include "vfs/vfs.h"

#include <QDateTime>
#include <QPointer>

#include <future>

namespace fazt::admin {

using http::Method;
using http::Response;

namespace {

constexpr int MaxEvents = 1000;
constexpr auto FlushWait = std::chrono::seconds(15);

Result<stats::ReportQuery> queryOf(const ApiRequest &request) {
    const auto item = [&](const char *name) {
        return request.query.queryItemValue(QString::fromLatin1(name), QUrl::FullyDecoded);
    };
    const QString site = item("site");
    if (!site.isEmpty())
        if (Status s = vfs::Vfs::validateSiteName(site); !s)
            return s.error();
    return stats::ReportQuery::fromParameters(site, item("from"), item("to"), item("bucket"),
                                              item("top"), QDateTime::currentSecsSinceEpoch());
}

} // namespace

void addStatsRoutes(AdminService &service, db::Database &database, stats::StatsBuffer &buffer) {
    service.addRoute({Method::Get, QStringLiteral("/api/stats"), Access::Read, BodyKind::None,
                      false, [&database](ApiRequest &request) -> Response {
                          auto query = queryOf(request);
                          if (!query)
                              return apiError(query.error());
                          auto result = stats::report(database.reader(), *query);
                          if (!result)
                              return apiError(result.error());
                          return jsonResponse(200, *result);
                      }});
    service.addRoute(
        {Method::Get, QStringLiteral("/api/stats/events"), Access::Read, BodyKind::None, false,
         [&database](ApiRequest &request) -> Response {
             auto range = queryOf(request);
             if (!range)
                 return apiError(range.error());
             stats::EventQuery query;
             query.site = range->site;
             query.from = range->from;
             query.to = range->to;
             query.name = request.query.queryItemValue(QStringLiteral("name"), QUrl::FullyDecoded);
             bool ok = true;
             if (const QString limit = request.query.queryItemValue(QStringLiteral("limit"));
                 !limit.isEmpty())
                 query.limit = limit.toInt(&ok);
             if (!ok || query.limit < 1 || query.limit > MaxEvents)
                 return apiError(
                     400, "invalid",
                     QStringLiteral("'limit' must be between 1 and %1.").arg(MaxEvents));
             if (const QString before = request.query.queryItemValue(QStringLiteral("before"));
                 !before.isEmpty())
                 query.beforeId = before.toLongLong(&ok);
             if (!ok || query.beforeId < 0)
                 return apiError(400, "invalid",
                                 QStringLiteral("'before' must be an event id from a previous "
                                                "page."));
             auto rows = stats::events(database.reader(), query);
             if (!rows)
                 return apiError(rows.error());
             QJsonObject page{{QStringLiteral("events"), *rows}};
             if (rows->size() == query.limit)
                 page.insert(QStringLiteral("next"),
                             rows->last().toObject().value(QLatin1String("id")));
             return jsonResponse(200, page);
         }});
    // The buffer belongs to the main thread: the flush is posted there and awaited with a
    // deadline (never a blocking cross-thread call, which could deadlock during shutdown).
    service.addRoute({Method::Post, QStringLiteral("/api/stats/flush"), Access::Deploy,
                      BodyKind::None, false, [&buffer](ApiRequest &) -> Response {
                          auto done = std::make_shared<std::promise<Status>>();
                          std::future<Status> result = done->get_future();
                          QMetaObject::invokeMethod(
                              &buffer, [&buffer, done] { done->set_value(buffer.flushAll()); },
                              Qt::QueuedConnection);
                          if (result.wait_for(FlushWait) != std::future_status::ready)
                              return apiError(
                                  503, "busy",
                                  QStringLiteral("The analytics flush did not finish in time; "
                                                 "try again shortly."));
                          if (Status s = result.get(); !s)
                              return apiError(503, "busy", s.error().message);
                          return jsonResponse(200, buffer.counters().toJson());
                      }});
}

} // namespace fazt::admin
