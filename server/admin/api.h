#pragma once

#include "admin/upload.h"
#include "auth/tokens.h"
#include "http/exchange.h"

#include <QHash>
#include <QHostAddress>
#include <QJsonObject>
#include <QString>
#include <QUrlQuery>

#include <functional>
#include <memory>

namespace fazt::admin {

// What a route needs from its caller. A session (the owner, logged in) may do everything;
// a token needs the scope: read < deploy < admin.
enum class Access { Public, Read, Deploy, Admin };
enum class BodyKind { None, Json, Archive };

// Who is calling, once authenticated.
struct Caller {
    QString username;   // for a session
    qint64 tokenId = 0; // for a token
    QString tokenName;
    auth::Scopes scopes; // for a token
    QStringList sites;   // a token limited to these sites; empty: every site
    bool isSession = false;
    QByteArray sessionId;

    bool isLimitedToSites() const { return !sites.isEmpty(); }
    bool mayTouch(const QString &site) const { return sites.isEmpty() || sites.contains(site); }
    // The owner (a session), an admin token, or a token with the create-sites right.
    bool mayCreateSites() const {
        return isSession || scopes.testFlag(auth::Scope::Admin) ||
               scopes.testFlag(auth::Scope::CreateSites);
    }
};

// One admin API call, as the endpoint sees it (on the admin or jobs thread).
struct ApiRequest {
    http::Method method = http::Method::Get;
    QString path;
    QHash<QString, QString> params; // from the route pattern: {name}, {id}, ...
    QUrlQuery query;
    QJsonObject json;               // BodyKind::Json
    std::shared_ptr<Upload> upload; // BodyKind::Archive
    QByteArray contentType;
    Caller caller;
    QHostAddress peer;
    QString clientAddress; // the peer, or the client behind a trusted proxy (IPv6: its /64)
    bool isSecure = false;
    QByteArray idempotencyKey; // the Idempotency-Key header
    bool prefersAsync = false; // Prefer: respond-async (RFC 7240)
    // For an endpoint that answers later (a deploy followed to its end): it returns
    // answeredLater() and calls this once, from any thread.
    http::Responder responder;
};

struct Route {
    http::Method method;
    QString pattern; // "/api/sites/{name}/deploys"
    Access access;
    BodyKind body;
    bool isLongRunning; // runs on the jobs thread, not the admin thread
    std::function<http::Response(ApiRequest &)> run;
};

// JSON responses with our one error shape: {"error": {"code": "...", "message": "..."}}.
http::Response jsonResponse(int status, const QJsonObject &body);
http::Response jsonResponse(int status, const QJsonArray &body);
http::Response apiError(int status, QByteArrayView code, const QString &message);
// Maps a core Error to a status and code (NotFound 404, Conflict 409, Invalid 400, ...).
http::Response apiError(const Error &error);
struct ErrorStatus {
    int status;
    QByteArrayView code;
};
ErrorStatus errorStatus(Error::Code code);
// What an endpoint returns when it answers through ApiRequest::responder instead.
http::Response answeredLater();
// 403 for a deploy to a site that does not exist by a caller who may not create sites.
http::Response cannotCreateSites(const QString &site);
// A time in the API's JSON: ISO 8601 in UTC, or "" for none (0).
QString isoTime(qint64 unixSeconds);

} // namespace fazt::admin
