#include "admin/sessionsapi.h"

#include "admin/adminservice.h"
#include "http/responses.h"

namespace fazt::admin {

using http::Method;
using http::Response;

namespace {

// What the session endpoints work on: the service's users, sessions and login limiters.
struct SessionEndpoints {
    AdminService &service;

    Response login(ApiRequest &request) const;
    Response logout(ApiRequest &request) const;
    Response session(ApiRequest &request) const;
};

Response SessionEndpoints::login(ApiRequest &request) const {
    const QString username = request.json.value(QStringLiteral("username")).toString();
    const QByteArray password = request.json.value(QStringLiteral("password")).toString().toUtf8();
    const QString peer = request.clientAddress;
    if (username.isEmpty() || password.isEmpty())
        return apiError(400, "invalid",
                        QStringLiteral("Send {\"username\": ..., \"password\": ...}."));
    // Counted before the hash runs: of a burst of parallel guesses, only the limiter's burst
    // reaches verify(). Then the account's own budget, for guesses spread over many addresses.
    if (const auto wait = service.loginLimiter().acquire(peer))
        return loginRefused(*wait, QStringLiteral("Too many failed logins from your address."));
    const QString account = username.left(64);
    if (const auto wait = service.accountLimiter().acquire(account))
        return loginRefused(*wait, QStringLiteral("Too many failed logins for this account, "
                                                  "from many addresses."));
    // A password set a moment ago by `fazt server set-credentials` counts at once.
    service.reloadAuthIfChanged();
    if (!service.credentials().verify(username, password))
        return apiError(401, "unauthorized", QStringLiteral("Wrong username or password."));
    service.loginLimiter().recordSuccess(peer);
    service.accountLimiter().recordSuccess(account);
    const auth::Session session = service.sessions().create(username);
    Response response = jsonResponse(
        200, QJsonObject{{QStringLiteral("username"), username},
                         {QStringLiteral("csrfToken"), QString::fromLatin1(session.csrfToken)},
                         {QStringLiteral("expiresAt"), isoTime(session.expiresAt)}});
    response.addHeader("Set-Cookie", auth::sessionCookie(session, request.isSecure));
    return response;
}

Response SessionEndpoints::logout(ApiRequest &request) const {
    if (request.caller.isSession)
        service.sessions().remove(request.caller.sessionId);
    Response response = http::makeResponse(204, {}, {});
    response.addHeader("Set-Cookie", auth::clearedSessionCookie(request.isSecure));
    return response;
}

Response SessionEndpoints::session(ApiRequest &request) const {
    if (request.caller.isSession) {
        const auto s = service.sessions().find(request.caller.sessionId);
        if (!s)
            return apiError(401, "unauthorized",
                            QStringLiteral("The session has expired; log in again."));
        return jsonResponse(
            200, QJsonObject{{QStringLiteral("username"), s->username},
                             {QStringLiteral("csrfToken"), QString::fromLatin1(s->csrfToken)},
                             {QStringLiteral("expiresAt"), isoTime(s->expiresAt)}});
    }
    return jsonResponse(200, QJsonObject{{QStringLiteral("token"), request.caller.tokenName},
                                         {QStringLiteral("tokenId"), request.caller.tokenId}});
}

} // namespace

Response loginRefused(int retryAfterSeconds, const QString &why) {
    Response limited =
        apiError(429, "rate_limited",
                 QStringLiteral("%1 Retry in %2 seconds.").arg(why).arg(retryAfterSeconds));
    limited.retryAfterSeconds = int(retryAfterSeconds);
    return limited;
}

void addSessionRoutes(AdminService &service) {
    const SessionEndpoints sessions{service};
    const auto add = [&service,
                      sessions](Method method, const char *pattern, Access access, BodyKind body,
                                Response (SessionEndpoints::*endpoint)(ApiRequest &) const) {
        service.addRoute({method, QString::fromLatin1(pattern), access, body, false,
                          [sessions, endpoint](ApiRequest &r) { return (sessions.*endpoint)(r); }});
    };
    add(Method::Post, "/api/login", Access::Public, BodyKind::Json, &SessionEndpoints::login);
    add(Method::Post, "/api/logout", Access::Public, BodyKind::None, &SessionEndpoints::logout);
    add(Method::Get, "/api/session", Access::Read, BodyKind::None, &SessionEndpoints::session);
}

} // namespace fazt::admin
