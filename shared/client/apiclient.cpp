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
#include <QUuid>

namespace fazt::client {

namespace {

bool isLocalName(const QString &host) {
    return host == QLatin1String("localhost") || host.endsWith(QLatin1String(".localhost")) ||
           !QHostAddress(host).isNull();
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

// An archive read front to back once: a sequential device, so Qt streams it and cannot rewind
// it to send it again.
class OnceReadFile : public QIODevice {
public:
    explicit OnceReadFile(const QString &path)
        : m_file(path) {}
    bool open(OpenMode mode) override {
        if (!m_file.open(mode)) {
            setErrorString(m_file.errorString());
            return false;
        }
        return QIODevice::open(mode);
    }
    bool isSequential() const override { return true; }
    bool atEnd() const override { return m_file.atEnd() && QIODevice::bytesAvailable() == 0; }
    qint64 bytesAvailable() const override {
        return m_file.bytesAvailable() + QIODevice::bytesAvailable();
    }
    qint64 size() const override { return m_file.size(); } // what Qt reports progress against

protected:
    qint64 readData(char *data, qint64 maxSize) override { return m_file.read(data, maxSize); }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QFile m_file;
};

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
    for (const auto &v : o.value(QStringLiteral("breakers")).toArray()) {
        const QJsonObject b = v.toObject();
        health.breakers.append({b.value(QStringLiteral("kind")).toString(),
                                b.value(QStringLiteral("tripped")).toBool(),
                                b.value(QStringLiteral("reason")).toString()});
    }
    return health;
}

} // namespace

// --- ApiClient -------------------------------------------------------------------------------

Deploy deployFromJson(const QJsonObject &o) {
    return {o.value(QStringLiteral("id")).toInteger(),
            o.value(QStringLiteral("site")).toString(),
            dateTime(o.value(QStringLiteral("createdAt"))),
            o.value(QStringLiteral("fileCount")).toInteger(),
            o.value(QStringLiteral("bytes")).toInteger(),
            o.value(QStringLiteral("isActive")).toBool(),
            QUrl(o.value(QStringLiteral("url")).toString())};
}

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
                    for (const auto &v : o.value(QStringLiteral("sites")).toArray())
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
                    for (const auto &v : o.value(QStringLiteral("domains")).toArray()) {
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
                    for (const auto &v : o.value(QStringLiteral("deploys")).toArray())
                        list.append(deployFromJson(v.toObject()));
                    return Result<QList<Deploy>>(list);
                }));
}

ApiCall *ApiClient::deploy(const QString &site, const QString &archivePath,
                           const DeployOptions &options, Callback<Deploy> done) {
    return postArchive(sitePath(site) + QStringLiteral("/deploys"), queryFor(options), archivePath,
                       QStringLiteral("done"),
                       handlerFor(std::move(done), [](const QJsonObject &o) {
                           return Result<Deploy>(deployFromJson(o));
                       }));
}

QString ApiClient::queryFor(const DeployOptions &options) {
    QUrlQuery query;
    if (options.activation == Activation::Keep)
        query.addQueryItem(QStringLiteral("activate"), QStringLiteral("false"));
    if (options.spa)
        query.addQueryItem(QStringLiteral("spa"),
                           *options.spa ? QStringLiteral("true") : QStringLiteral("false"));
    return query.toString();
}

ApiCall *ApiClient::sendContent(const QString &site, qint64 jobId,
                                std::unique_ptr<QIODevice> archive, Callback<QJsonObject> done) {
    return postBody(sitePath(site) + QStringLiteral("/deploy-jobs/%1/blobs").arg(jobId), QString(),
                    std::move(archive), "application/x-tar", QStringLiteral("receiving"),
                    std::move(done));
}

ApiCall *ApiClient::sendContent(const QString &site, qint64 jobId, const QString &archivePath,
                                Callback<QJsonObject> done) {
    return postArchive(sitePath(site) + QStringLiteral("/deploy-jobs/%1/blobs").arg(jobId),
                       QString(), archivePath, QStringLiteral("receiving"), std::move(done));
}

ApiCall *ApiClient::postArchive(const QString &path, const QString &query,
                                const QString &archivePath, const QString &jobEndState,
                                Callback<QJsonObject> handler) {
    // Streamed from the file as the socket drains: the archive is never in memory whole. The
    // device cannot be rewound, so the network layer can never send the upload a second time
    // by itself (Qt resends a request whose reused connection closed without an answer).
    auto file = std::make_unique<OnceReadFile>(archivePath);
    if (!file->open(QIODevice::ReadOnly)) {
        ApiCall *call = newCall(m_endpoint.url.toString(), std::move(handler));
        call->failBeforeStart(
            Error::io(QStringLiteral("Cannot read %1: %2").arg(archivePath, file->errorString())));
        return call;
    }
    return postBody(path, query, std::move(file), contentTypeFor(archivePath), jobEndState,
                    std::move(handler));
}

// `body` must be sequential, with its size known (size()): Qt streams it and cannot rewind it.
ApiCall *ApiClient::postBody(const QString &path, const QString &query,
                             std::unique_ptr<QIODevice> body, const QByteArray &contentType,
                             const QString &jobEndState, Callback<QJsonObject> handler) {
    QNetworkRequest r = request(path, query);
    authorize(r, Method::Post);
    ApiCall *call = newCall(r.url().adjusted(QUrl::RemovePath | QUrl::RemoveQuery).toString(),
                            std::move(handler));
    if (!m_endpoint.url.isValid()) {
        call->failBeforeStart(Error::invalid(QStringLiteral("No server is set.")));
        return call;
    }
    if (Status s = mayCarrySecrets(false); !s) {
        call->failBeforeStart(s.error());
        return call;
    }
    r.setHeader(QNetworkRequest::ContentTypeHeader, contentType);
    r.setHeader(QNetworkRequest::ContentLengthHeader, body->size());
    r.setAttribute(QNetworkRequest::DoNotBufferUploadDataAttribute, true);
    // Answer with a job to follow; and if this upload reached the server before, the same job.
    r.setRawHeader("Prefer", "respond-async");
    r.setRawHeader("Idempotency-Key", QUuid::createUuid().toByteArray(QUuid::WithoutBraces));
    QNetworkReply *reply = m_manager->post(r, body.get());
    body.release()->setParent(reply); // lives exactly as long as the reply reading it
    call->m_jobEndState = jobEndState;
    call->m_uploadBytes = r.header(QNetworkRequest::ContentLengthHeader).toLongLong();
    call->start(reply, m_connectTimeout);
    return call;
}

ApiCall *ApiClient::rollback(const QString &site, Callback<Deploy> done) {
    return send(Method::Post, sitePath(site) + QStringLiteral("/rollback"), {},
                handlerFor(std::move(done),
                           [](const QJsonObject &o) { return Result<Deploy>(deployFromJson(o)); }));
}

ApiCall *ApiClient::activate(const QString &site, qint64 deployId, Callback<Deploy> done) {
    return send(Method::Post, sitePath(site) + QStringLiteral("/deploys/%1/activate").arg(deployId),
                {}, handlerFor(std::move(done), [](const QJsonObject &o) {
                    return Result<Deploy>(deployFromJson(o));
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
