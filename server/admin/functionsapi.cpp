#include "admin/functionsapi.h"

#include "admin/adminservice.h"
#include "functions/functionstore.h"
#include "http/responses.h"
#include "vfs/vfs.h"

#include <QJsonArray>

namespace fazt::admin {

using http::Method;
using http::Response;

namespace {

constexpr int MaxLogPage = 1000;

QJsonObject envJson(const functions::EnvVar &var) {
    return {{QStringLiteral("name"), var.name},
            {QStringLiteral("value"), var.shownValue()},
            {QStringLiteral("secret"), var.isSecret}};
}

QJsonObject egressJson(const QStringList &hosts) {
    return {{QStringLiteral("hosts"), QJsonArray::fromStringList(hosts)}};
}

} // namespace

void addFunctionRoutes(AdminService &service, vfs::Vfs &vfs, functions::FunctionStore &store,
                       std::function<void(const QString &site)> changed) {
    // Every endpoint names a site: resolved first, so a missing one is a clear 404.
    using Endpoint = std::function<Response(ApiRequest &, const vfs::SiteInfo &)>;
    const auto add = [&service, &vfs](Method method, const char *pattern, Access access,
                                      BodyKind body, Endpoint endpoint) {
        service.addRoute({method, QString::fromLatin1(pattern), access, body, false,
                          [&vfs, endpoint = std::move(endpoint)](ApiRequest &request) {
                              auto site = vfs.site(request.params.value(QStringLiteral("name")));
                              if (!site)
                                  return apiError(site.error());
                              return endpoint(request, *site);
                          }});
    };
    const auto notify = [changed](const QString &site) {
        if (changed)
            changed(site);
    };

    add(Method::Get, "/api/sites/{name}/env", Access::Read, BodyKind::None,
        [&store](ApiRequest &, const vfs::SiteInfo &site) {
            auto vars = store.env(site.id);
            if (!vars)
                return apiError(vars.error());
            QJsonArray list;
            for (const functions::EnvVar &var : *vars)
                list.append(envJson(var));
            return jsonResponse(200, QJsonObject{{QStringLiteral("variables"), list}});
        });
    add(Method::Put, "/api/sites/{name}/env/{var}", Access::Admin, BodyKind::Json,
        [&store, notify](ApiRequest &request, const vfs::SiteInfo &site) {
            const QJsonValue value = request.json.value(QLatin1String("value"));
            const QJsonValue secret = request.json.value(QLatin1String("secret"));
            if (!value.isString() || !(secret.isUndefined() || secret.isBool()))
                return apiError(
                    400, "invalid",
                    QStringLiteral("Send {\"value\": \"...\", \"secret\": true|false}."));
            const functions::EnvVar var{request.params.value(QStringLiteral("var")),
                                        value.toString(), secret.toBool()};
            if (Status s = store.setEnv(site.id, var); !s)
                return apiError(s.error());
            notify(site.name);
            return jsonResponse(200, envJson(var));
        });
    add(Method::Delete, "/api/sites/{name}/env/{var}", Access::Admin, BodyKind::None,
        [&store, notify](ApiRequest &request, const vfs::SiteInfo &site) {
            if (Status s = store.removeEnv(site.id, request.params.value(QStringLiteral("var")));
                !s)
                return apiError(s.error());
            notify(site.name);
            return http::makeResponse(204, {}, {});
        });
    add(Method::Get, "/api/sites/{name}/egress", Access::Read, BodyKind::None,
        [&store](ApiRequest &, const vfs::SiteInfo &site) {
            auto hosts = store.egress(site.id);
            if (!hosts)
                return apiError(hosts.error());
            return jsonResponse(200, egressJson(*hosts));
        });
    add(Method::Put, "/api/sites/{name}/egress", Access::Admin, BodyKind::Json,
        [&store, notify](ApiRequest &request, const vfs::SiteInfo &site) {
            const QJsonValue hosts = request.json.value(QLatin1String("hosts"));
            if (!hosts.isArray())
                return apiError(400, "invalid",
                                QStringLiteral("Send {\"hosts\": [\"api.example.com\", "
                                               "\"127.0.0.1:8080\"]}."));
            QStringList list;
            for (const QJsonValue &host : hosts.toArray()) {
                if (!host.isString())
                    return apiError(400, "invalid", QStringLiteral("Every host must be a string."));
                list.append(host.toString());
            }
            if (Status s = store.setEgress(site.id, list); !s)
                return apiError(s.error());
            notify(site.name);
            auto stored = store.egress(site.id);
            if (!stored)
                return apiError(stored.error());
            return jsonResponse(200, egressJson(*stored));
        });
    add(Method::Get, "/api/sites/{name}/logs", Access::Read, BodyKind::None,
        [&store](ApiRequest &request, const vfs::SiteInfo &site) {
            bool ok = true;
            qint64 after = -1;
            if (const QString text = request.query.queryItemValue(QStringLiteral("after"));
                !text.isEmpty())
                after = text.toLongLong(&ok);
            if (!ok || after < -1)
                return apiError(400, "invalid",
                                QStringLiteral("'after' must be an id from a previous page."));
            int limit = 100;
            if (const QString text = request.query.queryItemValue(QStringLiteral("limit"));
                !text.isEmpty())
                limit = text.toInt(&ok);
            if (!ok || limit < 1 || limit > MaxLogPage)
                return apiError(
                    400, "invalid",
                    QStringLiteral("'limit' must be between 1 and %1.").arg(MaxLogPage));
            auto entries = store.logs(site.id, after, limit);
            if (!entries)
                return apiError(entries.error());
            QJsonArray list;
            for (const functions::LogEntry &entry : *entries)
                list.append(QJsonObject{{QStringLiteral("id"), entry.id},
                                        {QStringLiteral("at"), entry.atMs},
                                        {QStringLiteral("level"), entry.level},
                                        {QStringLiteral("message"), entry.message}});
            const qint64 last =
                entries->isEmpty() ? std::max<qint64>(after, 0) : entries->last().id;
            return jsonResponse(200, QJsonObject{{QStringLiteral("entries"), list},
                                                 {QStringLiteral("last"), last}});
        });
}

} // namespace fazt::admin
