#include "admin/adminservice.h"

#include "admin/auditapi.h"
#include "admin/adminsite.h"
#include "admin/backupapi.h"
#include "admin/simulatorapi.h"
#include "admin/siteaccess.h"
#include "config/config.h"
#include "db/database.h"
#include "hosting/hostrouter.h"
#include "hosting/sitehandler.h"
#include "http/accesslog.h"
#include "http/clientaddress.h"
#include "http/responses.h"
#include "vfs/vfs.h"
#include "vfs/vfscache.h"

#include <QDateTime>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>

#include <malloc.h>

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

QString iso(qint64 unixSeconds) {
    return unixSeconds > 0
               ? QDateTime::fromSecsSinceEpoch(unixSeconds, Qt::UTC).toString(Qt::ISODate)
               : QString();
}

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

// One account, whatever the addresses: 20 attempts at once, then one every 3 seconds (about
// a thousand guesses an hour at most, while the owner's own logins barely notice).
auth::LoginLimiter::Options accountLimits() {
    auth::LoginLimiter::Options options;
    options.burst = 20;
    options.refillInterval = 3;
    options.maxAddresses = 10000;
    return options;
}

// Settings that are text, not numbers: the access log's format and file.
QStringList textSettings() {
    return {QStringLiteral("log.access"), QStringLiteral("log.access_file")};
}

bool isTextSetting(const QString &key) {
    return textSettings().contains(key);
}

// The value to store for a text setting, or why it cannot be.
Result<QString> checkTextSetting(const QString &key, const QJsonValue &value,
                                 const QString &databasePath) {
    if (!value.isString())
        return Error::invalid(QStringLiteral("'%1' takes a string.").arg(key));
    const QString text = value.toString().trimmed();
    if (key == QLatin1String("log.access")) {
        auto format = http::AccessLog::parseFormat(text);
        return format ? Result<QString>(text) : Result<QString>(format.error());
    }
    // Appending log lines to the database (or its journal) would destroy it.
    if (!text.isEmpty() && QFileInfo(text).absoluteFilePath().startsWith(databasePath))
        return Error::invalid(QStringLiteral("The access log cannot be written into the database "
                                             "file %1: choose another path.")
                                  .arg(databasePath));
    if (Status s = http::AccessLog::checkDestination(text); !s)
        return s.error();
    return text;
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

Response jsonResponse(int status, const QJsonObject &body) {
    Response response = http::makeResponse(status, "application/json",
                                           QJsonDocument(body).toJson(QJsonDocument::Compact));
    response.head.append("Cache-Control: no-store\r\n");
    return response;
}

Response jsonResponse(int status, const QJsonArray &body) {
    Response response = http::makeResponse(status, "application/json",
                                           QJsonDocument(body).toJson(QJsonDocument::Compact));
    response.head.append("Cache-Control: no-store\r\n");
    return response;
}

Response apiError(int status, QByteArrayView code, const QString &message) {
    return jsonResponse(
        status, QJsonObject{{QStringLiteral("error"),
                             QJsonObject{{QStringLiteral("code"), QString::fromLatin1(code)},
                                         {QStringLiteral("message"), message}}}});
}

ErrorStatus errorStatus(Error::Code code) {
    switch (code) {
    case Error::Code::Invalid:
        return {400, "invalid"};
    case Error::Code::NotFound:
        return {404, "not_found"};
    case Error::Code::Conflict:
        return {409, "conflict"};
    case Error::Code::Busy:
        return {503, "busy"};
    case Error::Code::TooLarge:
        return {413, "too_large"};
    case Error::Code::DiskFull:
        return {507, "disk_full"};
    case Error::Code::ReadOnly:
        return {503, "read_only"};
    case Error::Code::Unsupported:
        return {400, "unsupported"};
    case Error::Code::Io:
    case Error::Code::Database:
    case Error::Code::Internal:
        break;
    }
    return {500, "internal"};
}

Response apiError(const Error &error) {
    const ErrorStatus mapped = errorStatus(error.code);
    if (mapped.status == 500)
        qWarning("admin API: %s", qPrintable(error.message));
    return apiError(mapped.status, mapped.code, error.message);
}

Response answeredLater() {
    return {};
}

Response cannotCreateSites(const QString &site) {
    return apiError(403, "forbidden",
                    QStringLiteral("There is no site '%1', and this token may not create sites. "
                                   "Create it with an admin token (fazt sites create, POST "
                                   "/api/sites), or use a token with the create-sites scope.")
                        .arg(site.left(80)));
}

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
    , m_adminThread(QStringLiteral("fazt-admin"), 256)
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
        http::TrustedProxies(m_config.value(QStringLiteral("http.trusted_proxies")))
            .clientOf(request);
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
    const auto add = [this](Method method, const char *pattern, Access access, BodyKind body,
                            Response (AdminService::*endpoint)(ApiRequest &), bool isLong = false) {
        m_routes.append({method, QString::fromLatin1(pattern), access, body, isLong,
                         [this, endpoint](ApiRequest &r) { return (this->*endpoint)(r); }});
    };
    add(Method::Post, "/api/login", Access::Public, BodyKind::Json, &AdminService::login);
    add(Method::Post, "/api/logout", Access::Public, BodyKind::None, &AdminService::logout);
    add(Method::Get, "/api/session", Access::Read, BodyKind::None, &AdminService::session);
    add(Method::Get, "/api/sites", Access::Read, BodyKind::None, &AdminService::listSites);
    // Admin, or a token with the create-sites right (see handle()).
    add(Method::Post, "/api/sites", Access::Admin, BodyKind::Json, &AdminService::createSite);
    add(Method::Get, "/api/sites/{name}", Access::Read, BodyKind::None, &AdminService::getSite);
    add(Method::Delete, "/api/sites/{name}", Access::Admin, BodyKind::None,
        &AdminService::deleteSite);
    add(Method::Put, "/api/sites/{name}/settings", Access::Admin, BodyKind::Json,
        &AdminService::updateSettings);
    add(Method::Get, "/api/sites/{name}/domains", Access::Read, BodyKind::None,
        &AdminService::listDomains);
    add(Method::Post, "/api/sites/{name}/domains", Access::Admin, BodyKind::Json,
        &AdminService::addDomain);
    add(Method::Delete, "/api/sites/{name}/domains/{hostname}", Access::Admin, BodyKind::None,
        &AdminService::removeDomain);
    add(Method::Get, "/api/sites/{name}/deploys", Access::Read, BodyKind::None,
        &AdminService::listDeploys);
    add(Method::Post, "/api/sites/{name}/deploys", Access::Deploy, BodyKind::Archive,
        &AdminService::uploadDeploy);
    const auto addJobs = [this](Method method, const char *pattern, Access access, BodyKind body,
                                Response (DeployJobs::*endpoint)(ApiRequest &)) {
        m_routes.append({method, QString::fromLatin1(pattern), access, body, false,
                         [this, endpoint](ApiRequest &r) { return (*m_deployJobs.*endpoint)(r); }});
    };
    addJobs(Method::Get, "/api/sites/{name}/deploy-jobs", Access::Deploy, BodyKind::None,
            &DeployJobs::list);
    addJobs(Method::Get, "/api/sites/{name}/deploy-jobs/{id}", Access::Read, BodyKind::None,
            &DeployJobs::get);
    // Incremental deploys: a manifest, the content the server lacks, a commit.
    addJobs(Method::Post, "/api/sites/{name}/deploy-jobs", Access::Deploy, BodyKind::Archive,
            &DeployJobs::startFromManifest);
    addJobs(Method::Post, "/api/sites/{name}/deploy-jobs/{id}/blobs", Access::Deploy,
            BodyKind::Archive, &DeployJobs::receiveBlobs);
    addJobs(Method::Post, "/api/sites/{name}/deploy-jobs/{id}/commit", Access::Deploy,
            BodyKind::None, &DeployJobs::commit);
    add(Method::Post, "/api/sites/{name}/deploys/{id}/activate", Access::Deploy, BodyKind::None,
        &AdminService::activateDeploy);
    add(Method::Post, "/api/sites/{name}/rollback", Access::Deploy, BodyKind::None,
        &AdminService::rollback);
    add(Method::Get, "/api/tokens", Access::Admin, BodyKind::None, &AdminService::listTokens);
    add(Method::Post, "/api/tokens", Access::Admin, BodyKind::Json, &AdminService::createToken);
    add(Method::Delete, "/api/tokens/{id}", Access::Admin, BodyKind::None,
        &AdminService::revokeToken);
    add(Method::Get, "/api/config", Access::Read, BodyKind::None, &AdminService::getConfig);
    add(Method::Put, "/api/config", Access::Admin, BodyKind::Json, &AdminService::setConfig);
    add(Method::Get, "/api/openapi.json", Access::Public, BodyKind::None, &AdminService::openApi);
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

void AdminService::handle(http::Exchange &exchange) {
    const http::Request &request = exchange.request();
    auto path = hosting::SiteHandler::decodePath(request.path());
    if (!path) {
        exchange.respond(apiError(400, "invalid", path.error().message));
        return;
    }
    const QString fullPath = u'/' + *path;
    if (!fullPath.startsWith(QLatin1String("/api/")) && fullPath != QLatin1String("/api")) {
        // The dashboard's files are served before this handler (SiteHandler::setDashboard).
        exchange.respond(apiError(404, "not_found",
                                  QStringLiteral("The admin dashboard is not installed on this "
                                                 "server: run 'fazt server reset-admin'. The API "
                                                 "is described at /api/openapi.json.")));
        return;
    }
    auto apiRequest = std::make_shared<ApiRequest>();
    QStringList allowed;
    const Route *route = match(request.method(), fullPath, apiRequest->params, allowed);
    if (!route) {
        if (allowed.isEmpty()) {
            exchange.respond(apiError(
                404, "not_found", QStringLiteral("There is no API endpoint %1.").arg(fullPath)));
            return;
        }
        Response refused = apiError(
            405, "method_not_allowed",
            QStringLiteral("%1 accepts %2.").arg(fullPath, allowed.join(QStringLiteral(", "))));
        refused.head.append("Allow: " + allowed.join(QStringLiteral(", ")).toLatin1() + "\r\n");
        exchange.respond(std::move(refused));
        return;
    }
    // The dashboard's own site is the server's: no deploy, setting or deletion reaches it.
    if (apiRequest->params.value(QStringLiteral("name")) == AdminSite::SiteName) {
        exchange.respond(
            apiError(403, "system_site",
                     QStringLiteral("'admin' is the dashboard's system site, kept by fazt itself; "
                                    "'fazt server reset-admin' puts the built-in one back.")));
        return;
    }
    apiRequest->method = request.method();
    apiRequest->path = fullPath;
    apiRequest->query = QUrlQuery(QString::fromUtf8(request.query()));
    apiRequest->peer = request.peer();
    apiRequest->isSecure = m_options.isSecure;
    apiRequest->contentType = request.field("Content-Type").toByteArray();
    apiRequest->idempotencyKey = request.field("Idempotency-Key").trimmed().toByteArray();
    apiRequest->prefersAsync = request.field("Prefer").contains("respond-async");

    // Authenticate from RAM: a bearer token, or the session cookie (with CSRF for changes).
    const QByteArrayView authorization = request.field("Authorization");
    // The first cookie that is a live session: one planted beside it (by a sibling site, over
    // plain HTTP) cannot push the owner's aside.
    std::optional<auth::Session> liveSession;
    for (const QByteArray &id :
         auth::sessionIdsFromCookieHeader(request.field("Cookie"), m_options.isSecure)) {
        if ((liveSession = m_sessions.find(id)))
            break;
    }
    bool isAuthenticated = false;
    if (authorization.startsWith("Bearer ")) {
        const auto token = m_tokens.authenticate(authorization.sliced(7).trimmed());
        if (!token) {
            exchange.respond(
                apiError(401, "unauthorized",
                         QStringLiteral("The API token is not valid (revoked or mistyped). "
                                        "Create a new one with 'fazt server create-token'.")));
            return;
        }
        apiRequest->caller.tokenId = token->id;
        apiRequest->caller.tokenName = token->name;
        apiRequest->caller.scopes = token->scopes;
        apiRequest->caller.sites = token->sites;
        apiRequest->clientAddress = clientAddress(request);
        const bool isSiteCreation = route->method == Method::Post &&
                                    route->pattern == QLatin1String("/api/sites") &&
                                    token->scopes.testFlag(auth::Scope::CreateSites);
        if (route->access != Access::Public && !isSiteCreation &&
            !auth::TokenStore::allows(token->scopes, scopeFor(route->access))) {
            refuse(exchange, *route, *apiRequest,
                   apiError(403, "forbidden",
                            QStringLiteral("This token lacks the '%1' scope needed for %2 %3%4.")
                                .arg(accessName(route->access),
                                     QString::fromLatin1(methodName(route->method)), route->pattern,
                                     route->pattern == QLatin1String("/api/sites")
                                         ? QStringLiteral(" (or the create-sites scope)")
                                         : QString())));
            return;
        }
        if (auto refused = SiteAccess::refusal(*route, *apiRequest)) {
            refuse(exchange, *route, *apiRequest, std::move(*refused));
            return;
        }
        isAuthenticated = true;
    } else if (liveSession) {
        if (isStateChanging(request.method()) &&
            !auth::csrfMatches(*liveSession, request.field("X-CSRF-Token"))) {
            exchange.respond(apiError(
                403, "csrf",
                QStringLiteral("This change needs the session's CSRF token in the "
                               "X-CSRF-Token header (from POST /api/login or GET /api/session).")));
            return;
        }
        apiRequest->caller.username = liveSession->username;
        apiRequest->caller.isSession = true;
        apiRequest->caller.sessionId = liveSession->id;
        isAuthenticated = true;
    }
    if (!isAuthenticated && route->access != Access::Public) {
        exchange.respond(apiError(401, "unauthorized",
                                  QStringLiteral("Log in (POST /api/login) or send an API token "
                                                 "(Authorization: Bearer ...).")));
        return;
    }
    if (apiRequest->clientAddress.isEmpty()) // a token's caller has it already
        apiRequest->clientAddress = clientAddress(request);
    const bool isSessionRoute = route->pattern == QLatin1String("/api/login") ||
                                route->pattern == QLatin1String("/api/logout");
    if (route->access == Access::Public && !isSessionRoute) {
        if (const auto wait = m_publicLimiter.acquire(apiRequest->clientAddress)) {
            Response limited =
                apiError(429, "rate_limited",
                         QStringLiteral("Too many requests from your address. Retry in %1 seconds.")
                             .arg(*wait));
            limited.head.append("Retry-After: " + QByteArray::number(*wait) + "\r\n");
            exchange.respond(std::move(limited));
            return;
        }
    }
    if (route->pattern == QLatin1String("/api/login")) {
        // A first look, so that a refused address does not even queue for the admin thread;
        // login() counts the attempt.
        if (const auto wait = m_loginLimiter.retryAfterSeconds(apiRequest->clientAddress)) {
            exchange.respond(
                loginRefused(*wait, QStringLiteral("Too many failed logins from your address.")));
            return;
        }
    }

    switch (route->body) {
    case BodyKind::None:
        dispatch(*route, apiRequest, exchange);
        return;
    case BodyKind::Json: {
        auto body = std::make_shared<QByteArray>();
        const Route *r = route;
        exchange.receiveBody(m_options.maxJsonBytes, [this, r, apiRequest, body,
                                                      &exchange](QByteArrayView piece, bool last) {
            body->append(piece);
            if (!last)
                return;
            QJsonParseError error{};
            const QJsonDocument document = QJsonDocument::fromJson(*body, &error);
            if (error.error != QJsonParseError::NoError || !document.isObject()) {
                exchange.respond(apiError(400, "invalid_json",
                                          QStringLiteral("The body must be a JSON object (%1).")
                                              .arg(body->isEmpty() ? QStringLiteral("it is empty")
                                                                   : error.errorString())));
                return;
            }
            apiRequest->json = document.object();
            dispatch(*r, apiRequest, exchange);
        });
        return;
    }
    case BodyKind::Archive: {
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
        const Route *r = route;
        exchange.receiveBody(m_options.maxUploadBytes, [this, r, apiRequest, failed, &exchange](
                                                           QByteArrayView piece, bool last) {
            if (*failed)
                return;
            if (m_deployJobs->isStopping()) { // SIGTERM: answer while the connection is there
                *failed = true;
                Response stopping = apiError(
                    503, "stopped",
                    QStringLiteral("The server is stopping: this upload was not stored. Send "
                                   "it again in a moment."));
                stopping.closeConnection = true;
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
        return;
    }
    }
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
            if (response.head.isEmpty())
                return; // it answers later (answeredLater())
            if (auto entry = auditEntryFor(*r, *request, response))
                (void)m_audit.record(std::move(*entry)); // queued, never waited for
            responder.respond(std::move(response));
        });
    if (!posted)
        exchange.respond(apiError(
            503, "busy",
            QStringLiteral("The admin API is busy with other requests. Retry in a moment.")));
}

QString AdminService::siteUrl(const QString &site) const {
    const QString domain = m_config.value(QStringLiteral("domain"), QStringLiteral("localhost"));
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
            {QStringLiteral("createdAt"), iso(site.createdAt)},
            {QStringLiteral("activeDeployId"),
             site.activeDeployId ? QJsonValue(site.activeDeployId) : QJsonValue()},
            {QStringLiteral("settings"), QJsonDocument::fromJson(site.settings.toUtf8()).object()},
            {QStringLiteral("url"), siteUrl(site.name)}};
}

QJsonObject AdminService::deployJson(const vfs::DeployInfo &deploy) const {
    return {{QStringLiteral("id"), deploy.id},
            {QStringLiteral("site"), deploy.site},
            {QStringLiteral("createdAt"), iso(deploy.createdAt)},
            {QStringLiteral("fileCount"), deploy.fileCount},
            {QStringLiteral("bytes"), deploy.bytes},
            {QStringLiteral("isActive"), deploy.isActive},
            {QStringLiteral("url"), siteUrl(deploy.site)}};
}

Response AdminService::login(ApiRequest &request) {
    const QString username = request.json.value(QStringLiteral("username")).toString();
    const QByteArray password = request.json.value(QStringLiteral("password")).toString().toUtf8();
    const QString peer = request.clientAddress;
    if (username.isEmpty() || password.isEmpty())
        return apiError(400, "invalid",
                        QStringLiteral("Send {\"username\": ..., \"password\": ...}."));
    // Counted before the hash runs: of a burst of parallel guesses, only the limiter's burst
    // reaches verify(). Then the account's own budget, for guesses spread over many addresses.
    if (const auto wait = m_loginLimiter.acquire(peer))
        return loginRefused(*wait, QStringLiteral("Too many failed logins from your address."));
    const QString account = username.left(64);
    if (const auto wait = m_accountLimiter.acquire(account))
        return loginRefused(*wait, QStringLiteral("Too many failed logins for this account, "
                                                  "from many addresses."));
    // A password set a moment ago by `fazt server set-credentials` counts at once.
    reloadAuthIfChanged();
    if (!m_credentials.verify(username, password))
        return apiError(401, "unauthorized", QStringLiteral("Wrong username or password."));
    m_loginLimiter.recordSuccess(peer);
    m_accountLimiter.recordSuccess(account);
    const auth::Session session = m_sessions.create(username);
    Response response = jsonResponse(
        200, QJsonObject{{QStringLiteral("username"), username},
                         {QStringLiteral("csrfToken"), QString::fromLatin1(session.csrfToken)},
                         {QStringLiteral("expiresAt"), iso(session.expiresAt)}});
    response.head.append("Set-Cookie: " + auth::sessionCookie(session, request.isSecure) + "\r\n");
    return response;
}

Response AdminService::loginRefused(int retryAfterSeconds, const QString &why) {
    Response limited =
        apiError(429, "rate_limited",
                 QStringLiteral("%1 Retry in %2 seconds.").arg(why).arg(retryAfterSeconds));
    limited.head.append("Retry-After: " + QByteArray::number(retryAfterSeconds) + "\r\n");
    return limited;
}

Response AdminService::logout(ApiRequest &request) {
    if (request.caller.isSession)
        m_sessions.remove(request.caller.sessionId);
    Response response = http::makeResponse(204, {}, {});
    response.head.append("Set-Cookie: " + auth::clearedSessionCookie(request.isSecure) + "\r\n");
    return response;
}

Response AdminService::session(ApiRequest &request) {
    if (request.caller.isSession) {
        const auto s = m_sessions.find(request.caller.sessionId);
        if (!s)
            return apiError(401, "unauthorized",
                            QStringLiteral("The session has expired; log in again."));
        return jsonResponse(
            200, QJsonObject{{QStringLiteral("username"), s->username},
                             {QStringLiteral("csrfToken"), QString::fromLatin1(s->csrfToken)},
                             {QStringLiteral("expiresAt"), iso(s->expiresAt)}});
    }
    return jsonResponse(200, QJsonObject{{QStringLiteral("token"), request.caller.tokenName},
                                         {QStringLiteral("tokenId"), request.caller.tokenId}});
}

Response AdminService::listSites(ApiRequest &request) {
    auto sites = m_vfs.sites();
    if (!sites)
        return apiError(sites.error());
    QJsonArray list;
    for (const vfs::SiteInfo &site : *sites)
        if (request.caller.mayTouch(site.name) && site.name != AdminSite::SiteName)
            list.append(siteJson(site));
    return jsonResponse(200, QJsonObject{{QStringLiteral("sites"), list}});
}

Response AdminService::createSite(ApiRequest &request) {
    const QString name = request.json.value(QStringLiteral("name")).toString();
    if (!request.caller.mayCreateSites())
        return cannotCreateSites(name);
    if (!request.caller.mayTouch(name))
        return SiteAccess::outsideSites(request.caller, name);
    if (Status s = vfs::Vfs::validateNewSiteName(name); !s)
        return apiError(s.error());
    auto site = m_vfs.createSite(name);
    if (!site)
        return apiError(site.error());
    return jsonResponse(201, siteJson(*site));
}

Response AdminService::getSite(ApiRequest &request) {
    auto site = m_vfs.site(request.params.value(QStringLiteral("name")));
    if (!site)
        return apiError(site.error());
    return jsonResponse(200, siteJson(*site));
}

Response AdminService::deleteSite(ApiRequest &request) {
    const QString name = request.params.value(QStringLiteral("name"));
    if (name == QLatin1String("root"))
        return apiError(
            409, "conflict",
            QStringLiteral("The landing site 'root' cannot be deleted; deploy over it instead."));
    if (Status s = m_vfs.deleteSite(name); !s)
        return apiError(s.error());
    (void)m_router.reloadDomains(m_database);
    return http::makeResponse(204, {}, {});
}

Response AdminService::updateSettings(ApiRequest &request) {
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
    auto site = m_vfs.site(name);
    if (!site)
        return apiError(site.error());
    QJsonObject merged = QJsonDocument::fromJson(site->settings.toUtf8()).object();
    for (auto it = settings.begin(); it != settings.end(); ++it)
        merged.insert(it.key(), it.value());
    if (Status s = m_vfs.setSiteSettings(
            name, QString::fromUtf8(QJsonDocument(merged).toJson(QJsonDocument::Compact)));
        !s)
        return apiError(s.error());
    return jsonResponse(200, merged);
}

Response AdminService::listDomains(ApiRequest &request) {
    const QString name = request.params.value(QStringLiteral("name"));
    auto site = m_vfs.site(name);
    if (!site)
        return apiError(site.error());
    auto stmt = m_database.reader().prepare(
        "SELECT hostname, created_at FROM domains WHERE site_id = ? ORDER BY hostname");
    if (!stmt)
        return apiError(stmt.error());
    stmt->bindAll(site->id);
    QJsonArray list;
    while (stmt->next())
        list.append(QJsonObject{{QStringLiteral("hostname"), stmt->text(0)},
                                {QStringLiteral("createdAt"), iso(stmt->int64(1))}});
    if (stmt->error())
        return apiError(*stmt->error());
    return jsonResponse(200, QJsonObject{{QStringLiteral("domains"), list}});
}

Response AdminService::addDomain(ApiRequest &request) {
    const QString name = request.params.value(QStringLiteral("name"));
    const QString hostname =
        request.json.value(QStringLiteral("hostname")).toString().trimmed().toLower();
    if (Status s = validateHostname(
            hostname, m_config.value(QStringLiteral("domain"), QStringLiteral("localhost")));
        !s)
        return apiError(s.error());
    auto site = m_vfs.site(name);
    if (!site)
        return apiError(site.error());
    const qint64 siteId = site->id;
    Status added = m_database.writer().run([hostname, siteId](db::Connection &c) -> Status {
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
    (void)m_router.reloadDomains(m_database);
    return jsonResponse(
        201, QJsonObject{{QStringLiteral("hostname"), hostname}, {QStringLiteral("site"), name}});
}

Response AdminService::removeDomain(ApiRequest &request) {
    const QString name = request.params.value(QStringLiteral("name"));
    const QString hostname = request.params.value(QStringLiteral("hostname")).toLower();
    Status removed = m_database.writer().run([name, hostname](db::Connection &c) -> Status {
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
    (void)m_router.reloadDomains(m_database);
    return http::makeResponse(204, {}, {});
}

Response AdminService::listDeploys(ApiRequest &request) {
    auto deploys = m_vfs.deploys(request.params.value(QStringLiteral("name")));
    if (!deploys)
        return apiError(deploys.error());
    QJsonArray list;
    for (const vfs::DeployInfo &d : *deploys)
        list.append(deployJson(d));
    return jsonResponse(200, QJsonObject{{QStringLiteral("deploys"), list}});
}

// Stored by a job on the jobs thread: answered at once (Prefer: respond-async) or at its end.
Response AdminService::uploadDeploy(ApiRequest &request) {
    return m_deployJobs->start(request);
}

Response AdminService::activateDeploy(ApiRequest &request) {
    const QString name = request.params.value(QStringLiteral("name"));
    bool ok = false;
    const qint64 id = request.params.value(QStringLiteral("id")).toLongLong(&ok);
    if (!ok)
        return apiError(400, "invalid", QStringLiteral("A deploy id is a number."));
    if (Status s = m_vfs.activate(name, id); !s)
        return apiError(s.error());
    auto deploy = m_vfs.deploy(id);
    return deploy ? jsonResponse(200, deployJson(*deploy)) : apiError(deploy.error());
}

Response AdminService::rollback(ApiRequest &request) {
    auto deploy = m_vfs.rollback(request.params.value(QStringLiteral("name")));
    return deploy ? jsonResponse(200, deployJson(*deploy)) : apiError(deploy.error());
}

Response AdminService::listTokens(ApiRequest &) {
    QJsonArray list;
    for (const auth::TokenInfo &t : m_tokens.list())
        list.append(QJsonObject{{QStringLiteral("id"), t.id},
                                {QStringLiteral("name"), t.name},
                                {QStringLiteral("scopes"), auth::formatScopes(t.scopes)},
                                {QStringLiteral("sites"), QJsonArray::fromStringList(t.sites)},
                                {QStringLiteral("createdAt"), iso(t.createdAt)},
                                {QStringLiteral("lastUsedAt"),
                                 t.lastUsedAt ? QJsonValue(iso(t.lastUsedAt)) : QJsonValue()}});
    return jsonResponse(200, QJsonObject{{QStringLiteral("tokens"), list}});
}

Response AdminService::createToken(ApiRequest &request) {
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
    auto created = m_tokens.create(name, *scopes, sites);
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

Response AdminService::revokeToken(ApiRequest &request) {
    bool ok = false;
    const qint64 id = request.params.value(QStringLiteral("id")).toLongLong(&ok);
    if (!ok)
        return apiError(400, "invalid", QStringLiteral("A token id is a number."));
    if (Status s = m_tokens.revoke(id); !s)
        return apiError(s.error());
    return http::makeResponse(204, {}, {});
}

Response AdminService::getConfig(ApiRequest &) {
    QJsonObject values;
    const auto all = m_config.all();
    for (auto it = all.begin(); it != all.end(); ++it)
        values.insert(it.key(), it.value());
    values.insert(QStringLiteral("cache.bytes"), QString::number(m_cache.budget()));
    values.insert(QStringLiteral("cache.large_file_bytes"),
                  QString::number(m_cache.largeFileThreshold()));
    values.insert(QStringLiteral("upload.max_bytes"), QString::number(m_options.maxUploadBytes));
    values.insert(QStringLiteral("upload.ram_bytes"), QString::number(m_uploadRamBytes.load()));
    return jsonResponse(200, QJsonObject{{QStringLiteral("values"), values}});
}

Response AdminService::setConfig(ApiRequest &request) {
    // Limits that apply live; each validated, and a warning where a value is risky.
    // Numbers, each validated, with a warning where a value is risky; most apply live, those
    // read once at start say so.
    struct Limit {
        const char *key;
        qint64 minimum;
        qint64 maximum;
        qint64 riskyAbove;
        bool isReadAtStart = false;
    };
    static const Limit limits[] = {
        {"cache.large_file_bytes", 0, qint64(1) << 30, qint64(64) << 20},
        {"stats.enabled", 0, 1, 1, true},
        {"stats.flush_interval_ms", 100, 3600 * 1000, 600 * 1000},
        {"stats.flush_threshold", 1, 1000000, 100000},
        {"stats.buffer_bytes", 65536, qint64(1) << 30, qint64(256) << 20},
        {"stats.retention_days", 1, 3650, 3650},
        {"functions.timeout_ms", 1, 30000, 30000, true},
        {"functions.queue_length", 0, 100000, 10000, true},
        {"functions.queue_wait_ms", 0, 60000, 5000, true},
        {"functions.crash_limit", 0, 1000, 1000, true},
        {"audit.retention_days", 1, 36500, 36500},
    };
    static const QString trustedProxies = QStringLiteral("http.trusted_proxies");
    QJsonArray warnings;
    QList<QPair<QString, QString>> accepted;
    QList<QPair<QString, QString>> acceptedTexts;
    for (auto it = request.json.begin(); it != request.json.end(); ++it) {
        if (it.key() == trustedProxies) {
            // Addresses, comma-separated; "" trusts no proxy. Applies to the next request.
            if (!it.value().isString())
                return apiError(400, "invalid",
                                QStringLiteral("'%1' is a text of IP addresses separated by "
                                               "commas, e.g. \"127.0.0.1,::1\" (\"\": none).")
                                    .arg(trustedProxies));
            QStringList proxies;
            for (const QString &proxy : it.value().toString().split(u',', Qt::SkipEmptyParts)) {
                if (QHostAddress(proxy.trimmed()).isNull())
                    return apiError(400, "invalid",
                                    QStringLiteral("'%1' in %2 is not an IP address.")
                                        .arg(proxy.trimmed().left(100), trustedProxies));
                proxies.append(proxy.trimmed());
            }
            accepted.append({it.key(), proxies.join(u',')});
            continue;
        }
        if (isTextSetting(it.key())) {
            auto checked = checkTextSetting(it.key(), it.value(), m_database.path());
            if (!checked)
                return apiError(checked.error());
            acceptedTexts.append({it.key(), *checked});
            continue;
        }
        if (it.key() == QLatin1String("cache.bytes"))
            return apiError(400, "invalid",
                            QStringLiteral("The cache budget is one of the machine's limits: set "
                                           "it with PUT /api/system/limits {\"limits\": "
                                           "{\"cacheBytes\": N}}, which knows what is safe."));
        const Limit *limit = nullptr;
        for (const Limit &l : limits)
            if (it.key() == QLatin1String(l.key))
                limit = &l;
        if (!limit) {
            QStringList settable;
            for (const Limit &l : limits)
                settable.append(QString::fromLatin1(l.key));
            settable.append(trustedProxies);
            return apiError(400, "invalid",
                            QStringLiteral("'%1' cannot be set here. Settable: %2, %3.")
                                .arg(it.key(), settable.join(QLatin1String(", ")),
                                     textSettings().join(QLatin1String(", "))));
        }
        const double number = it.value().toDouble(-1);
        if (!it.value().isDouble() || number != std::floor(number) ||
            number < double(limit->minimum) || number > double(limit->maximum))
            return apiError(400, "invalid",
                            QStringLiteral("'%1' must be a whole number from %2 to %3.")
                                .arg(it.key())
                                .arg(limit->minimum)
                                .arg(limit->maximum));
        if (qint64(number) > limit->riskyAbove)
            warnings.append(
                QStringLiteral("%1 = %2 is above %3: make sure the machine has the memory for it.")
                    .arg(it.key())
                    .arg(qint64(number))
                    .arg(limit->riskyAbove));
        if (limit->isReadAtStart)
            warnings.append(
                QStringLiteral("%1 takes effect when the server restarts.").arg(it.key()));
        accepted.append({it.key(), QString::number(qint64(number))});
    }
    for (const auto &[key, value] : acceptedTexts)
        if (Status s = m_config.set(key, value); !s)
            return apiError(s.error());
    for (const auto &[key, value] : accepted) {
        if (Status s = m_config.set(key, value); !s)
            return apiError(s.error());
        if (key == QLatin1String("cache.large_file_bytes"))
            m_cache.setLargeFileThreshold(value.toLongLong());
    }
    Response current = getConfig(request);
    QJsonObject body = QJsonDocument::fromJson(current.body).object();
    body.insert(QStringLiteral("warnings"), warnings);
    return jsonResponse(200, body);
}

Response AdminService::openApi(ApiRequest &) {
    QFile file(QStringLiteral(":/openapi.json"));
    if (!file.open(QIODevice::ReadOnly))
        return apiError(500, "internal",
                        QStringLiteral("openapi.json is missing from this build."));
    Response response = http::makeResponse(200, "application/json", file.readAll());
    response.head.append("Cache-Control: no-cache\r\n");
    return response;
}

} // namespace fazt::admin
