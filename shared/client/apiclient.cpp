#include "client/apiclient.h"

#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QUrlQuery>

namespace fazt::client {

namespace {

bool isLocalName(const QString &host) {
    return host == QLatin1String("localhost") || host.endsWith(QLatin1String(".localhost")) ||
           !QHostAddress(host).isNull();
}

// The server's error codes (server/admin/api.h) back to ours; anything else by status.
Error::Code codeFor(const QString &serverCode, int status) {
    if (serverCode == QLatin1String("not_found") || status == 404)
        return Error::Code::NotFound;
    if (serverCode == QLatin1String("conflict") || status == 409)
        return Error::Code::Conflict;
    if (serverCode == QLatin1String("too_large") || status == 413)
        return Error::Code::TooLarge;
    if (serverCode == QLatin1String("disk_full") || status == 507)
        return Error::Code::DiskFull;
    if (serverCode == QLatin1String("read_only"))
        return Error::Code::ReadOnly;
    if (serverCode == QLatin1String("unsupported"))
        return Error::Code::Unsupported;
    if (serverCode == QLatin1String("busy") || serverCode == QLatin1String("rate_limited") ||
        status == 429 || status == 503)
        return Error::Code::Busy;
    if (status >= 500)
        return Error::Code::Internal;
    return Error::Code::Invalid;
}

QDateTime dateTime(const QJsonValue &value) {
    return QDateTime::fromString(value.toString(), Qt::ISODate);
}

Site siteFrom(const QJsonObject &o) {
    return {o.value(QStringLiteral("name")).toString(),
            dateTime(o.value(QStringLiteral("createdAt"))),
            o.value(QStringLiteral("activeDeployId")).toInteger(),
            o.value(QStringLiteral("settings")).toObject(),
            QUrl(o.value(QStringLiteral("url")).toString())};
}

Deploy deployFrom(const QJsonObject &o) {
    return {o.value(QStringLiteral("id")).toInteger(),
            o.value(QStringLiteral("site")).toString(),
            dateTime(o.value(QStringLiteral("createdAt"))),
            o.value(QStringLiteral("fileCount")).toInteger(),
            o.value(QStringLiteral("bytes")).toInteger(),
            o.value(QStringLiteral("isActive")).toBool(),
            QUrl(o.value(QStringLiteral("url")).toString())};
}

// Adapts a typed callback to the JSON handler every call shares.
template <typename T, typename Parse>
Callback<QJsonObject> handlerFor(Callback<T> done, Parse parse) {
    return [done = std::move(done), parse = std::move(parse)](Result<QJsonObject> json) {
        if (!json)
            done(json.error());
        else
            done(parse(*json));
    };
}

QByteArray contentTypeFor(const QString &archivePath) {
    const QString name = QFileInfo(archivePath).fileName().toLower();
    if (name.endsWith(QLatin1String(".zip")))
        return "application/zip";
    if (name.endsWith(QLatin1String(".tar")))
        return "application/x-tar";
    if (name.endsWith(QLatin1String(".gz")) || name.endsWith(QLatin1String(".tgz")))
        return "application/gzip";
    if (name.endsWith(QLatin1String(".zst")))
        return "application/zstd";
    return "application/octet-stream"; // the server detects the format from the content
}

QString sitePath(const QString &site) {
    return QStringLiteral("/api/sites/") + QString::fromLatin1(QUrl::toPercentEncoding(site));
}

QByteArray compactJson(const QJsonObject &object) {
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

Health healthFrom(const QJsonObject &o) {
    Health health{o.value(QStringLiteral("ready")).toBool(),
                  o.value(QStringLiteral("version")).toString(),
                  o.value(QStringLiteral("maintenance")).toBool(),
                  o.value(QStringLiteral("uptimeSeconds")).toInteger(),
                  {}};
    for (const QJsonValue &v : o.value(QStringLiteral("breakers")).toArray()) {
        const QJsonObject b = v.toObject();
        health.breakers.append({b.value(QStringLiteral("kind")).toString(),
                                b.value(QStringLiteral("tripped")).toBool(),
                                b.value(QStringLiteral("reason")).toString()});
    }
    return health;
}

} // namespace

// --- ApiCall ---------------------------------------------------------------------------------

ApiCall::ApiCall(QObject *parent, QString target, QString unreachableHint,
                 Callback<QJsonObject> handler)
    : QObject(parent)
    , m_target(std::move(target))
    , m_unreachableHint(std::move(unreachableHint))
    , m_handler(std::move(handler)) {
    m_connectTimer.setSingleShot(true);
    connect(&m_connectTimer, &QTimer::timeout, this, [this] {
        if (m_state != State::Running || !m_reply)
            return;
        m_state = State::ConnectTimedOut;
        m_reply->abort();
    });
}

ApiCall::~ApiCall() {
    detach();
}

// Lets go of the reply without a callback: the call is being destroyed.
void ApiCall::detach() {
    if (!m_reply)
        return;
    m_reply->disconnect(this);
    m_reply->abort();
    m_reply->deleteLater();
    m_reply = nullptr;
}

void ApiCall::start(QNetworkReply *reply, std::chrono::milliseconds connectTimeout) {
    m_reply = reply;
    // Connecting ends when the request is on its way; from then on, the transfer timeout of
    // the request (no byte either way for that long) applies.
    const auto connected = [this] { m_connectTimer.stop(); };
    connect(reply, &QNetworkReply::requestSent, this, connected);
    connect(reply, &QNetworkReply::metaDataChanged, this, connected);
    connect(reply, &QNetworkReply::uploadProgress, this, [this](qint64 sent, qint64 total) {
        if (sent > 0)
            m_connectTimer.stop();
        if (total > 0) // Qt ends with (0, 0), which would read as going back to the start
            Q_EMIT uploadProgress(sent, total);
    });
    connect(reply, &QNetworkReply::finished, this, &ApiCall::onReplyFinished);
    m_connectTimer.start(connectTimeout);
}

// An error found before any request was made (e.g. an unreadable archive) still reaches the
// callback from the event loop, never from inside the method that started the call.
void ApiCall::failBeforeStart(Error error) {
    QMetaObject::invokeMethod(
        this, [this, error = std::move(error)] { complete(error); }, Qt::QueuedConnection);
}

ApiCall *ApiCall::boundTo(QObject *owner) {
    // `destroyed` comes from ~QObject, after the owner's own destructor: nothing of it may
    // run from here on, so the callback goes without being called.
    connect(owner, &QObject::destroyed, this, [this] {
        if (m_state == State::Finished)
            return;
        m_state = State::Finished;
        m_handler = {};
        m_connectTimer.stop();
        detach();
        deleteLater();
    });
    return this;
}

void ApiCall::abort() {
    if (m_state != State::Running)
        return;
    m_state = State::Cancelled;
    if (m_reply)
        m_reply->abort(); // finishes the reply at once: onReplyFinished() reports it
    else
        complete(Error::io(QStringLiteral("The request to %1 was cancelled.").arg(m_target)));
}

void ApiCall::onReplyFinished() {
    m_connectTimer.stop();
    Result<QJsonObject> result = outcome();
    m_reply->deleteLater();
    m_reply = nullptr;
    complete(std::move(result));
}

void ApiCall::complete(Result<QJsonObject> result) {
    if (m_state == State::Finished)
        return;
    m_state = State::Finished;
    const Callback<QJsonObject> handler = std::exchange(m_handler, {});
    if (handler)
        handler(std::move(result));
    Q_EMIT finished();
    deleteLater();
}

Result<QJsonObject> ApiCall::outcome() {
    if (m_state == State::Cancelled)
        return Error::io(QStringLiteral("The request to %1 was cancelled.").arg(m_target));
    m_httpStatus = m_reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    if (m_httpStatus == 0)
        return networkError();

    const QByteArray body = m_reply->readAll();
    if (m_httpStatus >= 300 && m_httpStatus < 400) {
        const QString location =
            m_reply->header(QNetworkRequest::LocationHeader).toUrl().toString();
        return Error::invalid(QStringLiteral("%1 redirects to %2: use that address for the "
                                             "server instead.")
                                  .arg(m_target, location));
    }
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(body, &parseError);
    const bool isJsonObject = parseError.error == QJsonParseError::NoError && document.isObject();
    if (m_httpStatus == m_statusWithBody && isJsonObject &&
        !document.object().contains(QStringLiteral("error")))
        return document.object();
    if (m_httpStatus >= 400) {
        const QJsonObject error = document.object().value(QStringLiteral("error")).toObject();
        const QString message = error.value(QStringLiteral("message")).toString();
        m_serverErrorCode = error.value(QStringLiteral("code")).toString();
        if (isJsonObject && !message.isEmpty())
            return Error{codeFor(m_serverErrorCode, m_httpStatus), message};
        return Error{
            codeFor(QString(), m_httpStatus),
            QStringLiteral("%1 answered HTTP %2 (%3) without a Fazt error: is it the "
                           "address of a Fazt server?")
                .arg(m_target)
                .arg(m_httpStatus)
                .arg(m_reply->attribute(QNetworkRequest::HttpReasonPhraseAttribute).toString())};
    }
    if (m_httpStatus == 204 || body.isEmpty())
        return QJsonObject();
    if (!isJsonObject)
        return Error::internal(QStringLiteral("%1 answered with something other than JSON: is "
                                              "it the address of a Fazt server?")
                                   .arg(m_target));
    return document.object();
}

Error ApiCall::networkError() const {
    const QString unreachable =
        QStringLiteral("Cannot reach %1: %2. Is the server running?") +
        (m_unreachableHint.isEmpty() ? QString() : QString(u' ' + m_unreachableHint));
    if (m_state == State::ConnectTimedOut)
        return Error::io(unreachable.arg(
            m_target,
            QStringLiteral("no connection within %1 s").arg(m_connectTimer.interval() / 1000)));
    switch (m_reply->error()) {
    case QNetworkReply::ConnectionRefusedError:
        return Error::io(unreachable.arg(m_target, QStringLiteral("connection refused")));
    case QNetworkReply::HostNotFoundError:
        return Error::io(unreachable.arg(
            m_target, QStringLiteral("host %1 not found").arg(m_reply->url().host())));
    case QNetworkReply::OperationCanceledError: // Qt's transfer timeout aborts the reply
    case QNetworkReply::TimeoutError:
        return Error::io(QStringLiteral("%1 stopped answering: nothing was sent or received "
                                        "for %2 s.")
                             .arg(m_target)
                             .arg(m_reply->request().transferTimeout() / 1000));
    case QNetworkReply::SslHandshakeFailedError:
        return Error::io(QStringLiteral("Cannot make a secure connection to %1: %2.")
                             .arg(m_target, m_reply->errorString()));
    default:
        return Error::io(QStringLiteral("The connection to %1 failed: %2.")
                             .arg(m_target, m_reply->errorString()));
    }
}

// --- ApiClient -------------------------------------------------------------------------------

ApiClient::ApiClient(QObject *parent)
    : QObject(parent)
    , m_manager(new QNetworkAccessManager(this)) {
    // A redirect is reported, not followed: a POST must not silently turn into a GET, and the
    // user learns the right address.
    m_manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
}

ApiClient::~ApiClient() {
    // Calls still running end here without their callbacks: their owner is going away.
    for (ApiCall *call : findChildren<ApiCall *>(Qt::FindDirectChildrenOnly))
        call->detach();
}

Result<Endpoint> ApiClient::endpointFor(const QString &serverUrl) {
    const QString text = serverUrl.trimmed();
    QUrl url(text.contains(QLatin1String("://")) ? text : QStringLiteral("scheme://") + text,
             QUrl::StrictMode);
    if (!text.contains(QLatin1String("://")))
        url.setScheme(isLocalName(url.host()) ? QStringLiteral("http") : QStringLiteral("https"));
    const QString example = QStringLiteral("https://example.com or http://127.0.0.1:8080");
    if (text.isEmpty() || !url.isValid() || url.host().isEmpty())
        return Error::invalid(QStringLiteral("'%1' is not a server address; write it like %2.")
                                  .arg(serverUrl, example));
    if (url.scheme() != QLatin1String("http") && url.scheme() != QLatin1String("https"))
        return Error::invalid(QStringLiteral("'%1' is neither http:// nor https://; write the "
                                             "server address like %2.")
                                  .arg(serverUrl, example));
    if ((!url.path().isEmpty() && url.path() != QLatin1String("/")) || url.hasQuery() ||
        url.hasFragment() || !url.userInfo().isEmpty())
        return Error::invalid(QStringLiteral("'%1' has more than a server address; write it "
                                             "like %2.")
                                  .arg(serverUrl, example));
    url.setPath(QString());

    const QString host = url.host().toLower();
    if (host.startsWith(QLatin1String("admin.")))
        return Endpoint{url, {}};
    if (isLocalName(host)) {
        const QByteArray port =
            url.port() == -1 ? QByteArray() : QByteArray(':' + QByteArray::number(url.port()));
        return Endpoint{url, QByteArray("admin.localhost" + port)};
    }
    url.setHost(QStringLiteral("admin.") + host);
    return Endpoint{url, {}};
}

Status ApiClient::setServer(const QString &serverUrl) {
    auto endpoint = endpointFor(serverUrl);
    if (!endpoint)
        return endpoint.error();
    m_endpoint = *endpoint;
    m_csrfToken.clear(); // a session belongs to one server
    return {};
}

void ApiClient::setTimeouts(std::chrono::milliseconds connect, std::chrono::milliseconds transfer) {
    m_connectTimeout = connect;
    m_transferTimeout = transfer;
}

QNetworkRequest ApiClient::request(const QString &path, const QString &query) const {
    QUrl url = m_endpoint.url;
    url.setPath(path);
    if (!query.isEmpty())
        url.setQuery(query);
    QNetworkRequest request(url);
    if (!m_endpoint.hostName.isEmpty())
        request.setRawHeader("Host", m_endpoint.hostName);
    request.setTransferTimeout(int(m_transferTimeout.count()));
    request.setHeader(QNetworkRequest::UserAgentHeader, QByteArray("fazt/" FAZT_VERSION));
    return request;
}

// A token, a session's CSRF token or a password never travel in cleartext to another
// machine: anyone on the way could take them. Plain HTTP is for this machine (localhost, a
// loopback address), or a network the user vouches for (setCleartextAllowed()).
Status ApiClient::mayCarrySecrets(bool isPassword) const {
    const QUrl &url = m_endpoint.url;
    const bool carriesSecret = isPassword || !m_token.isEmpty() || !m_csrfToken.isEmpty();
    if (!carriesSecret || m_isCleartextAllowed || url.scheme() != QLatin1String("http"))
        return {};
    const QString host = url.host().toLower();
    if (host == QLatin1String("localhost") || host.endsWith(QLatin1String(".localhost")) ||
        QHostAddress(host).isLoopback())
        return {};
    return Error::invalid(
        QStringLiteral("Refusing to send %1 over plain HTTP to %2: anyone on the network could "
                       "read it. Use https://, or pass --insecure if you trust this network.")
            .arg(isPassword ? QStringLiteral("a password") : QStringLiteral("the API token"),
                 host));
}

void ApiClient::authorize(QNetworkRequest &request, Method method) const {
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", QByteArray("Bearer " + m_token));
    if (method != Method::Get && !m_csrfToken.isEmpty())
        request.setRawHeader("X-CSRF-Token", m_csrfToken);
}

ApiCall *ApiClient::newCall(const QString &target, Callback<QJsonObject> handler) {
    return new ApiCall(this, target, m_unreachableHint, std::move(handler));
}

ApiCall *ApiClient::send(Method method, const QString &path, const QByteArray &jsonBody,
                         Callback<QJsonObject> handler, const QString &query) {
    QNetworkRequest r = request(path, query);
    authorize(r, method);
    ApiCall *call = newCall(r.url().adjusted(QUrl::RemovePath | QUrl::RemoveQuery).toString(),
                            std::move(handler));
    if (!m_endpoint.url.isValid()) {
        call->failBeforeStart(Error::invalid(QStringLiteral("No server is set.")));
        return call;
    }
    if (Status s = mayCarrySecrets(path == QLatin1String("/api/login")); !s) {
        call->failBeforeStart(s.error());
        return call;
    }
    QNetworkReply *reply = nullptr;
    switch (method) {
    case Method::Get:
        reply = m_manager->get(r);
        break;
    case Method::Delete:
        reply = m_manager->deleteResource(r);
        break;
    case Method::Post:
    case Method::Put:
        r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
        reply = method == Method::Post ? m_manager->post(r, jsonBody) : m_manager->put(r, jsonBody);
        break;
    }
    call->start(reply, m_connectTimeout);
    return call;
}

ApiCall *ApiClient::call(const QByteArray &verb, const QString &path, const QString &query,
                         const QByteArray &jsonBody, Callback<QJsonObject> done) {
    QNetworkRequest r = request(path, query);
    authorize(r, verb == "GET" ? Method::Get : Method::Post);
    ApiCall *call = newCall(r.url().adjusted(QUrl::RemovePath).toString(), std::move(done));
    if (!m_endpoint.url.isValid()) {
        call->failBeforeStart(Error::invalid(QStringLiteral("No server is set.")));
        return call;
    }
    if (Status s = mayCarrySecrets(path == QLatin1String("/api/login")); !s) {
        call->failBeforeStart(s.error());
        return call;
    }
    if (!jsonBody.isEmpty())
        r.setHeader(QNetworkRequest::ContentTypeHeader, QByteArray("application/json"));
    call->start(m_manager->sendCustomRequest(r, verb, jsonBody), m_connectTimeout);
    return call;
}

ApiCall *ApiClient::sites(Callback<QList<Site>> done) {
    return send(Method::Get, QStringLiteral("/api/sites"), {},
                handlerFor(std::move(done), [](const QJsonObject &o) {
                    QList<Site> list;
                    for (const QJsonValue &v : o.value(QStringLiteral("sites")).toArray())
                        list.append(siteFrom(v.toObject()));
                    return Result<QList<Site>>(list);
                }));
}

ApiCall *ApiClient::createSite(const QString &name, Callback<Site> done) {
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("name"), name}}).toJson();
    return send(Method::Post, QStringLiteral("/api/sites"), body,
                handlerFor(std::move(done),
                           [](const QJsonObject &o) { return Result<Site>(siteFrom(o)); }));
}

ApiCall *ApiClient::deleteSite(const QString &name, Callback<void> done) {
    return send(Method::Delete, sitePath(name), {},
                handlerFor(std::move(done), [](const QJsonObject &) { return Status(); }));
}

ApiCall *ApiClient::domains(const QString &site, Callback<QList<Domain>> done) {
    return send(Method::Get, sitePath(site) + QStringLiteral("/domains"), {},
                handlerFor(std::move(done), [](const QJsonObject &o) {
                    QList<Domain> list;
                    for (const QJsonValue &v : o.value(QStringLiteral("domains")).toArray()) {
                        const QJsonObject d = v.toObject();
                        list.append({d.value(QStringLiteral("hostname")).toString(),
                                     dateTime(d.value(QStringLiteral("createdAt")))});
                    }
                    return Result<QList<Domain>>(list);
                }));
}

ApiCall *ApiClient::addDomain(const QString &site, const QString &hostname, Callback<Domain> done) {
    return send(Method::Post, sitePath(site) + QStringLiteral("/domains"),
                compactJson({{QStringLiteral("hostname"), hostname}}),
                handlerFor(std::move(done), [](const QJsonObject &o) {
                    return Result<Domain>(Domain{o.value(QStringLiteral("hostname")).toString(),
                                                 QDateTime::currentDateTimeUtc()});
                }));
}

ApiCall *ApiClient::removeDomain(const QString &site, const QString &hostname,
                                 Callback<void> done) {
    return send(Method::Delete,
                sitePath(site) + QStringLiteral("/domains/") +
                    QString::fromLatin1(QUrl::toPercentEncoding(hostname)),
                {}, handlerFor(std::move(done), [](const QJsonObject &) { return Status(); }));
}

ApiCall *ApiClient::deploys(const QString &site, Callback<QList<Deploy>> done) {
    return send(Method::Get, sitePath(site) + QStringLiteral("/deploys"), {},
                handlerFor(std::move(done), [](const QJsonObject &o) {
                    QList<Deploy> list;
                    for (const QJsonValue &v : o.value(QStringLiteral("deploys")).toArray())
                        list.append(deployFrom(v.toObject()));
                    return Result<QList<Deploy>>(list);
                }));
}

ApiCall *ApiClient::deploy(const QString &site, const QString &archivePath, Activation activation,
                           Callback<Deploy> done) {
    QNetworkRequest r =
        request(sitePath(site) + QStringLiteral("/deploys"),
                activation == Activation::Keep ? QStringLiteral("activate=false") : QString());
    authorize(r, Method::Post);
    ApiCall *call = newCall(r.url().adjusted(QUrl::RemovePath | QUrl::RemoveQuery).toString(),
                            handlerFor(std::move(done), [](const QJsonObject &o) {
                                return Result<Deploy>(deployFrom(o));
                            }));
    if (!m_endpoint.url.isValid()) {
        call->failBeforeStart(Error::invalid(QStringLiteral("No server is set.")));
        return call;
    }
    if (Status s = mayCarrySecrets(false); !s) {
        call->failBeforeStart(s.error());
        return call;
    }
    // Streamed from the file as the socket drains: the archive is never in memory whole.
    auto file = std::make_unique<QFile>(archivePath);
    if (!file->open(QIODevice::ReadOnly)) {
        call->failBeforeStart(
            Error::io(QStringLiteral("Cannot read %1: %2").arg(archivePath, file->errorString())));
        return call;
    }
    r.setHeader(QNetworkRequest::ContentTypeHeader, contentTypeFor(archivePath));
    r.setHeader(QNetworkRequest::ContentLengthHeader, file->size());
    QNetworkReply *reply = m_manager->post(r, file.get());
    file.release()->setParent(reply); // lives exactly as long as the reply reading it
    call->start(reply, m_connectTimeout);
    return call;
}

ApiCall *ApiClient::rollback(const QString &site, Callback<Deploy> done) {
    return send(Method::Post, sitePath(site) + QStringLiteral("/rollback"), {},
                handlerFor(std::move(done),
                           [](const QJsonObject &o) { return Result<Deploy>(deployFrom(o)); }));
}

ApiCall *ApiClient::activate(const QString &site, qint64 deployId, Callback<Deploy> done) {
    return send(Method::Post, sitePath(site) + QStringLiteral("/deploys/%1/activate").arg(deployId),
                {}, handlerFor(std::move(done), [](const QJsonObject &o) {
                    return Result<Deploy>(deployFrom(o));
                }));
}

ApiCall *ApiClient::login(const QString &username, const QString &password,
                          Callback<Session> done) {
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("username"), username},
                                                      {QStringLiteral("password"), password}})
                                .toJson(QJsonDocument::Compact);
    return send(Method::Post, QStringLiteral("/api/login"), body,
                handlerFor(std::move(done), [this](const QJsonObject &o) {
                    // The cookie jar keeps the session cookie; the CSRF token goes with every
                    // later change (the server refuses changes by a session without it).
                    m_csrfToken = o.value(QStringLiteral("csrfToken")).toString().toLatin1();
                    return Result<Session>(Session{o.value(QStringLiteral("username")).toString(),
                                                   dateTime(o.value(QStringLiteral("expiresAt")))});
                }));
}

ApiCall *ApiClient::createToken(const QString &name, const QStringList &scopes,
                                Callback<CreatedToken> done) {
    return send(Method::Post, QStringLiteral("/api/tokens"),
                compactJson({{QStringLiteral("name"), name},
                             {QStringLiteral("scopes"), QJsonArray::fromStringList(scopes)}}),
                handlerFor(std::move(done), [](const QJsonObject &o) {
                    return Result<CreatedToken>(
                        CreatedToken{o.value(QStringLiteral("id")).toInteger(),
                                     o.value(QStringLiteral("name")).toString(),
                                     o.value(QStringLiteral("token")).toString().toLatin1()});
                }));
}

ApiCall *ApiClient::health(Callback<Health> done) {
    ApiCall *call = send(Method::Get, QStringLiteral("/api/system/health"), {},
                         handlerFor(std::move(done), [](const QJsonObject &o) {
                             return Result<Health>(healthFrom(o));
                         }));
    call->m_statusWithBody = 503; // not ready is an answer about readiness
    return call;
}

ApiCall *ApiClient::metrics(Callback<QJsonObject> done) {
    return send(Method::Get, QStringLiteral("/api/system/metrics"), {}, std::move(done));
}

ApiCall *ApiClient::limits(Callback<QJsonObject> done) {
    return send(Method::Get, QStringLiteral("/api/system/limits"), {}, std::move(done));
}

ApiCall *ApiClient::setLimits(const QJsonObject &limits, LimitOverride override,
                              Callback<QJsonObject> done) {
    return send(Method::Put, QStringLiteral("/api/system/limits"),
                compactJson({{QStringLiteral("limits"), limits},
                             {QStringLiteral("force"), override == LimitOverride::Force}}),
                std::move(done));
}

ApiCall *ApiClient::recalibrate(Callback<QJsonObject> done) {
    return send(Method::Post, QStringLiteral("/api/system/recalibrate"), {}, std::move(done));
}

ApiCall *ApiClient::stats(const StatsQuery &query, Callback<QJsonObject> done) {
    QUrlQuery q;
    if (!query.site.isEmpty())
        q.addQueryItem(QStringLiteral("site"), query.site);
    if (query.from.isValid())
        q.addQueryItem(QStringLiteral("from"), QString::number(query.from.toSecsSinceEpoch()));
    if (query.to.isValid())
        q.addQueryItem(QStringLiteral("to"), QString::number(query.to.toSecsSinceEpoch()));
    q.addQueryItem(QStringLiteral("bucket"), query.bucket == StatsQuery::Bucket::Day
                                                 ? QStringLiteral("day")
                                                 : QStringLiteral("hour"));
    return send(Method::Get, QStringLiteral("/api/stats"), {}, std::move(done),
                q.toString(QUrl::FullyEncoded));
}

ApiCall *ApiClient::logout(Callback<void> done) {
    return send(Method::Post, QStringLiteral("/api/logout"), {},
                handlerFor(std::move(done), [this](const QJsonObject &) {
                    m_csrfToken.clear();
                    return Status();
                }));
}

} // namespace fazt::client
