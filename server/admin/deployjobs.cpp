#include "admin/deployjobs.h"

#include "admin/deployjob.h"
#include "admin/taskthread.h"
#include "db/database.h"
#include "vfs/vfs.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>

namespace fazt::admin {

using http::Response;
using namespace deployjob;

namespace {

constexpr qint64 KeyLifetimeSeconds = 24 * 3600;
constexpr qint64 FinishedJobsKeptSeconds = 30 * 24 * 3600;
constexpr size_t FinishedJobsInRam = 64;

bool isValidKey(const QByteArray &key) {
    return key.size() <= 200 &&
           std::all_of(key.begin(), key.end(), [](char c) { return c > 0x20 && c < 0x7f; });
}

QString iso(qint64 unixSeconds) {
    return QDateTime::fromSecsSinceEpoch(unixSeconds, Qt::UTC).toString(Qt::ISODate);
}

} // namespace

DeployJobs::DeployJobs(db::Database &database, vfs::Vfs &vfs, archive::Limits limits,
                       TaskThread &thread, DeployJson deployJson)
    : m_database(database)
    , m_vfs(vfs)
    , m_limits(limits)
    , m_thread(thread)
    , m_deployJson(std::move(deployJson)) {}

DeployJobs::~DeployJobs() = default;

QString DeployJobs::stateName(State state) {
    switch (state) {
    case State::Receiving:
        return QStringLiteral("receiving");
    case State::Storing:
        return QStringLiteral("storing");
    case State::Activating:
        return QStringLiteral("activating");
    case State::Done:
        return QStringLiteral("done");
    case State::Failed:
        return QStringLiteral("failed");
    case State::Abandoned:
        break;
    }
    return QStringLiteral("abandoned");
}

Result<int> DeployJobs::recoverInterrupted() {
    const qint64 t = now();
    auto abandoned = m_database.writer().run([t](db::Connection &c) -> Result<int> {
        // A commit that happened before the crash stands: its job was done.
        if (Status s =
                c.exec("UPDATE deploy_jobs SET state = 'done', updated_at = " + std::to_string(t) +
                       " WHERE state = 'activating' AND deploy_id IN (SELECT id FROM "
                       "deploys WHERE status = 'complete')");
            !s)
            return s.error();
        auto mark = c.prepare(
            "UPDATE deploy_jobs SET state = 'abandoned', error_status = 503, error_code = "
            "'abandoned', error_message = ?, updated_at = ? WHERE state IN ('receiving', "
            "'storing', 'activating')");
        if (!mark)
            return mark.error();
        mark->bindAll(QStringLiteral("The server stopped (a crash or a kill) while this deploy "
                                     "was being stored; nothing of it was kept and the site did "
                                     "not change. Deploy again."),
                      t);
        if (Status s = mark->exec(); !s)
            return s.error();
        const int count = int(c.changes());
        auto old = c.prepare("DELETE FROM deploy_jobs WHERE updated_at < ?");
        if (!old)
            return old.error();
        if (Status s = old->bindAll(t - FinishedJobsKeptSeconds).exec(); !s)
            return s.error();
        return count;
    });
    if (!abandoned)
        return abandoned.error();
    // Nothing is being written yet: every pending deploy and every blob still being written
    // was the previous process's, and can never finish. Free them now rather than after
    // prune's hour (a negative age puts the cutoff just after now).
    auto freed = m_vfs.collectGarbage(std::chrono::seconds(-1));
    if (!freed)
        return freed.error();
    if (*abandoned > 0 || freed->deploysRemoved > 0)
        qInfo("fazt: %d deploys interrupted by the previous run marked abandoned; freed %lld "
              "pending deploys and %lld blobs (%lld bytes)",
              *abandoned, static_cast<long long>(freed->deploysRemoved),
              static_cast<long long>(freed->blobsRemoved),
              static_cast<long long>(freed->bytesFreed));
    return *abandoned;
}

void DeployJobs::beginShutdown() {
    m_isStopping = true;
    std::lock_guard lock(m_mutex);
    for (auto &[id, job] : m_jobs)
        job->isCancelled = true;
}

std::optional<Response> DeployJobs::refusalOrSameJob(ApiRequest &request,
                                                     std::shared_ptr<Job> &job) {
    const QString site = request.params.value(QStringLiteral("name"));
    if (Status s = vfs::Vfs::validateSiteName(site); !s)
        return apiError(s.error());
    if (m_isStopping)
        return apiError(503, StoppedCode, stoppedMessage());
    if (!isValidKey(request.idempotencyKey))
        return apiError(400, "invalid",
                        QStringLiteral("The Idempotency-Key header is at most 200 visible ASCII "
                                       "characters, e.g. a UUID."));
    const QString key = QString::fromLatin1(request.idempotencyKey);
    if (!key.isEmpty()) {
        std::unique_lock lock(m_mutex);
        for (auto &[id, existing] : m_jobs) {
            if (existing->site != site || existing->key != key || isRetryable(*existing))
                continue;
            if (request.prefersAsync || existing->isFinished() ||
                existing->state == State::Receiving)
                return request.prefersAsync || existing->state == State::Receiving
                           ? accepted(jobJson(*existing))
                           : finalAnswer(jobJson(*existing));
            existing->waiting.append(request.responder);
            return answeredLater();
        }
        lock.unlock();
        if (auto stored = storedJob(site, 0, key)) {
            const int status = stored->value(QStringLiteral("error"))
                                   .toObject()
                                   .value(QStringLiteral("status"))
                                   .toInt();
            if (status < 500)
                return request.prefersAsync ? accepted(*stored) : finalAnswer(*stored);
            // It ended because of the server (stopped, abandoned, busy): the key goes to this
            // upload instead, as a retry is what the client means.
            const qint64 old = stored->value(QStringLiteral("id")).toInteger();
            if (Status s = m_database.writer().run([old](db::Connection &c) -> Status {
                    auto release =
                        c.prepare("UPDATE deploy_jobs SET idempotency_key = NULL WHERE id = ?");
                    if (!release)
                        return release.error();
                    return release->bindAll(old).exec();
                });
                !s)
                return apiError(s.error());
            lock.lock();
            if (auto it = m_jobs.find(old); it != m_jobs.end())
                it->second->key.clear();
        }
    }
    const QString spa = request.query.queryItemValue(QStringLiteral("spa"));
    if (!spa.isEmpty() && spa != QLatin1String("true") && spa != QLatin1String("false"))
        return apiError(400, "invalid", QStringLiteral("'spa' is true or false."));
    if (!m_vfs.site(site)) {
        if (!request.caller.mayCreateSites())
            return cannotCreateSites(site);
        if (Status s = vfs::Vfs::validateNewSiteName(site); !s)
            return apiError(s.error());
    }
    job = std::make_shared<Job>();
    job->site = site;
    job->key = key;
    job->createdAt = job->updatedAt = now();
    job->activate =
        request.query.queryItemValue(QStringLiteral("activate")) != QLatin1String("false");
    if (!spa.isEmpty())
        job->spa = spa == QLatin1String("true");
    job->mayCreateSites = request.caller.mayCreateSites();
    job->upload = request.upload;
    job->uploadedBytes = request.upload ? request.upload->size() : 0;
    return std::nullopt;
}

// A job that ended because of the server, not the upload: its key may be used again.
bool DeployJobs::isRetryable(const Job &job) {
    return job.isFinished() && job.errorStatus >= 500;
}

Status DeployJobs::insert(Job &job, State state) {
    job.state = state;
    const QString stateText = stateName(state);
    auto id = m_database.writer().run([&job, stateText](db::Connection &c) -> Result<qint64> {
        auto stmt = c.prepare("INSERT INTO deploy_jobs(site, state, idempotency_key, created_at, "
                              "updated_at) VALUES (?, ?, ?, ?, ?)");
        if (!stmt)
            return stmt.error();
        stmt->bind(1, job.site).bind(2, stateText).bind(4, job.createdAt).bind(5, job.createdAt);
        if (!job.key.isEmpty())
            stmt->bind(3, job.key);
        if (Status s = stmt->exec(); !s)
            return s.error();
        return c.lastInsertRowId();
    });
    if (!id)
        return id.error();
    job.id = *id;
    return {};
}

Response DeployJobs::start(ApiRequest &request) {
    std::shared_ptr<Job> job;
    if (auto answer = refusalOrSameJob(request, job))
        return std::move(*answer);
    if (Status s = insert(*job, State::Storing); !s)
        return apiError(s.error());
    {
        std::lock_guard lock(m_mutex);
        m_jobs.emplace(job->id, job);
    }
    return queue(job, request, &DeployJobs::run);
}

Response DeployJobs::queue(const std::shared_ptr<Job> &job, ApiRequest &request,
                           void (DeployJobs::*work)(const std::shared_ptr<Job> &)) {
    if (!request.prefersAsync) {
        std::lock_guard lock(m_mutex);
        job->waiting.append(request.responder);
    }
    if (!m_thread.post([this, job, work] { (this->*work)(job); })) {
        const Error busy{Error::Code::Busy,
                         QStringLiteral("Too many deploys are waiting to be stored. Retry in a "
                                        "minute.")};
        std::unique_lock lock(m_mutex);
        job->waiting.clear();
        lock.unlock();
        finish(*job, State::Failed, &busy);
        return apiError(busy);
    }
    if (!request.prefersAsync)
        return answeredLater();
    std::lock_guard lock(m_mutex);
    return accepted(jobJson(*job));
}

std::optional<archive::ArchiveReader> DeployJobs::validated(Job &job) {
    if (m_isStopping)
        job.isCancelled = true; // started while beginShutdown() went through the jobs
    if (job.isCancelled) {
        const Error stopped{Error::Code::Busy, stoppedMessage()};
        finish(job, State::Failed, &stopped, 503, StoppedCode);
        return std::nullopt;
    }
    const Upload &upload = *job.upload;
    archive::ArchiveReader reader =
        upload.isInMemory() ? archive::ArchiveReader::fromMemory(upload.memory(), m_limits)
                            : archive::ArchiveReader::fromFile(upload.filePath(), m_limits);
    auto summary = reader.validate();
    if (!summary) {
        const bool isTooLarge = summary.error().code == Error::Code::TooLarge;
        finish(job, State::Failed, &summary.error(), isTooLarge ? 413 : 400,
               isTooLarge ? QByteArrayView("too_large") : QByteArrayView("invalid_archive"));
        return std::nullopt;
    }
    job.filesTotal = job.isIncremental ? job.filesTotal.load() : summary->files;
    job.bytesTotal = job.isIncremental ? job.bytesTotal.load() : summary->bytes;
    return reader;
}

// Jobs thread: check the whole archive first (nothing is stored from a rejected one), then
// stream its files into a new deploy and activate it.
void DeployJobs::run(const std::shared_ptr<Job> &job) {
    std::optional<archive::ArchiveReader> reader = validated(*job);
    if (!reader)
        return;
    if (!m_vfs.site(job->site)) {
        if (!job->mayCreateSites) {
            const Error refused = Error::invalid(QStringLiteral("There is no site '%1', and this "
                                                                "token may not create sites.")
                                                     .arg(job->site));
            finish(*job, State::Failed, &refused, 403, "forbidden");
            return;
        }
        if (auto created = m_vfs.createSite(job->site);
            !created && created.error().code != Error::Code::Conflict) {
            finish(*job, State::Failed, &created.error());
            return;
        }
    }
    auto writer = m_vfs.beginDeploy(job->site);
    if (!writer) {
        finish(*job, State::Failed, &writer.error());
        return;
    }
    Status stored = reader->forEachFile([&](const QString &path, QIODevice &content) {
        ProgressDevice counted(content, job->bytesDone, job->isCancelled);
        Status s = (*writer)->addFile(path, counted);
        job->filesDone.fetch_add(1);
        return s;
    });
    if (!stored || job->isCancelled) {
        (void)(*writer)->abort();
        if (job->isCancelled) {
            const Error stopped{Error::Code::Busy, stoppedMessage()};
            finish(*job, State::Failed, &stopped, 503, StoppedCode);
        } else {
            finish(*job, State::Failed, &stored.error());
        }
        return;
    }
    job->writer = std::move(*writer);
    auto deploy = activate(*job);
    if (!deploy) {
        finish(*job, State::Failed, &deploy.error());
        return;
    }
    finish(*job, State::Done);
}

// Commits the job's writer (activating the deploy unless asked not to), with ?spa=.
Result<vfs::DeployInfo> DeployJobs::activate(Job &job) {
    {
        std::lock_guard lock(m_mutex);
        job.state = State::Activating;
        job.deployId = job.writer->id();
        job.updatedAt = now();
    }
    persist(job);
    auto deploy = job.writer->commit(job.activate ? vfs::Vfs::Activation::Activate
                                                  : vfs::Vfs::Activation::Keep);
    if (!deploy)
        return deploy.error();
    if (job.spa) {
        auto site = m_vfs.site(job.site);
        QJsonObject settings =
            site ? QJsonDocument::fromJson(site->settings.toUtf8()).object() : QJsonObject();
        settings.insert(QStringLiteral("spa"), *job.spa);
        if (Status s = m_vfs.setSiteSettings(
                job.site,
                QString::fromUtf8(QJsonDocument(settings).toJson(QJsonDocument::Compact)));
            !s)
            qWarning("fazt: deploy %lld of %s: cannot set spa: %s",
                     static_cast<long long>(deploy->id), qPrintable(job.site),
                     qPrintable(s.error().message));
    }
    std::lock_guard lock(m_mutex);
    job.deploy = m_deployJson(*deploy);
    return deploy;
}

void DeployJobs::finish(Job &job, State state, const Error *error, int status,
                        QByteArrayView code) {
    QList<http::Responder> waiting;
    QJsonObject json;
    {
        std::lock_guard lock(m_mutex);
        job.state = state;
        job.updatedAt = now();
        if (error) {
            const ErrorStatus mapped = errorStatus(error->code);
            job.errorStatus = status ? status : mapped.status;
            job.errorCode = QString::fromLatin1(code.isEmpty() ? mapped.code : code);
            job.errorMessage = error->message;
        }
        waiting = std::exchange(job.waiting, {});
        json = jobJson(job);
        // The last finished jobs stay in RAM for their followers; older ones are read back
        // from deploy_jobs.
        size_t finished = 0;
        for (auto it = m_jobs.rbegin(); it != m_jobs.rend(); ++it)
            finished += it->second->isFinished() ? 1 : 0;
        for (auto it = m_jobs.begin(); it != m_jobs.end() && finished > FinishedJobsInRam;) {
            if (it->second->isFinished()) {
                it = m_jobs.erase(it);
                --finished;
            } else {
                ++it;
            }
        }
    }
    job.upload.reset(); // the spilled archive goes now
    if (job.writer) {
        if (state != State::Done)
            (void)job.writer->abort();
        job.writer.reset();
    }
    persist(job);
    for (const http::Responder &responder : waiting)
        responder.respond(finalAnswer(json));
}

void DeployJobs::persist(const Job &job) {
    std::unique_lock lock(m_mutex);
    const QString state = stateName(job.state);
    const qint64 deployId = job.deployId;
    const int errorStatus = job.errorStatus;
    const QString errorCode = job.errorCode;
    const QString errorMessage = job.errorMessage;
    const qint64 updatedAt = job.updatedAt;
    const qint64 id = job.id;
    lock.unlock();
    Status s = m_database.writer().run([=](db::Connection &c) -> Status {
        auto stmt = c.prepare("UPDATE deploy_jobs SET state = ?, deploy_id = ?, error_status = ?, "
                              "error_code = ?, error_message = ?, updated_at = ? WHERE id = ?");
        if (!stmt)
            return stmt.error();
        stmt->bind(1, state).bind(6, updatedAt).bind(7, id);
        if (deployId)
            stmt->bind(2, deployId);
        if (errorStatus) {
            stmt->bind(3, qint64(errorStatus)).bind(4, errorCode).bind(5, errorMessage);
        }
        return stmt->exec();
    });
    if (!s)
        qWarning("fazt: cannot record the state of deploy job %lld: %s", static_cast<long long>(id),
                 qPrintable(s.error().message));
}

QJsonObject DeployJobs::jobJson(const Job &job) const {
    QJsonObject json{{QStringLiteral("id"), job.id},
                     {QStringLiteral("site"), job.site},
                     {QStringLiteral("state"), stateName(job.state)},
                     {QStringLiteral("createdAt"), iso(job.createdAt)},
                     {QStringLiteral("updatedAt"), iso(job.updatedAt)},
                     {QStringLiteral("url"),
                      QStringLiteral("/api/sites/%1/deploy-jobs/%2").arg(job.site).arg(job.id)},
                     {QStringLiteral("progress"),
                      QJsonObject{{QStringLiteral("files"), job.filesDone.load()},
                                  {QStringLiteral("filesTotal"), job.filesTotal.load()},
                                  {QStringLiteral("bytes"), job.bytesDone.load()},
                                  {QStringLiteral("bytesTotal"), job.bytesTotal.load()}}}};
    if (job.isIncremental)
        json.insert(QStringLiteral("uploadedBytes"), job.uploadedBytes.load());
    if (job.isIncremental && job.state == State::Receiving) { // not in every look while storing
        QJsonArray missing;
        for (auto it = job.missing.begin(); it != job.missing.end(); ++it)
            missing.append(QString::fromLatin1(it.key().toHex()));
        json.insert(QStringLiteral("missing"), missing);
    }
    if (job.state == State::Done)
        json.insert(QStringLiteral("deploy"), job.deploy);
    if (job.errorStatus)
        json.insert(QStringLiteral("error"),
                    QJsonObject{{QStringLiteral("status"), job.errorStatus},
                                {QStringLiteral("code"), job.errorCode},
                                {QStringLiteral("message"), job.errorMessage}});
    return json;
}

// A job of an earlier run, or one no longer held in RAM: by id, or by idempotency key.
std::optional<QJsonObject> DeployJobs::storedJob(const QString &site, qint64 id,
                                                 const QString &key) {
    auto stmt = m_database.reader().prepare(
        "SELECT id, state, deploy_id, error_status, error_code, error_message, created_at, "
        "updated_at FROM deploy_jobs WHERE site = ? AND (id = ? OR (idempotency_key = ? AND "
        "created_at > ?))");
    if (!stmt)
        return std::nullopt;
    stmt->bind(1, site).bind(2, id).bind(3, key).bind(4, now() - KeyLifetimeSeconds);
    if (!stmt->next())
        return std::nullopt;
    Job job;
    job.id = stmt->int64(0);
    job.site = site;
    const QString state = stmt->text(1);
    for (State s :
         {State::Receiving, State::Storing, State::Activating, State::Done, State::Failed})
        if (state == stateName(s))
            job.state = s;
    if (state == stateName(State::Abandoned))
        job.state = State::Abandoned;
    job.deployId = stmt->int64(2);
    job.errorStatus = int(stmt->int64(3));
    job.errorCode = stmt->text(4);
    job.errorMessage = stmt->text(5);
    job.createdAt = stmt->int64(6);
    job.updatedAt = stmt->int64(7);
    if (job.state == State::Done && job.deployId)
        if (auto deploy = m_vfs.deploy(job.deployId))
            job.deploy = m_deployJson(*deploy);
    return jobJson(job);
}

Response DeployJobs::get(ApiRequest &request) {
    const QString site = request.params.value(QStringLiteral("name"));
    bool ok = false;
    const qint64 id = request.params.value(QStringLiteral("id")).toLongLong(&ok);
    if (!ok || id <= 0)
        return apiError(400, "invalid", QStringLiteral("A deploy job id is a number."));
    {
        std::lock_guard lock(m_mutex);
        if (auto it = m_jobs.find(id); it != m_jobs.end() && it->second->site == site)
            return jsonResponse(200, jobJson(*it->second));
    }
    if (auto stored = storedJob(site, id, QString()))
        return jsonResponse(200, *stored);
    return apiError(404, "not_found",
                    QStringLiteral("Site '%1' has no deploy job %2.").arg(site.left(80)).arg(id));
}

Response DeployJobs::list(ApiRequest &request) {
    const QString site = request.params.value(QStringLiteral("name"));
    if (Status s = vfs::Vfs::validateSiteName(site); !s)
        return apiError(s.error());
    if (!m_vfs.site(site) && !request.caller.mayCreateSites())
        return cannotCreateSites(site);
    auto stmt = m_database.reader().prepare(
        "SELECT id FROM deploy_jobs WHERE site = ? ORDER BY id DESC LIMIT 20");
    if (!stmt)
        return apiError(stmt.error());
    stmt->bindAll(site);
    QList<qint64> ids;
    while (stmt->next())
        ids.append(stmt->int64(0));
    QJsonArray jobs;
    for (const qint64 id : ids) {
        std::unique_lock lock(m_mutex);
        if (auto it = m_jobs.find(id); it != m_jobs.end()) {
            jobs.append(jobJson(*it->second));
            continue;
        }
        lock.unlock();
        if (auto stored = storedJob(site, id, QString()))
            jobs.append(*stored);
    }
    return jsonResponse(200, QJsonObject{{QStringLiteral("jobs"), jobs}});
}

} // namespace fazt::admin
