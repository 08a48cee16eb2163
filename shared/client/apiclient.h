#pragma once

#include "result.h"

#include <QByteArray>
#include <QDateTime>
#include <QEventLoop>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QTimer>
#include <QUrl>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>

class QIODevice;
class QNetworkAccessManager;
class QNetworkReply;
class QNetworkRequest;

namespace fazt::client {

// A site as the admin API describes it.
struct Site {
    QString name;
    QDateTime createdAt;
    qint64 activeDeployId = 0; // 0 while nothing is deployed
    QJsonObject settings;      // e.g. {"spa": true}
    QUrl url;                  // where the site is served
};

// One upload of a site; immutable once complete.
struct Deploy {
    qint64 id = 0;
    QString site;
    QDateTime createdAt;
    qint64 fileCount = 0;
    qint64 bytes = 0;
    bool isActive = false;
    QUrl url; // where the site is served
};

// A deploy as the API describes it (GET /api/sites/NAME/deploys, a deploy job's "deploy").
Deploy deployFromJson(const QJsonObject &o);

// A custom hostname that serves a site.
struct Domain {
    QString hostname;
    QDateTime createdAt;
};

// An API token just created; the secret is shown by the server this once.
struct CreatedToken {
    qint64 id = 0;
    QString name;
    QByteArray secret;
};

// One of the server's breakers (connections, memory, disk, maintenance).
struct Breaker {
    QString kind;
    bool isTripped = false;
    QString reason; // why it tripped; empty while it is not
};

// The server's readiness (GET /api/system/health).
struct Health {
    bool isReady = false;
    QString version;
    bool isInMaintenance = false;
    qint64 uptimeSeconds = 0;
    QList<Breaker> breakers;
};

// Which traffic GET /api/stats counts: one site or all, over [from, to), per hour or day.
struct StatsQuery {
    enum class Bucket { Hour, Day };
    QString site; // empty: every site
    QDateTime from;
    QDateTime to;
    Bucket bucket = Bucket::Hour;
};

// Whether PUT /api/system/limits may set a limit past the safe value computed for the machine.
enum class LimitOverride { WithinSafe, Force };

// The owner, logged in with a password. The client keeps the session cookie and CSRF token.
struct Session {
    QString username;
    QDateTime expiresAt;
};

// Whether a new deploy is served at once or only stored (to be activated later).
enum class Activation { Activate, Keep };

struct DeployOptions {
    Activation activation = Activation::Activate;
    std::optional<bool> spa; // set the site's SPA fallback with the deploy; unset: unchanged
};

// Where a deploy is while the server works on it (GET /api/sites/NAME/deploy-jobs/ID).
struct DeployProgress {
    qint64 jobId = 0;
    QString state; // storing, activating (then the call ends: done, failed or abandoned)
    qint64 files = 0;
    qint64 filesTotal = 0;
    qint64 bytes = 0;
    qint64 bytesTotal = 0;
};

// Where requests for a server URL go. See ApiClient::endpointFor().
struct Endpoint {
    QUrl url;            // scheme, host and port the connection is made to
    QByteArray hostName; // the Host header when it differs from the URL's host, else empty
};

template <typename T> using Callback = std::function<void(Result<T>)>;

// One request in flight. It calls its callback exactly once (also when aborted), then emits
// finished() and deletes itself later: do not keep the pointer past finished().
class ApiCall : public QObject {
    Q_OBJECT

public:
    ~ApiCall() override;

    bool isFinished() const { return m_state == State::Finished; }
    // The HTTP status of the answer; 0 if none arrived (network failure, timeout, abort).
    int httpStatus() const { return m_httpStatus; }
    // The server's error code ("unauthorized", "not_found", ...); empty without one.
    QString serverErrorCode() const { return m_serverErrorCode; }

    // Stops the request; the callback gets an error saying it was cancelled.
    void abort();
    // Ties the call to the object its callback works on: if `owner` is destroyed first, the
    // request is dropped and the callback never runs. Models pass `this`, since their
    // callbacks touch them. Returns the call.
    ApiCall *boundTo(QObject *owner);

Q_SIGNALS:
    void uploadProgress(qint64 bytesSent, qint64 bytesTotal);
    // A deploy, once uploaded, as the server stores and activates it (see ApiClient::deploy).
    void deployProgress(const fazt::client::DeployProgress &progress);
    void finished();

private:
    friend class ApiClient;
    enum class State { Running, ConnectTimedOut, Cancelled, Finished };

    ApiCall(QObject *parent, QString target, QString unreachableHint,
            Callback<QJsonObject> handler);
    void start(QNetworkReply *reply, std::chrono::milliseconds connectTimeout);
    void failBeforeStart(Error error);
    void onReplyFinished();
    Result<QJsonObject> outcome();
    Error networkError() const;
    void complete(Result<QJsonObject> result);
    void detach();
    // Deploys: an answer that is a job (202) is followed to its end, polling its URL.
    std::optional<Result<QJsonObject>> followJob(Result<QJsonObject> answer);
    void pollJob();

    QPointer<QNetworkReply> m_reply;
    QTimer m_connectTimer;
    State m_state = State::Running;
    int m_httpStatus = 0;
    QString m_serverErrorCode;
    QString m_target; // the URL, for messages
    QString m_unreachableHint;
    Callback<QJsonObject> m_handler;
    int m_statusWithBody = 0; // an error status whose JSON is an answer, not an error (health)
    qint64 m_uploadBytes = 0; // the body's size, when the call streams one
    QString m_jobEndState;    // a deploy: the answer is a job, followed until this state
    QString m_jobPath;        // the job being followed, once the upload was accepted
    int m_pollFailures = 0;
    int m_polls = 0;
    QTimer m_pollTimer;
};

// The admin API of one Fazt server, from the outside: the one implementation used by
// `fazt deploy` and the desktop console. Asynchronous: every call takes a callback that
// receives the value or an Error whose message is the server's (or says why the server
// could not be reached). Command-line tools wrap calls in waitFor() below.
//
//     ApiClient api;
//     api.setServer(QStringLiteral("https://example.com"));
//     api.setToken(token);
//     ApiCall *call = api.deploy(QStringLiteral("blog"), archive, Activation::Activate,
//                                [](Result<Deploy> d) { ... });
//     connect(call, &ApiCall::uploadProgress, ...);
class ApiClient : public QObject {
    Q_OBJECT

public:
    static constexpr std::chrono::milliseconds DefaultConnectTimeout{10'000};
    static constexpr std::chrono::milliseconds DefaultTransferTimeout{60'000};

    explicit ApiClient(QObject *parent = nullptr);
    ~ApiClient() override;

    // The server, as a user writes it: "https://example.com", "http://127.0.0.1:8080".
    Status setServer(const QString &serverUrl);
    QUrl serverUrl() const { return m_endpoint.url; }
    // An API token (Authorization: Bearer); alternatively log in with login().
    void setToken(const QByteArray &token) { m_token = token; }
    // A token or password is never sent over plain HTTP to a host that is not this machine
    // (the call fails at once and says why) unless allowed here (`--insecure`).
    void setCleartextAllowed(bool isAllowed) { m_isCleartextAllowed = isAllowed; }
    // Added to messages about an unreachable server, e.g. "Check --server / FAZT_SERVER.".
    void setUnreachableHint(const QString &hint) { m_unreachableHint = hint; }
    // connect: until the request is sent (DNS, TCP, TLS); transfer: the longest time without
    // a byte going either way, including the server's work on a deploy after the upload.
    void setTimeouts(std::chrono::milliseconds connect, std::chrono::milliseconds transfer);

    ApiCall *sites(Callback<QList<Site>> done);
    ApiCall *createSite(const QString &name, Callback<Site> done);
    // Deletes the site with its domains and deploys.
    ApiCall *deleteSite(const QString &name, Callback<void> done);
    ApiCall *domains(const QString &site, Callback<QList<Domain>> done);
    ApiCall *addDomain(const QString &site, const QString &hostname, Callback<Domain> done);
    ApiCall *removeDomain(const QString &site, const QString &hostname, Callback<void> done);
    ApiCall *deploys(const QString &site, Callback<QList<Deploy>> done);
    // Streams the archive file (zip, tar, tar.gz, tar.zst, ...) from disk; the site is
    // created if it does not exist. Progress comes as ApiCall::uploadProgress, then, while
    // the server stores and activates it, as ApiCall::deployProgress: the upload is answered
    // at once with a job that the call follows to its end, so a deploy that takes the server
    // minutes is never mistaken for a silent server. The upload carries an Idempotency-Key
    // and is never sent twice by the network layer.
    ApiCall *deploy(const QString &site, const QString &archivePath, const DeployOptions &options,
                    Callback<Deploy> done);
    ApiCall *deploy(const QString &site, const QString &archivePath, Activation activation,
                    Callback<Deploy> done) {
        return deploy(site, archivePath, DeployOptions{activation, std::nullopt}, std::move(done));
    }
    // An incremental deploy's missing content (an archive of entries named by their SHA-256),
    // for the job that POST /api/sites/NAME/deploy-jobs started: followed until it is stored,
    // the callback gets the job (see openapi.json).
    ApiCall *sendContent(const QString &site, qint64 jobId, const QString &archivePath,
                         Callback<QJsonObject> done);
    // The same from a sequential device of known size (archive::TarStream: packed as sent).
    ApiCall *sendContent(const QString &site, qint64 jobId, std::unique_ptr<QIODevice> archive,
                         Callback<QJsonObject> done);
    // ?activate= and ?spa= of a deploy.
    static QString queryFor(const DeployOptions &options);
    // Activates the deploy before the active one.
    ApiCall *rollback(const QString &site, Callback<Deploy> done);
    ApiCall *activate(const QString &site, qint64 deployId, Callback<Deploy> done);
    // A session for the owner: later calls send its cookie and CSRF token.
    ApiCall *login(const QString &username, const QString &password, Callback<Session> done);
    ApiCall *logout(Callback<void> done);
    // A new API token with `scopes` ("read", "deploy", "admin"); needs the admin scope or a
    // session.
    ApiCall *createToken(const QString &name, const QStringList &scopes,
                         Callback<CreatedToken> done);

    // Readiness: a server that is up but not ready (503, a breaker tripped) still answers with
    // its Health, not an error. The JSON of the calls below is described in openapi.json;
    // a server too old to have one of them answers Error::Code::NotFound.
    ApiCall *health(Callback<Health> done);
    ApiCall *metrics(Callback<QJsonObject> done);
    // {"limits": {...}, "safe": {...}, "probe": {...}}
    ApiCall *limits(Callback<QJsonObject> done);
    // Sets some limits ({"cacheBytes": N, ...}); past the safe values only with
    // LimitOverride::Force, else the server refuses (Conflict) and says what the risk is.
    ApiCall *setLimits(const QJsonObject &limits, LimitOverride override,
                       Callback<QJsonObject> done);
    ApiCall *recalibrate(Callback<QJsonObject> done);
    ApiCall *stats(const StatsQuery &query, Callback<QJsonObject> done);
    // Any other admin API call: `verb` is GET, PUT, POST or DELETE; `jsonBody` may be empty.
    // The callback gets the answer's JSON object (empty for 204).
    ApiCall *call(const QByteArray &verb, const QString &path, const QString &query,
                  const QByteArray &jsonBody, Callback<QJsonObject> done);

    // The rule that turns a server URL into admin API requests. The admin API is served on
    // admin.<domain>, so:
    //  - a host that is an IP address, "localhost" or a name under .localhost (a server on
    //    this machine, or one reached by address) is connected to as it is, and the requests
    //    say "Host: admin.localhost", which every Fazt server routes to its admin API;
    //  - a host that starts with "admin." is used as it is: https://admin.example.com;
    //  - any other host gets "admin." in front, so the base domain works too:
    //    https://example.com -> https://admin.example.com.
    // Without a scheme, local addresses get http:// and others https://. The URL is the
    // server's address only: a path, query or user name is refused.
    static Result<Endpoint> endpointFor(const QString &serverUrl);

private:
    friend class ApiCall;
    enum class Method { Get, Post, Put, Delete };
    ApiCall *send(Method method, const QString &path, const QByteArray &jsonBody,
                  Callback<QJsonObject> handler, const QString &query = QString());
    ApiCall *newCall(const QString &target, Callback<QJsonObject> handler);
    ApiCall *postArchive(const QString &path, const QString &query, const QString &archivePath,
                         const QString &jobEndState, Callback<QJsonObject> handler);
    ApiCall *postBody(const QString &path, const QString &query, std::unique_ptr<QIODevice> body,
                      const QByteArray &contentType, const QString &jobEndState,
                      Callback<QJsonObject> handler);
    QNetworkRequest request(const QString &path, const QString &query = QString()) const;
    void authorize(QNetworkRequest &request, Method method) const;
    Status mayCarrySecrets(bool isPassword) const;

    QNetworkAccessManager *m_manager = nullptr;
    Endpoint m_endpoint;
    QByteArray m_token;
    QByteArray m_csrfToken;
    QString m_unreachableHint;
    bool m_isCleartextAllowed = false;
    std::chrono::milliseconds m_connectTimeout = DefaultConnectTimeout;
    std::chrono::milliseconds m_transferTimeout = DefaultTransferTimeout;
};

// Runs an asynchronous call to its end in a local event loop and returns its result. For
// command-line tools only: a UI must not block.
//
//     Result<QList<Site>> sites = waitFor<QList<Site>>([&](auto done) { api.sites(done); });
template <typename T, typename Start> Result<T> waitFor(Start &&start) {
    std::optional<Result<T>> result;
    QEventLoop loop;
    start(Callback<T>([&result, &loop](Result<T> r) {
        result.emplace(std::move(r));
        loop.quit();
    }));
    if (!result)
        loop.exec();
    return std::move(*result);
}

} // namespace fazt::client
