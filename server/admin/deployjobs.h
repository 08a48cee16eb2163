#pragma once

#include "admin/api.h"
#include "archive/archivereader.h"
#include "vfs/vfstypes.h"

#include <QJsonObject>

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>

namespace fazt {
namespace db {
class Database;
}
namespace vfs {
class Vfs;
}
} // namespace fazt

namespace fazt::admin {

class TaskThread;

// Deploys as jobs that outlive a connection. POST /api/sites/{name}/deploys hands the received
// archive to a job, which the jobs thread checks, stores and activates; the request is
// answered at once with the job (202 and its URL, when the client sends `Prefer:
// respond-async`), or when the job ends (201 with the deploy: the contract of older clients).
// GET /api/sites/{name}/deploy-jobs/{id} follows a job: storing (files and bytes so far),
// activating, then done (with the deploy), failed (with the error) or abandoned (its process
// ended first). Jobs are rows of deploy_jobs, so an answer survives a restart; the progress
// counters live in RAM. The same Idempotency-Key for the same site names the same job (for a
// day): an upload sent twice makes one deploy.
class DeployJobs {
public:
    using DeployJson = std::function<QJsonObject(const vfs::DeployInfo &)>;

    DeployJobs(db::Database &database, vfs::Vfs &vfs, archive::Limits limits, TaskThread &thread,
               DeployJson deployJson);
    ~DeployJobs();

    // At start, before serving: jobs a previous process left unfinished are marked abandoned
    // (or done, if their deploy had been committed), and every pending deploy and unfinished
    // blob goes with them at once. Returns how many jobs were abandoned.
    Result<int> recoverInterrupted();
    // SIGTERM: running jobs stop at their next read, and their waiting clients are answered
    // (503); new deploys are refused.
    void beginShutdown();
    bool isStopping() const { return m_isStopping.load(); }

    // Endpoints, on the admin thread.
    http::Response start(ApiRequest &request); // POST /api/sites/{name}/deploys
    http::Response get(ApiRequest &request);   // GET /api/sites/{name}/deploy-jobs/{id}
    // GET /api/sites/{name}/deploy-jobs: the site's recent jobs. It needs the deploy scope
    // and, for a site that does not exist yet, the right to create it: clients ask it before
    // they pack or send anything, so a wrong token fails fast.
    http::Response list(ApiRequest &request);
    // Incremental deploys (incrementaldeploys.cpp): POST /api/sites/{name}/deploy-jobs takes
    // a manifest of paths, SHA-256 hashes and sizes and answers with the hashes the server
    // does not hold; POST .../deploy-jobs/{id}/blobs takes an archive of those contents,
    // each entry named by its hash; POST .../deploy-jobs/{id}/commit activates the deploy
    // once nothing is missing. Nothing is visible before the commit.
    http::Response startFromManifest(ApiRequest &request);
    http::Response receiveBlobs(ApiRequest &request);
    http::Response commit(ApiRequest &request);

private:
    struct Job;
    enum class State { Receiving, Storing, Activating, Done, Failed, Abandoned };
    static QString stateName(State state);

    // What a new job needs checked first: the site name, a stopping server, the key (the same
    // key answers with its job), ?spa= and ?activate=. An answer ends the request.
    std::optional<http::Response> refusalOrSameJob(ApiRequest &request, std::shared_ptr<Job> &job);
    Status insert(Job &job, State state);
    static bool isRetryable(const Job &job);
    // Hands the job to the jobs thread; answers at once (Prefer: respond-async) or later.
    http::Response queue(const std::shared_ptr<Job> &job, ApiRequest &request,
                         void (DeployJobs::*work)(const std::shared_ptr<Job> &));
    // The job's archive, checked whole; or the job failed (or stopped).
    std::optional<archive::ArchiveReader> validated(Job &job);
    void run(const std::shared_ptr<Job> &job);      // jobs thread
    void runBlobs(const std::shared_ptr<Job> &job); // jobs thread
    Result<vfs::DeployInfo> activate(Job &job);
    void finish(Job &job, State state, const Error *error = nullptr, int status = 0,
                QByteArrayView code = {});
    // A blobs upload stored: the job waits for more content, or the commit.
    void settle(Job &job);
    void persist(const Job &job);
    QJsonObject jobJson(const Job &job) const; // m_mutex held
    // The incremental deploy of the request's {name} and {id}; or nullptr, and `refusal` (404).
    std::shared_ptr<Job> find(const ApiRequest &request, http::Response &refusal) const;
    std::optional<QJsonObject> storedJob(const QString &site, qint64 id, const QString &key);
    http::Response answer(const QJsonObject &job, ApiRequest &request);

    db::Database &m_database;
    vfs::Vfs &m_vfs;
    const archive::Limits m_limits;
    TaskThread &m_thread;
    const DeployJson m_deployJson;
    std::atomic<bool> m_isStopping{false};
    mutable std::mutex m_mutex;
    std::map<qint64, std::shared_ptr<Job>> m_jobs; // running, and the last finished ones
};

} // namespace fazt::admin
