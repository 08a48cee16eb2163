#include "admin/auditapi.h"

#include "admin/adminservice.h"
#include "db/database.h"
#include "http/responses.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <limits>

namespace fazt::admin {

using http::Method;
using http::Response;

namespace {

// What people call each action; a route not listed is recorded as "METHOD pattern".
struct ActionName {
    Method method;
    const char *pattern;
    const char *action; // empty: not recorded (changes nothing an owner audits)
    bool isBodySafe;    // its JSON body holds no secret: kept as the detail
};

constexpr ActionName ActionNames[] = {
    {Method::Post, "/api/login", "login", false},
    {Method::Post, "/api/logout", "logout", false},
    {Method::Post, "/api/sites", "site.create", true},
    {Method::Delete, "/api/sites/{name}", "site.delete", false},
    {Method::Put, "/api/sites/{name}/settings", "site.settings", true},
    {Method::Post, "/api/sites/{name}/domains", "domain.add", true},
    {Method::Delete, "/api/sites/{name}/domains/{hostname}", "domain.remove", false},
    {Method::Post, "/api/sites/{name}/deploys", "deploy", false},
    // An incremental deploy is audited once, at its commit (the manifest and the blobs are
    // its steps).
    {Method::Post, "/api/sites/{name}/deploy-jobs", "", false},
    {Method::Post, "/api/sites/{name}/deploy-jobs/{id}/blobs", "", false},
    {Method::Post, "/api/sites/{name}/deploy-jobs/{id}/commit", "deploy", false},
    {Method::Post, "/api/sites/{name}/deploys/{id}/activate", "deploy.activate", false},
    {Method::Post, "/api/sites/{name}/rollback", "deploy.rollback", false},
    {Method::Put, "/api/sites/{name}/env/{var}", "env.set", false},
    {Method::Delete, "/api/sites/{name}/env/{var}", "env.unset", false},
    {Method::Put, "/api/sites/{name}/egress", "egress.set", true},
    {Method::Post, "/api/tokens", "token.create", true},
    {Method::Delete, "/api/tokens/{id}", "token.revoke", false},
    {Method::Put, "/api/config", "config.set", true},
    {Method::Put, "/api/system/limits", "limits.set", true},
    {Method::Post, "/api/system/recalibrate", "recalibrate", false},
    {Method::Post, "/api/system/maintenance", "maintenance", true},
    {Method::Post, "/api/certificates/{name}/renew", "certificate.renew", false},
    {Method::Post, "/api/stats/flush", "", false},
};

// A time filter: Unix seconds, or an ISO 8601 date/time (UTC unless it says otherwise).
Result<qint64> timeParameter(const ApiRequest &request, const QString &name) {
    const QString text = request.query.queryItemValue(name, QUrl::FullyDecoded);
    if (text.isEmpty())
        return qint64(0);
    bool isNumber = false;
    const qint64 seconds = text.toLongLong(&isNumber);
    if (isNumber && seconds >= 0)
        return seconds * 1000;
    QDateTime at = QDateTime::fromString(text, Qt::ISODateWithMs);
    if (!at.isValid())
        at = QDateTime::fromString(text, Qt::ISODate);
    if (!at.isValid())
        return Error::invalid(QStringLiteral("'%1' is Unix seconds or an ISO 8601 time such as "
                                             "2026-12-06T16:00:00Z, not '%2'.")
                                  .arg(name, text.left(40)));
    if (at.timeSpec() == Qt::LocalTime)
        at.setTimeSpec(Qt::UTC);
    return at.toMSecsSinceEpoch();
}

// A whole number query parameter from 1 to `maximum`, or 0 when absent.
Result<qint64> numberParameter(const ApiRequest &request, const QString &name, qint64 maximum) {
    const QString text = request.query.queryItemValue(name, QUrl::FullyDecoded);
    if (text.isEmpty())
        return qint64(0);
    bool ok = false;
    const qint64 number = text.toLongLong(&ok);
    if (!ok || number < 1 || number > maximum)
        return Error::invalid(
            QStringLiteral("'%1' is a whole number from 1 to %2.").arg(name).arg(maximum));
    return number;
}

Response listAudit(db::Database &database, ApiRequest &request) {
    audit::AuditFilter filter;
    const auto text = [&](const char *name) {
        return request.query.queryItemValue(QLatin1String(name), QUrl::FullyDecoded).left(512);
    };
    filter.site = text("site");
    filter.action = text("action");
    filter.actor = text("actor");
    auto limit = numberParameter(request, QStringLiteral("limit"), 1000);
    auto before =
        numberParameter(request, QStringLiteral("before"), std::numeric_limits<qint64>::max());
    auto since = timeParameter(request, QStringLiteral("since"));
    auto until = timeParameter(request, QStringLiteral("until"));
    for (const auto *checked : {&limit, &before, &since, &until})
        if (!*checked)
            return apiError(checked->error());
    filter.limit = *limit ? int(*limit) : 100;
    filter.beforeId = *before;
    filter.sinceMs = *since;
    filter.untilMs = *until;
    auto entries = audit::AuditLog::list(database.reader(), filter);
    if (!entries)
        return apiError(entries.error());
    QJsonArray list;
    for (const audit::AuditEntry &entry : *entries)
        list.append(entry.toJson());
    QJsonObject body{{QStringLiteral("entries"), list}};
    // A full page may have more behind it: the next one starts below its last id.
    body.insert(QStringLiteral("next"),
                entries->size() == filter.limit ? QJsonValue(entries->last().id) : QJsonValue());
    return jsonResponse(200, body);
}

// "site" for a call: the {name} of a site's route, or the name a new site gets.
QString siteOf(const Route &route, const ApiRequest &request) {
    if (route.pattern.startsWith(QLatin1String("/api/sites/")))
        return request.params.value(QStringLiteral("name"));
    if (route.pattern == QLatin1String("/api/sites"))
        return request.json.value(QStringLiteral("name")).toString();
    return {};
}

} // namespace

void addAuditRoutes(AdminService &service, db::Database &database) {
    service.addRoute({Method::Get, QStringLiteral("/api/audit"), Access::Admin, BodyKind::None,
                      false, [&database](ApiRequest &r) { return listAudit(database, r); }});
}

std::optional<audit::AuditEntry> auditEntryFor(const Route &route, const ApiRequest &request,
                                               const Response &response) {
    if (route.method == Method::Get || route.method == Method::Head ||
        route.method == Method::Options)
        return std::nullopt;
    const ActionName *known = nullptr;
    for (const ActionName &name : ActionNames)
        if (name.method == route.method && route.pattern == QLatin1String(name.pattern))
            known = &name;
    if (known && !*known->action)
        return std::nullopt;
    const int status = response.status;
    const bool isLogin = route.pattern == QLatin1String("/api/login");
    const bool isCounted = (status >= 200 && status < 300) || status == 403 ||
                           (isLogin && status == 401); // a password that was checked
    if (!isCounted)
        return std::nullopt;

    audit::AuditEntry entry;
    entry.status = status;
    entry.client = request.clientAddress;
    const Caller &caller = request.caller;
    entry.actor = caller.tokenId ? QStringLiteral("token ") + caller.tokenName
                                 : QStringLiteral("password login");
    entry.tokenId = caller.tokenId;
    entry.action = known
                       ? QString::fromLatin1(known->action)
                       : QString::fromLatin1(http::methodName(route.method)) + u' ' + route.pattern;
    entry.site = siteOf(route, request);
    const QJsonObject answer = response.body.startsWith('{')
                                   ? QJsonDocument::fromJson(response.body).object()
                                   : QJsonObject();
    if (isLogin) {
        entry.action = status == 200 ? QStringLiteral("login") : QStringLiteral("login.failed");
        entry.target = request.json.value(QStringLiteral("username")).toString();
    } else if (route.pattern.endsWith(QLatin1String("/maintenance"))) {
        entry.action = request.json.value(QStringLiteral("enabled")).toBool()
                           ? QStringLiteral("maintenance.on")
                           : QStringLiteral("maintenance.off");
    }
    for (const char *param : {"id", "hostname", "var"})
        if (entry.target.isEmpty())
            entry.target = request.params.value(QLatin1String(param));
    if (route.pattern.startsWith(QLatin1String("/api/certificates/")))
        entry.target = request.params.value(QStringLiteral("name"));
    if (entry.target.isEmpty() && answer.value(QStringLiteral("id")).isDouble())
        entry.target = QString::number(answer.value(QStringLiteral("id")).toInteger());
    if (status == 403) {
        entry.detail = answer.value(QStringLiteral("error"))
                           .toObject()
                           .value(QStringLiteral("message"))
                           .toString();
    } else if (known && known->isBodySafe && !request.json.isEmpty()) {
        entry.detail =
            QString::fromUtf8(QJsonDocument(request.json).toJson(QJsonDocument::Compact));
    } else if (answer.contains(QStringLiteral("fileCount"))) {
        entry.detail = QStringLiteral("%1 files, %2 bytes")
                           .arg(answer.value(QStringLiteral("fileCount")).toInteger())
                           .arg(answer.value(QStringLiteral("bytes")).toInteger());
    }
    return entry;
}

} // namespace fazt::admin
