#include "admin/tokensapi.h"

#include "admin/adminservice.h"
#include "http/responses.h"

#include <QJsonArray>

namespace fazt::admin {

using http::Method;
using http::Response;

namespace {

// What the token endpoints work on: the service's token store.
struct TokenEndpoints {
    auth::TokenStore &tokens;

    Response listTokens(ApiRequest &request) const;
    Response createToken(ApiRequest &request) const;
    Response revokeToken(ApiRequest &request) const;
};

Response TokenEndpoints::listTokens(ApiRequest &) const {
    QJsonArray list;
    for (const auth::TokenInfo &t : tokens.list())
        list.append(QJsonObject{{QStringLiteral("id"), t.id},
                                {QStringLiteral("name"), t.name},
                                {QStringLiteral("scopes"), auth::formatScopes(t.scopes)},
                                {QStringLiteral("sites"), QJsonArray::fromStringList(t.sites)},
                                {QStringLiteral("createdAt"), isoTime(t.createdAt)},
                                {QStringLiteral("lastUsedAt"),
                                 t.lastUsedAt ? QJsonValue(isoTime(t.lastUsedAt)) : QJsonValue()}});
    return jsonResponse(200, QJsonObject{{QStringLiteral("tokens"), list}});
}

Response TokenEndpoints::createToken(ApiRequest &request) const {
    const QString name = request.json.value(QStringLiteral("name")).toString();
    const QJsonValue scopesValue = request.json.value(QStringLiteral("scopes"));
    QString scopesText = scopesValue.toString();
    if (scopesValue.isArray()) {
        QStringList names;
        for (const QJsonValue &v : scopesValue.toArray())
            names.append(v.toString());
        scopesText = names.join(u',');
    }
    auto scopes = auth::parseScopes(scopesText);
    if (!scopes)
        return apiError(scopes.error());
    const QJsonValue sitesValue = request.json.value(QStringLiteral("sites"));
    if (!sitesValue.isUndefined() && !sitesValue.isNull() && !sitesValue.isArray())
        return apiError(400, "invalid",
                        QStringLiteral("'sites' is a list of site names: [\"blog\", \"docs\"]."));
    QStringList sites;
    for (const QJsonValue &site : sitesValue.toArray())
        sites.append(site.toString());
    auto created = tokens.create(name, *scopes, sites);
    if (!created)
        return apiError(created.error());
    const auth::TokenInfo &info = created->second;
    return jsonResponse(
        201, QJsonObject{{QStringLiteral("id"), info.id},
                         {QStringLiteral("name"), info.name},
                         {QStringLiteral("scopes"), auth::formatScopes(info.scopes)},
                         {QStringLiteral("sites"), QJsonArray::fromStringList(info.sites)},
                         {QStringLiteral("token"), QString::fromLatin1(created->first)},
                         {QStringLiteral("note"), QStringLiteral("Shown once: store it now.")}});
}

Response TokenEndpoints::revokeToken(ApiRequest &request) const {
    bool ok = false;
    const qint64 id = request.params.value(QStringLiteral("id")).toLongLong(&ok);
    if (!ok)
        return apiError(400, "invalid", QStringLiteral("A token id is a number."));
    if (Status s = tokens.revoke(id); !s)
        return apiError(s.error());
    return http::makeResponse(204, {}, {});
}

} // namespace

void addTokenRoutes(AdminService &service) {
    const TokenEndpoints tokens{service.tokens()};
    const auto add = [&service, tokens](Method method, const char *pattern, Access access,
                                        BodyKind body,
                                        Response (TokenEndpoints::*endpoint)(ApiRequest &) const) {
        service.addRoute({method, QString::fromLatin1(pattern), access, body, false,
                          [tokens, endpoint](ApiRequest &r) { return (tokens.*endpoint)(r); }});
    };
    add(Method::Get, "/api/tokens", Access::Admin, BodyKind::None, &TokenEndpoints::listTokens);
    add(Method::Post, "/api/tokens", Access::Admin, BodyKind::Json, &TokenEndpoints::createToken);
    add(Method::Delete, "/api/tokens/{id}", Access::Admin, BodyKind::None,
        &TokenEndpoints::revokeToken);
}

} // namespace fazt::admin
