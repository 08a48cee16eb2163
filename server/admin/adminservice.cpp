#include "admin/adminservice.h"

#include "admin/adminsite.h"
#include "admin/auditapi.h"
#include "admin/backupapi.h"
#include "admin/configapi.h"
#include "admin/deploysapi.h"
#include "admin/sessionsapi.h"
#include "admin/simulatorapi.h"
#include "admin/siteaccess.h"
#include "admin/sitesapi.h"
#include "admin/tokensapi.h"
#include "config/config.h"
#include "config/settings.h"
#include "db/database.h"
#include "http/urlpath.h"
#include "http/clientaddress.h"
#include "http/responses.h"

#include <QFile>
#include <QHostAddress>
#include <QJsonDocument>

namespace fazt::admin {

using http::Method;
using http::methodName;
using http::Response;

namespace {

bool isStateChanging(Method method) {
    return method != Method::Get && method != Method::Head && method != Method::Options;
}

auth::Scope scopeFor(Access access) {
    switch (access) {
    case Access::Read:
        return auth::Scope::Read;
    case Access::Deploy:
        return auth::Scope::Deploy;
    case Access::Public:
    case Access::Admin:
        break;
    }
    return auth::Scope::Admin;
}

QString accessName(Access access) {
    switch (access) {
    case Access::Read:
        return QStringLiteral("read");
    case Access::Deploy:
        return QStringLiteral("deploy");
    case Access::Admin:
        return QStringLiteral("admin");
    case Access::Public:
        break;
    }
    return QString();
}

// One account, whatever the addresses: 20 attempts at once, then one every 3 seconds (about
// a thousand guesses an hour at most, while the owner's own logins barely notice).
auth::LoginLimiter::Options accountLimits() {
    auth::LoginLimiter::Options options;
    options.burst = 20;
    options.refillInterval = 3;
    options.maxAddresses = 10000;
    return options;
}

// Public endpoints other than login (the simulator, openapi.json): 60 at once per address,
// then one a second, so no one can keep the admin thread busy for the owner.
auth::LoginLimiter::Options publicLimits() {
    auth::LoginLimiter::Options options;
    options.burst = 60;
    options.refillInterval = 1;
    return options;
}

} // namespace

AdminService::AdminService(db::Database &database, vfs::Vfs &vfs, vfs::VfsCache &cache,
                           Config &config, hosting::HostRouter &router, Options options)
    : m_database(database)
    , m_vfs(vfs)
    , m_cache(cache)
    , m_config(config)
    , m_router(router)
    , m_options(std::move(options))
    , m_uploadRamBytes(m_options.uploadRamBytes)
    , m_credentials(database)
    , m_tokens(database)
    , m_loginLimiter(auth::LoginLimiter::Options())
    , m_accountLimiter(accountLimits())
    , m_audit(database)
    , m_publicLimiter(publicLimits())
    , m_adminThread(QStringLiteral("fazt-admin"), 256, TaskThread::Scheduling::Favoured)
    , m_jobsThread(QStringLiteral("fazt-jobs"), 16) {
    m_deployJobs = std::make_unique<DeployJobs>(
        database, vfs, m_options.archiveLimits, m_jobsThread,
        [this](const vfs::DeployInfo &deploy) { return deployJson(deploy); });
    addRoutes();
}

AdminService::~AdminService() = default;

Status AdminService::load() {
    if (Status s = m_credentials.load(); !s)
        return s;
    if (Status s = m_tokens.load(); !s)
        return s;
    m_authFingerprint = authFingerprint();
    if (auto latest =
            m_database.reader().queryInt("SELECT coalesce(max(updated_at), 0) FROM users"))
        m_usersSeenUpTo = *latest + 1;
    return {};
}

// The client's address for rate limiting (see TrustedProxies). An IPv6 client is its /64:
// one host owns a whole /64, and could otherwise take a fresh address for every guess.
QString AdminService::clientAddress(const http::Request &request) const {
    const QHostAddress client =
        http::TrustedProxies(m_config.setting(settings::HttpTrustedProxies)).clientOf(request);
    bool isV4 = false;
    client.toIPv4Address(&isV4);
    if (client.protocol() != QAbstractSocket::IPv6Protocol || isV4)
        return client.toString();
    Q_IPV6ADDR prefix = client.toIPv6Address();
    std::fill(std::begin(prefix.c) + 8, std::end(prefix.c), quint8(0));
    return QHostAddress(prefix).toString() + QStringLiteral("/64");
}

// Users and tokens can change behind the server's back (`fazt server set-credentials` and
// `create-token` work on the file while it runs): a cheap fingerprint tells when to reload.
// A password changed by another process (`fazt server set-credentials`) ends that user's
// sessions here too: whoever was logged in with the old password must log in again.
void AdminService::endSessionsOfChangedUsers() {
    auto stmt =
        m_database.reader().prepare("SELECT username, updated_at FROM users WHERE updated_at >= ?");
    if (!stmt)
        return;
    stmt->bindAll(m_usersSeenUpTo);
    while (stmt->next()) {
        m_sessions.removeUser(stmt->text(0));
        m_usersSeenUpTo = std::max(m_usersSeenUpTo, stmt->int64(1));
    }
}

QByteArray AdminService::authFingerprint() {
    auto stmt = m_database.reader().prepare(
        "SELECT (SELECT coalesce(max(updated_at), 0) || '/' || count(*) FROM users) || ':' || "
        "(SELECT coalesce(max(id), 0) || '/' || count(revoked_at) FROM api_tokens)");
    if (!stmt || !stmt->next())
        return {};
    return stmt->text(0).toLatin1();
}

void AdminService::refreshAuth() {
    (void)m_adminThread.post([this] { reloadAuthIfChanged(); });
}

void AdminService::reloadAuthIfChanged() {
    const QByteArray fingerprint = authFingerprint();
    if (fingerprint.isEmpty() || fingerprint == m_authFingerprint)
        return;
    const QByteArray usersBefore = m_authFingerprint.split(':').first();
    m_authFingerprint = fingerprint;
    if (fingerprint.split(':').first() != usersBefore)
        endSessionsOfChangedUsers();
    if (Status s = m_credentials.load(); !s)
        qWarning("Reloading users failed: %s", qPrintable(s.error().message));
    if (Status s = m_tokens.load(); !s)
        qWarning("Reloading API tokens failed: %s", qPrintable(s.error().message));
}

void AdminService::addRoutes() {
    addSessionRoutes(*this);
    addSiteRoutes(*this, m_database, m_vfs, m_config, m_router);
    addDeployRoutes(*this, m_vfs, *m_deployJobs);
    addTokenRoutes(*this);
    addConfigRoutes(*this, m_database, m_cache, m_config);
    m_routes.append({Method::Get, QStringLiteral("/api/openapi.json"), Access::Public,
                     BodyKind::None, false, &AdminService::openApi});
    addAuditRoutes(*this, m_database);
    addSimulatorRoutes(*this);
    addBackupRoutes(*this, m_database);
}

const Route *AdminService::match(Method method, const QString &path,
                                 QHash<QString, QString> &params, QStringList &allowed) const {
    const QStringList parts = path.split(u'/');
    const Route *found = nullptr;
    for (const Route &route : m_routes) {
        const QStringList pattern = route.pattern.split(u'/');
        if (pattern.size() != parts.size())
            continue;
        QHash<QString, QString> captured;
        bool isMatch = true;
        for (qsizetype i = 0; i < parts.size() && isMatch; ++i) {
            if (pattern[i].startsWith(u'{'))
                captured.insert(pattern[i].mid(1, pattern[i].size() - 2), parts[i]);
            else
                isMatch = pattern[i] == parts[i];
        }
        if (!isMatch)
            continue;
        allowed.append(QString::fromLatin1(methodName(route.method)));
        const bool methodMatches =
            route.method == method || (method == Method::Head && route.method == Method::Get);
        if (methodMatches && !found) {
            found = &route;
            params = std::move(captured);
        }
    }
    return found;
}

// A request's way through the API: matched to a route, authenticated, let past the rate
// limits, its body received; then dispatched to the admin thread. Each step answers the
// request itself when it stops it.
void AdminService::handle(http::Exchange &exchange) {
    std::shared_ptr<ApiRequest> apiRequest = std::make_shared<ApiRequest>();
    const Route *route = matchRoute(exchange, *apiRequest);
    if (!route || !authenticate(exchange, *route, *apiRequest) ||
        !isWithinRateLimits(exchange, *route, *apiRequest))
        return;
    receive(exchange, *route, std::move(apiRequest));
}

const Route *AdminService::matchRoute(http::Exchange &exchange, ApiRequest &apiRequest) const {
    const http::Request &request = exchange.request();
    auto path = http::decodePath(request.path());
    if (!path) {
        exchange.respond(apiError(400, "invalid", path.error().message));
        return nullptr;
    }
    const QString fullPath = u'/' + *path;
    if (!fullPath.startsWith(QLatin1String("/api/")) && fullPath != QLatin1String("/api")) {
        // The dashboard's files are served before this handler (SiteHandler::setDashboard).
        exchange.respond(apiError(404, "not_found",
                                  QStringLiteral("The admin dashboard is not installed on this "
                                                 "server: run 'fazt server reset-admin'. The API "
                                                 "is described at /api/openapi.json.")));
        return nullptr;
    }
    QStringList allowed;
    const Route *route = match(request.method(), fullPath, apiRequest.params, allowed);
    if (!route) {
        if (allowed.isEmpty()) {
            exchange.respond(apiError(
                404, "not_found", QStringLiteral("There is no API endpoint %1.").arg(fullPath)));
            return nullptr;
        }
        Response refused = apiError(
            405, "method_not_allowed",
            QStringLiteral("%1 accepts %2.").arg(fullPath, allowed.join(QStringLiteral(", "))));
        refused.allow = allowed.join(QStringLiteral(", ")).toLatin1();
        exchange.respond(std::move(refused));
        return nullptr;
    }
    // The dashboard's own site is the server's: no deploy, setting or deletion reaches it.
    if (apiRequest.params.value(QStringLiteral("name")) == AdminSite::SiteName) {
        exchange.respond(
            apiError(403, "system_site",
                     QStringLiteral("'admin' is the dashboard's system site, kept by fazt itself; "
                                    "'fazt server reset-admin' puts the built-in one back.")));
        return nullptr;
    }
    apiRequest.method = request.method();
    apiRequest.path = fullPath;
    apiRequest.query = QUrlQuery(QString::fromUtf8(request.query()));
    apiRequest.peer = request.peer();
    apiRequest.isSecure = m_options.isSecure;
    apiRequest.contentType = request.field(http::Field::ContentType).toByteArray();
    apiRequest.idempotencyKey = request.field(http::Field::IdempotencyKey).trimmed().toByteArray();
    apiRequest.prefersAsync = request.field(http::Field::Prefer).contains("respond-async");
    return route;
}

// From RAM: a bearer token, or the session cookie (with CSRF for changes). A public route
// lets an anonymous caller through.
bool AdminService::authenticate(http::Exchange &exchange, const Route &route,
                                ApiRequest &apiRequest) {
    const http::Request &request = exchange.request();
    // The first cookie that is a live session: one planted beside it (by a sibling site, over
    // plain HTTP) cannot push the owner's aside.
    std::optional<auth::Session> liveSession;
    for (const QByteArray &id :
         auth::sessionIdsFromCookieHeader(request.field(http::Field::Cookie), m_options.isSecure)) {
        if ((liveSession = m_sessions.find(id)))
            break;
    }
    const QByteArrayView authorization = request.field(http::Field::Authorization);
    if (authorization.startsWith("Bearer "))
        return authenticateToken(exchange, route, apiRequest, authorization.sliced(7).trimmed());
    if (liveSession) {
        if (isStateChanging(request.method()) &&
            !auth::csrfMatches(*liveSession, request.field(http::Field::XCsrfToken))) {
            exchange.respond(apiError(
                403, "csrf",
                QStringLiteral("This change needs the session's CSRF token in the "
                               "X-CSRF-Token header (from POST /api/login or GET /api/session).")));
            return false;
        }
        apiRequest.caller.username = liveSession->username;
        apiRequest.caller.isSession = true;
        apiRequest.caller.sessionId = liveSession->id;
    } else if (route.access != Access::Public) {
        exchange.respond(apiError(401, "unauthorized",
                                  QStringLiteral("Log in (POST /api/login) or send an API token "
                                                 "(Authorization: Bearer ...).")));
        return false;
    }
    apiRequest.clientAddress = clientAddress(request);
    return true;
}

// A bearer token: valid, with the scope the route needs, for the site it names.
bool AdminService::authenticateToken(http::Exchange &exchange, const Route &route,
                                     ApiRequest &apiRequest, QByteArrayView secret) {
    const auto token = m_tokens.authenticate(secret);
    if (!token) {
        exchange.respond(
            apiError(401, "unauthorized",
                     QStringLiteral("The API token is not valid (revoked or mistyped). "
                                    "Create a new one with 'fazt server create-token'.")));
        return false;
    }
    apiRequest.caller.tokenId = token->id;
    apiRequest.caller.tokenName = token->name;
    apiRequest.caller.scopes = token->scopes;
    apiRequest.caller.sites = token->sites;
    apiRequest.clientAddress = clientAddress(exchange.request());
    const bool isSiteCreation = route.method == Method::Post &&
                                route.pattern == QLatin1String("/api/sites") &&
                                token->scopes.testFlag(auth::Scope::CreateSites);
    if (route.access != Access::Public && !isSiteCreation &&
        !auth::TokenStore::allows(token->scopes, scopeFor(route.access))) {
        refuse(exchange, route, apiRequest,
               apiError(403, "forbidden",
                        QStringLiteral("This token lacks the '%1' scope needed for %2 %3%4.")
                            .arg(accessName(route.access),
                                 QString::fromLatin1(methodName(route.method)), route.pattern,
                                 route.pattern == QLatin1String("/api/sites")
                                     ? QStringLiteral(" (or the create-sites scope)")
                                     : QString())));
        return false;
    }
    if (auto refused = SiteAccess::refusal(route, apiRequest)) {
        refuse(exchange, route, apiRequest, std::move(*refused));
        return false;
    }
    return true;
}

// Public routes are limited per address, and logins from an address that failed too often
// are refused before they queue for the admin thread.
bool AdminService::isWithinRateLimits(http::Exchange &exchange, const Route &route,
                                      const ApiRequest &apiRequest) {
    const bool isSessionRoute = route.pattern == QLatin1String("/api/login") ||
                                route.pattern == QLatin1String("/api/logout");
    if (route.access == Access::Public && !isSessionRoute) {
        if (const auto wait = m_publicLimiter.acquire(apiRequest.clientAddress)) {
            Response limited =
                apiError(429, "rate_limited",
                         QStringLiteral("Too many requests from your address. Retry in %1 seconds.")
                             .arg(*wait));
            limited.retryAfterSeconds = int(*wait);
            exchange.respond(std::move(limited));
            return false;
        }
    }
    if (route.pattern == QLatin1String("/api/login")) {
        // A first look; login() counts the attempt.
        if (const auto wait = m_loginLimiter.retryAfterSeconds(apiRequest.clientAddress)) {
            exchange.respond(
                loginRefused(*wait, QStringLiteral("Too many failed logins from your address.")));
            return false;
        }
    }
    return true;
}

// The body the route takes, then the dispatch.
void AdminService::receive(http::Exchange &exchange, const Route &route,
                           std::shared_ptr<ApiRequest> apiRequest) {
    switch (route.body) {
    case BodyKind::None:
        dispatch(route, std::move(apiRequest), exchange);
        return;
    case BodyKind::Json:
        receiveJson(exchange, route, std::move(apiRequest));
        return;
    case BodyKind::Archive:
        receiveArchive(exchange, route, std::move(apiRequest));
        return;
    }
}

void AdminService::receiveJson(http::Exchange &exchange, const Route &route,
                               std::shared_ptr<ApiRequest> apiRequest) {
    auto body = std::make_shared<QByteArray>();
    const Route *r = &route;
    exchange.receiveBody(m_options.maxJsonBytes, [this, r, apiRequest, body,
                                                  &exchange](QByteArrayView piece, bool last) {
        body->append(piece);
        if (!last)
            return;
        QJsonParseError error{};
        const QJsonDocument document = QJsonDocument::fromJson(*body, &error);
        if (error.error != QJsonParseError::NoError || !document.isObject()) {
            exchange.respond(apiError(
                400, "invalid_json",
                QStringLiteral("The body must be a JSON object (%1).")
                    .arg(body->isEmpty() ? QStringLiteral("it is empty") : error.errorString())));
            return;
        }
        apiRequest->json = document.object();
        dispatch(*r, apiRequest, exchange);
    });
}

// A site archive, streamed into an Upload (RAM, then a temporary file) within the limits.
void AdminService::receiveArchive(http::Exchange &exchange, const Route &route,
                                  std::shared_ptr<ApiRequest> apiRequest) {
    const http::Request &request = exchange.request();
    if (!request.hasBody()) {
        exchange.respond(
            apiError(411, "body_required",
                     QStringLiteral("Send the site as a zip or tar(.gz/.zst) archive in the "
                                    "request body.")));
        return;
    }
    if (request.contentLength() > m_options.maxUploadBytes) {
        exchange.respond(
            apiError(413, "too_large",
                     QStringLiteral("The upload is %1 bytes; this server accepts at most %2.")
                         .arg(request.contentLength())
                         .arg(m_options.maxUploadBytes)));
        return;
    }
    if (m_uploadGate) {
        if (auto refusal = m_uploadGate(request.contentLength())) {
            exchange.respond(std::move(*refusal));
            return;
        }
    }
    apiRequest->upload = std::make_shared<Upload>(m_uploadRamBytes.load());
    auto failed = std::make_shared<bool>(false);
    const Route *r = &route;
    exchange.receiveBody(m_options.maxUploadBytes, [this, r, apiRequest, failed,
                                                    &exchange](QByteArrayView piece, bool last) {
        if (*failed)
            return;
        if (m_deployJobs->isStopping()) { // SIGTERM: answer while the connection is there
            *failed = true;
            Response stopping =
                apiError(503, "stopped",
                         QStringLiteral("The server is stopping: this upload was not stored. Send "
                                        "it again in a moment."));
            stopping.connection = http::ConnectionPolicy::Close;
            exchange.respond(std::move(stopping));
            return;
        }
        Status s = apiRequest->upload->append(piece);
        if (s && last)
            s = apiRequest->upload->finish();
        if (!s) {
            *failed = true;
            exchange.respond(apiError(s.error()));
            return;
        }
        if (last)
            dispatch(*r, apiRequest, exchange);
    });
}

// A token refused before its call runs (scope, sites): answered, and audited like a 403 the
// call itself gives.
void AdminService::refuse(http::Exchange &exchange, const Route &route, const ApiRequest &request,
                          Response response) {
    if (auto entry = auditEntryFor(route, request, response))
        (void)m_audit.record(std::move(*entry));
    exchange.respond(std::move(response));
}

void AdminService::dispatch(const Route &route, std::shared_ptr<ApiRequest> request,
                            http::Exchange &exchange) {
    http::Responder responder = exchange.defer();
    const Route *r = &route;
    const bool posted =
        (route.isLongRunning ? m_jobsThread : m_adminThread).post([this, r, request, responder] {
            request->responder = responder;
            Response response = r->run(*request);
            // An endpoint that answers later (a deploy job the client waits for) has taken
            // the request on: audited as accepted.
            const bool isLater = response.status == 0; // answeredLater()
            const Response accepted(202);
            if (auto entry = auditEntryFor(*r, *request, isLater ? accepted : response))
                (void)m_audit.record(std::move(*entry)); // queued, never waited for
            if (!isLater)
                responder.respond(std::move(response));
        });
    if (!posted)
        exchange.respond(apiError(
            503, "busy",
            QStringLiteral("The admin API is busy with other requests. Retry in a moment.")));
}

QString AdminService::siteUrl(const QString &site) const {
    const QString domain = m_config.setting(settings::Domain);
    const QString host = site == QLatin1String("root") ? domain : site + u'.' + domain;
    const QString scheme = m_options.isSecure ? QStringLiteral("https") : QStringLiteral("http");
    const quint16 port = m_publicPort;
    const bool isDefaultPort =
        (m_options.isSecure && port == 443) || (!m_options.isSecure && port == 80);
    return isDefaultPort ? QStringLiteral("%1://%2/").arg(scheme, host)
                         : QStringLiteral("%1://%2:%3/").arg(scheme, host).arg(port);
}

QJsonObject AdminService::siteJson(const vfs::SiteInfo &site) const {
    return {{QStringLiteral("name"), site.name},
            {QStringLiteral("createdAt"), isoTime(site.createdAt)},
            {QStringLiteral("activeDeployId"),
             site.activeDeployId ? QJsonValue(site.activeDeployId) : QJsonValue()},
            {QStringLiteral("settings"), QJsonDocument::fromJson(site.settings.toUtf8()).object()},
            {QStringLiteral("url"), siteUrl(site.name)}};
}

QJsonObject AdminService::deployJson(const vfs::DeployInfo &deploy) const {
    return {{QStringLiteral("id"), deploy.id},
            {QStringLiteral("site"), deploy.site},
            {QStringLiteral("createdAt"), isoTime(deploy.createdAt)},
            {QStringLiteral("fileCount"), deploy.fileCount},
            {QStringLiteral("bytes"), deploy.bytes},
            {QStringLiteral("isActive"), deploy.isActive},
            {QStringLiteral("url"), siteUrl(deploy.site)}};
}

Response AdminService::openApi(ApiRequest &) {
    QFile file(QStringLiteral(":/openapi.json"));
    if (!file.open(QIODevice::ReadOnly))
        return apiError(500, "internal",
                        QStringLiteral("openapi.json is missing from this build."));
    Response response = http::makeResponse(200, "application/json", file.readAll());
    response.cacheControl = "no-cache";
    return response;
}

} // namespace fazt::admin
