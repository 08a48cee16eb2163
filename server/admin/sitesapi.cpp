#include "admin/sitesapi.h"

#include "admin/adminservice.h"
#include "admin/adminsite.h"
#include "admin/siteaccess.h"
#include "config/config.h"
#include "config/settings.h"
#include "db/database.h"
#include "hosting/hostrouter.h"
#include "http/responses.h"
#include "vfs/vfs.h"

#include <QDateTime>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

namespace fazt::admin {

using http::Method;
using http::Response;

namespace {

// A custom hostname: a valid DNS name with at least two labels, not under our base domain.
Status validateHostname(const QString &hostname, const QString &baseDomain) {
    static const QRegularExpression label(QStringLiteral("^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"));
    const QStringList labels = hostname.split(u'.');
    bool ok = hostname.size() <= 253 && labels.size() >= 2;
    for (const QString &l : labels)
        ok = ok && label.match(l).hasMatch();
    if (!ok)
        return Error::invalid(
            QStringLiteral("'%1' is not a valid hostname: use lower-case letters, digits, '-' and "
                           "dots, like www.example.org.")
                .arg(hostname.left(100)));
    // An address is not a name: no certificate can be issued for it, and the host router
    // and the plain port treat addresses as this machine's own.
    bool isNumber = false;
    labels.last().toInt(&isNumber);
    if (isNumber || !QHostAddress(hostname).isNull())
        return Error::invalid(
            QStringLiteral("'%1' is an IP address; a custom domain is a name, like "
                           "www.example.org, that points to this server in DNS.")
                .arg(hostname));
    if (hostname == baseDomain || hostname.endsWith(u'.' + baseDomain) ||
        labels.contains(QLatin1String("localhost")))
        return Error::invalid(
            QStringLiteral(
                "'%1' is already served as part of %2; custom domains are for other names.")
                .arg(hostname, baseDomain));
    return {};
}

// What the site endpoints work on: references, cheap to copy into each route.
struct SiteEndpoints {
    AdminService &service;
    db::Database &database;
    vfs::Vfs &vfs;
    Config &config;
    hosting::HostRouter &router;

    Response listSites(ApiRequest &request) const;
    Response createSite(ApiRequest &request) const;
    Response getSite(ApiRequest &request) const;
    Response deleteSite(ApiRequest &request) const;
    Response updateSettings(ApiRequest &request) const;
    Response listDomains(ApiRequest &request) const;
    Response addDomain(ApiRequest &request) const;
    Response removeDomain(ApiRequest &request) const;
};

Response SiteEndpoints::listSites(ApiRequest &request) const {
    auto sites = vfs.sites();
    if (!sites)
        return apiError(sites.error());
    QJsonArray list;
    for (const vfs::SiteInfo &site : *sites)
        if (request.caller.mayTouch(site.name) && site.name != AdminSite::SiteName)
            list.append(service.siteJson(site));
    return jsonResponse(200, QJsonObject{{QStringLiteral("sites"), list}});
}

Response SiteEndpoints::createSite(ApiRequest &request) const {
    const QString name = request.json.value(QStringLiteral("name")).toString();
    if (!request.caller.mayCreateSites())
        return cannotCreateSites(name);
    if (!request.caller.mayTouch(name))
        return SiteAccess::outsideSites(request.caller, name);
    if (Status s = vfs::Vfs::validateNewSiteName(name); !s)
        return apiError(s.error());
    auto site = vfs.createSite(name);
    if (!site)
        return apiError(site.error());
    return jsonResponse(201, service.siteJson(*site));
}

Response SiteEndpoints::getSite(ApiRequest &request) const {
    auto site = vfs.site(request.params.value(QStringLiteral("name")));
    if (!site)
        return apiError(site.error());
    return jsonResponse(200, service.siteJson(*site));
}

Response SiteEndpoints::deleteSite(ApiRequest &request) const {
    const QString name = request.params.value(QStringLiteral("name"));
    if (name == QLatin1String("root"))
        return apiError(
            409, "conflict",
            QStringLiteral("The landing site 'root' cannot be deleted; deploy over it instead."));
    if (Status s = vfs.deleteSite(name); !s)
        return apiError(s.error());
    (void)router.reloadDomains(database);
    return http::makeResponse(204, {}, {});
}

Response SiteEndpoints::updateSettings(ApiRequest &request) const {
    const QString name = request.params.value(QStringLiteral("name"));
    QJsonObject settings;
    for (auto it = request.json.begin(); it != request.json.end(); ++it) {
        // spa: SPA fallback; development: function errors shown in their responses;
        // functionTimeoutMs: a function's deadline (the runtime caps it at 30 s).
        const bool isFlag =
            it.key() == QLatin1String("spa") || it.key() == QLatin1String("development");
        const bool isTimeout = it.key() == QLatin1String("functionTimeoutMs");
        if (!isFlag && !isTimeout)
            return apiError(400, "invalid",
                            QStringLiteral("Unknown setting '%1'. Known settings: spa and "
                                           "development (true/false), functionTimeoutMs "
                                           "(1-30000).")
                                .arg(it.key()));
        if (isFlag && !it.value().isBool())
            return apiError(400, "invalid",
                            QStringLiteral("'%1' must be true or false.").arg(it.key()));
        if (isTimeout &&
            (!it.value().isDouble() || it.value().toDouble() < 1 || it.value().toDouble() > 30000))
            return apiError(400, "invalid",
                            QStringLiteral("'functionTimeoutMs' must be 1 to 30000."));
        settings.insert(it.key(), it.value());
    }
    auto site = vfs.site(name);
    if (!site)
        return apiError(site.error());
    QJsonObject merged = QJsonDocument::fromJson(site->settings.toUtf8()).object();
    for (auto it = settings.begin(); it != settings.end(); ++it)
        merged.insert(it.key(), it.value());
    if (Status s = vfs.setSiteSettings(
            name, QString::fromUtf8(QJsonDocument(merged).toJson(QJsonDocument::Compact)));
        !s)
        return apiError(s.error());
    return jsonResponse(200, merged);
}

Response SiteEndpoints::listDomains(ApiRequest &request) const {
    const QString name = request.params.value(QStringLiteral("name"));
    auto site = vfs.site(name);
    if (!site)
        return apiError(site.error());
    auto stmt = database.reader().prepare(
        "SELECT hostname, created_at FROM domains WHERE site_id = ? ORDER BY hostname");
    if (!stmt)
        return apiError(stmt.error());
    stmt->bindAll(site->id);
    QJsonArray list;
    while (stmt->next())
        list.append(QJsonObject{{QStringLiteral("hostname"), stmt->text(0)},
                                {QStringLiteral("createdAt"), isoTime(stmt->int64(1))}});
    if (stmt->error())
        return apiError(*stmt->error());
    return jsonResponse(200, QJsonObject{{QStringLiteral("domains"), list}});
}

Response SiteEndpoints::addDomain(ApiRequest &request) const {
    const QString name = request.params.value(QStringLiteral("name"));
    const QString hostname =
        request.json.value(QStringLiteral("hostname")).toString().trimmed().toLower();
    if (Status s = validateHostname(
            hostname, config.setting(settings::Domain));
        !s)
        return apiError(s.error());
    auto site = vfs.site(name);
    if (!site)
        return apiError(site.error());
    const qint64 siteId = site->id;
    Status added = database.writer().run([hostname, siteId](db::Connection &c) -> Status {
        auto stmt =
            c.prepare("INSERT INTO domains(hostname, site_id, created_at) VALUES (?, ?, ?)");
        if (!stmt)
            return stmt.error();
        Status s = stmt->bindAll(hostname, siteId, QDateTime::currentSecsSinceEpoch()).exec();
        if (!s && s.error().code == Error::Code::Conflict)
            return Error::conflict(
                QStringLiteral("%1 is already assigned to a site; remove it there first.")
                    .arg(hostname));
        return s;
    });
    if (!added)
        return apiError(added.error());
    (void)router.reloadDomains(database);
    return jsonResponse(
        201, QJsonObject{{QStringLiteral("hostname"), hostname}, {QStringLiteral("site"), name}});
}

Response SiteEndpoints::removeDomain(ApiRequest &request) const {
    const QString name = request.params.value(QStringLiteral("name"));
    const QString hostname = request.params.value(QStringLiteral("hostname")).toLower();
    Status removed = database.writer().run([name, hostname](db::Connection &c) -> Status {
        auto stmt = c.prepare("DELETE FROM domains WHERE hostname = ? AND site_id = (SELECT id "
                              "FROM sites WHERE name = ?)");
        if (!stmt)
            return stmt.error();
        if (Status s = stmt->bindAll(hostname, name).exec(); !s)
            return s;
        if (c.changes() == 0)
            return Error::notFound(
                QStringLiteral("Site '%1' has no domain %2.").arg(name, hostname));
        return {};
    });
    if (!removed)
        return apiError(removed.error());
    (void)router.reloadDomains(database);
    return http::makeResponse(204, {}, {});
}

} // namespace

void addSiteRoutes(AdminService &service, db::Database &database, vfs::Vfs &vfs, Config &config,
                   hosting::HostRouter &router) {
    const SiteEndpoints sites{service, database, vfs, config, router};
    const auto add = [&service, sites](Method method, const char *pattern, Access access,
                                       BodyKind body,
                                       Response (SiteEndpoints::*endpoint)(ApiRequest &) const) {
        service.addRoute({method, QString::fromLatin1(pattern), access, body, false,
                          [sites, endpoint](ApiRequest &r) { return (sites.*endpoint)(r); }});
    };
    add(Method::Get, "/api/sites", Access::Read, BodyKind::None, &SiteEndpoints::listSites);
    // Admin, or a token with the create-sites right (see AdminService::handle()).
    add(Method::Post, "/api/sites", Access::Admin, BodyKind::Json, &SiteEndpoints::createSite);
    add(Method::Get, "/api/sites/{name}", Access::Read, BodyKind::None, &SiteEndpoints::getSite);
    add(Method::Delete, "/api/sites/{name}", Access::Admin, BodyKind::None,
        &SiteEndpoints::deleteSite);
    add(Method::Put, "/api/sites/{name}/settings", Access::Admin, BodyKind::Json,
        &SiteEndpoints::updateSettings);
    add(Method::Get, "/api/sites/{name}/domains", Access::Read, BodyKind::None,
        &SiteEndpoints::listDomains);
    add(Method::Post, "/api/sites/{name}/domains", Access::Admin, BodyKind::Json,
        &SiteEndpoints::addDomain);
    add(Method::Delete, "/api/sites/{name}/domains/{hostname}", Access::Admin, BodyKind::None,
        &SiteEndpoints::removeDomain);
}

} // namespace fazt::admin
