#pragma once

#include "admin/api.h"
#include "admin/deployjobs.h"
#include "admin/taskthread.h"
#include "archive/archivereader.h"
#include "audit/auditlog.h"
#include "auth/credentials.h"
#include "auth/loginlimiter.h"
#include "auth/sessions.h"
#include "auth/tokens.h"
#include "vfs/vfstypes.h"

#include <QList>

#include <atomic>
#include <functional>
#include <optional>

namespace fazt {
class Config;
namespace db {
class Database;
}
namespace vfs {
class Vfs;
class VfsCache;
} // namespace vfs
namespace hosting {
class HostRouter;
}
} // namespace fazt

namespace fazt::admin {

// The admin JSON API on admin.<domain>. handle() runs on an HTTP worker only long enough to
// match the route, authenticate (RAM only: sessions and token hashes are held in memory),
// check scope and CSRF, and receive the body; the call itself runs on the admin thread (or,
// for deploys, the jobs thread), each with its own database connection, so neither user
// traffic nor a big deploy can make the cockpit wait.
class AdminService : public http::Handler {
public:
    struct Options {
        qint64 uploadRamBytes = 16 << 20; // uploads larger than this spill to FAZT_TEMP_DIR
        // The archive limits plus room for the archive's own headers: a 1 GiB file in a tar fits.
        qint64 maxUploadBytes = (qint64(1) << 30) + (64 << 20);
        qint64 maxJsonBytes = 1 << 20;
        archive::Limits archiveLimits;
        bool isSecure = false; // served over HTTPS: cookies get Secure
    };

    AdminService(db::Database &database, vfs::Vfs &vfs, vfs::VfsCache &cache, Config &config,
                 hosting::HostRouter &router, Options options);
    ~AdminService() override;

    // Loads users and tokens into RAM.
    Status load();
    // At start, before serving: what deploys the previous process left unfinished is marked
    // abandoned and freed (see DeployJobs).
    Result<int> recoverInterruptedDeploys() { return m_deployJobs->recoverInterrupted(); }
    // SIGTERM, before the HTTP server stops: uploads being received and deploys being stored
    // end with an answer (503) while the connections are still there to carry it.
    void beginShutdown() { m_deployJobs->beginShutdown(); }
    // The port in the URLs the API reports (the listening one, unless a proxy says otherwise).
    void setPublicPort(quint16 port) { m_publicPort = port; }
    // Picks up users and tokens changed by another process (call every few seconds).
    void refreshAuth();
    void handle(http::Exchange &exchange) override;

    // Adds an endpoint from another module (analytics, system, ...). Call before listening.
    void addRoute(Route route) { m_routes.append(std::move(route)); }
    // Asked before an upload's body is read, with its Content-Length (-1 if chunked): an
    // answer refuses the upload (the memory and disk breakers). Call before listening.
    using UploadGate = std::function<std::optional<http::Response>(qint64 contentLength)>;
    void setUploadGate(UploadGate gate) { m_uploadGate = std::move(gate); }
    // Uploads up to this size stay in RAM; changeable while running.
    void setUploadRamBytes(qint64 bytes) { m_uploadRamBytes = bytes; }
    const QList<Route> &routes() const { return m_routes; }
    auth::Credentials &credentials() { return m_credentials; }
    auth::TokenStore &tokens() { return m_tokens; }
    // Every call that changes something is recorded here (see admin/auditapi.h).
    audit::AuditLog &auditLog() { return m_audit; }
    const Options &options() const { return m_options; }
    qint64 uploadRamBytes() const { return m_uploadRamBytes.load(); }

    // For the session endpoints (admin/sessionsapi.h): the owner's sessions, and the login
    // limiters per client address (also asked in handle(), before a login queues) and per
    // account.
    auth::SessionStore &sessions() { return m_sessions; }
    auth::LoginLimiter &loginLimiter() { return m_loginLimiter; }
    auth::LoginLimiter &accountLimiter() { return m_accountLimiter; }
    // Rereads users and tokens if another process changed them (admin thread only).
    void reloadAuthIfChanged();

    // The JSON the API gives for a site and a deploy (with the URL they are served at).
    QJsonObject siteJson(const vfs::SiteInfo &site) const;
    QJsonObject deployJson(const vfs::DeployInfo &deploy) const;

private:
    void addRoutes();
    QByteArray authFingerprint();
    void endSessionsOfChangedUsers();
    QString clientAddress(const http::Request &request) const;
    const Route *match(http::Method method, const QString &path, QHash<QString, QString> &params,
                       QStringList &allowed) const;
    // The steps of handle(): each answers the request itself when it stops it.
    const Route *matchRoute(http::Exchange &exchange, ApiRequest &apiRequest) const;
    bool authenticate(http::Exchange &exchange, const Route &route, ApiRequest &apiRequest);
    bool authenticateToken(http::Exchange &exchange, const Route &route, ApiRequest &apiRequest,
                           QByteArrayView secret);
    bool isWithinRateLimits(http::Exchange &exchange, const Route &route,
                            const ApiRequest &apiRequest);
    void receive(http::Exchange &exchange, const Route &route,
                 std::shared_ptr<ApiRequest> apiRequest);
    void receiveJson(http::Exchange &exchange, const Route &route,
                     std::shared_ptr<ApiRequest> apiRequest);
    void receiveArchive(http::Exchange &exchange, const Route &route,
                        std::shared_ptr<ApiRequest> apiRequest);
    void dispatch(const Route &route, std::shared_ptr<ApiRequest> request,
                  http::Exchange &exchange);
    void refuse(http::Exchange &exchange, const Route &route, const ApiRequest &request,
                http::Response response);
    QString siteUrl(const QString &site) const;
    // GET /api/openapi.json: the API's description, built into the binary.
    static http::Response openApi(ApiRequest &request);

    db::Database &m_database;
    vfs::Vfs &m_vfs;
    vfs::VfsCache &m_cache;
    Config &m_config;
    hosting::HostRouter &m_router;
    const Options m_options;
    std::atomic<qint64> m_uploadRamBytes;
    UploadGate m_uploadGate;
    auth::Credentials m_credentials;
    auth::SessionStore m_sessions;
    auth::TokenStore m_tokens;
    auth::LoginLimiter m_loginLimiter;   // per client address (an IPv6 /64)
    auth::LoginLimiter m_accountLimiter; // per username, whatever the address
    audit::AuditLog m_audit;
    auth::LoginLimiter m_publicLimiter; // other public endpoints, per client address
    QList<Route> m_routes;
    std::atomic<quint16> m_publicPort{80};
    QByteArray m_authFingerprint; // touched on the admin thread only (after load())
    qint64 m_usersSeenUpTo = 0;   // likewise
    // Declared before the threads, so that both are joined before it goes.
    std::unique_ptr<DeployJobs> m_deployJobs; // stores on m_jobsThread
    TaskThread m_adminThread;
    TaskThread m_jobsThread;
};

} // namespace fazt::admin
