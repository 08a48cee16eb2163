// DeployJobs, the incremental half: a deploy from a manifest of paths and SHA-256 hashes, whose
// missing contents come in archives (entries named by their hash), then a commit.

#include "admin/deployjob.h"
#include "admin/taskthread.h"
#include "vfs/deploymanifest.h"

#include <QFile>
#include <QJsonArray>

namespace fazt::admin {

using http::Response;
using namespace deployjob;

namespace {

// A manifest of the largest deploy (20,000 files) takes about 3 MB of JSON.
constexpr qint64 MaxManifestBytes = 8 << 20;
// Manifest deploys waiting for content at once; each holds its manifest's missing part.
constexpr int MaxReceivingJobs = 8;
constexpr qint64 IdleSeconds = 3600;

Result<QByteArray> bodyOf(const Upload &upload) {
    if (upload.size() > MaxManifestBytes)
        return Error{Error::Code::TooLarge,
                     QStringLiteral("The manifest has %1 bytes; at most %2 are accepted.")
                         .arg(upload.size())
                         .arg(MaxManifestBytes)};
    if (upload.isInMemory())
        return upload.memory();
    QFile file(upload.filePath());
    if (!file.open(QIODevice::ReadOnly))
        return Error::io(file.errorString());
    return file.readAll();
}

bool isHexName(const QString &name) {
    return name.size() == 64 && std::all_of(name.begin(), name.end(), [](QChar c) {
               return (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f');
           });
}

} // namespace

std::shared_ptr<DeployJobs::Job> DeployJobs::find(const ApiRequest &request,
                                                  Response &refusal) const {
    const QString site = request.params.value(QStringLiteral("name"));
    const QString id = request.params.value(QStringLiteral("id"));
    std::lock_guard lock(m_mutex);
    auto it = m_jobs.find(id.toLongLong());
    if (it != m_jobs.end() && it->second->site == site && it->second->isIncremental)
        return it->second;
    refusal = apiError(404, "not_found",
                       QStringLiteral("Site '%1' has no deploy %2 waiting for content or its "
                                      "commit (it ended, or the server restarted): start again "
                                      "with the manifest.")
                           .arg(site.left(80), id.left(20)));
    return nullptr;
}

Response DeployJobs::startFromManifest(ApiRequest &request) {
    std::shared_ptr<Job> job;
    if (auto answer = refusalOrSameJob(request, job))
        return std::move(*answer);
    auto body = bodyOf(*request.upload);
    if (!body)
        return apiError(body.error());
    vfs::DeployManifest::Limits limits;
    limits.maxFiles = m_limits.maxEntries;
    limits.maxFileBytes = m_limits.maxFileBytes;
    limits.maxTotalBytes = m_limits.maxTotalBytes;
    auto manifest = vfs::DeployManifest::parse(*body, limits);
    if (!manifest)
        return apiError(manifest.error());
    job->upload.reset(); // the manifest is read
    // A deploy whose client went away waits an hour at most: then it makes room.
    QList<std::shared_ptr<Job>> idle;
    {
        std::lock_guard lock(m_mutex);
        for (const auto &[id, other] : m_jobs)
            if (other->state == State::Receiving && other->updatedAt < now() - IdleSeconds)
                idle.append(other);
    }
    for (const std::shared_ptr<Job> &other : idle) {
        const Error expired = Error::conflict(
            QStringLiteral("No content and no commit came for an hour; nothing of this deploy "
                           "was kept. Deploy again."));
        finish(*other, State::Failed, &expired);
    }
    {
        std::lock_guard lock(m_mutex);
        const auto receiving = std::count_if(m_jobs.begin(), m_jobs.end(), [](const auto &entry) {
            return entry.second->state == State::Receiving;
        });
        if (receiving >= MaxReceivingJobs)
            return apiError(503, "busy",
                            QStringLiteral("%1 deploys are waiting for their content; finish "
                                           "them, or retry in a minute.")
                                .arg(receiving));
    }
    if (!m_vfs.site(job->site))
        if (auto created = m_vfs.createSite(job->site);
            !created && created.error().code != Error::Code::Conflict)
            return apiError(created.error());
    auto writer = m_vfs.beginDeploy(job->site);
    if (!writer)
        return apiError(writer.error());
    auto missing = (*writer)->addStored(manifest->files());
    if (!missing) {
        (void)(*writer)->abort();
        return apiError(missing.error());
    }
    job->isIncremental = true;
    job->writer = std::move(*writer);
    job->filesTotal = manifest->files().size();
    job->filesDone = manifest->files().size() - missing->size();
    job->bytesTotal = manifest->totalBytes();
    qint64 missingBytes = 0;
    for (const vfs::ManifestFile &file : *missing) {
        job->missing[file.hash].append(file);
        missingBytes += file.size;
    }
    job->bytesDone = manifest->totalBytes() - missingBytes;
    if (Status s = insert(*job, State::Receiving); !s) {
        (void)job->writer->abort();
        return apiError(s.error());
    }
    std::lock_guard lock(m_mutex);
    m_jobs.emplace(job->id, job);
    Response created = jsonResponse(201, jobJson(*job));
    created.location = jobJson(*job).value(QStringLiteral("url")).toString().toUtf8();
    return created;
}

Response DeployJobs::receiveBlobs(ApiRequest &request) {
    Response refusal;
    auto job = find(request, refusal);
    if (!job)
        return refusal;
    if (m_isStopping)
        return apiError(503, StoppedCode, stoppedMessage());
    {
        std::lock_guard lock(m_mutex);
        if (job->state != State::Receiving)
            return apiError(409, "conflict",
                            QStringLiteral("Deploy job %1 is %2: content goes to a job that is "
                                           "receiving.")
                                .arg(job->id)
                                .arg(stateName(job->state)));
        job->state = State::Storing;
        job->updatedAt = now();
        job->upload = request.upload;
        job->uploadedBytes += request.upload->size();
    }
    persist(*job);
    return queue(job, request, &DeployJobs::runBlobs);
}

// Jobs thread: every entry must be content the job still lacks, named by its SHA-256 and
// hashing to it; anything else fails the whole deploy (nothing of it ever becomes visible).
void DeployJobs::runBlobs(const std::shared_ptr<Job> &job) {
    std::optional<archive::ArchiveReader> reader = validated(*job);
    if (!reader)
        return;
    Status stored = reader->forEachFile([&](const QString &name, QIODevice &content) -> Status {
        const QByteArray hash = QByteArray::fromHex(name.toLatin1());
        QList<vfs::ManifestFile> files;
        {
            std::lock_guard lock(m_mutex);
            files = isHexName(name) ? job->missing.value(hash) : QList<vfs::ManifestFile>();
        }
        if (files.isEmpty())
            return Error::invalid(
                QStringLiteral("'%1' is not content this deploy still needs: name each entry by "
                               "the SHA-256 (64 lower-case hex digits) of a file the manifest "
                               "lists and the server said it lacks, and send it once.")
                    .arg(name.left(100)));
        ProgressDevice counted(content, job->bytesDone, job->isCancelled);
        if (Status s = job->writer->addFile(files.first().path, counted, hash); !s)
            return s;
        if (counted.passed() != files.first().size)
            return Error::invalid(QStringLiteral("'%1' has %2 bytes, not %3 as the manifest says.")
                                      .arg(files.first().path.left(200))
                                      .arg(counted.passed())
                                      .arg(files.first().size));
        if (files.size() > 1) // the same content at other paths: stored now
            if (auto rest = job->writer->addStored(files.mid(1)); !rest)
                return rest.error();
        std::lock_guard lock(m_mutex);
        job->missing.remove(hash);
        job->filesDone += files.size();
        return {};
    });
    if (job->isCancelled) {
        const Error stopped{Error::Code::Busy, stoppedMessage()};
        finish(*job, State::Failed, &stopped, 503, StoppedCode);
    } else if (!stored) {
        finish(*job, State::Failed, &stored.error());
    } else {
        settle(*job);
    }
}

void DeployJobs::settle(Job &job) {
    QList<http::Responder> waiting;
    QJsonObject json;
    {
        std::lock_guard lock(m_mutex);
        job.state = State::Receiving;
        job.updatedAt = now();
        waiting = std::exchange(job.waiting, {});
        json = jobJson(job);
    }
    job.upload.reset();
    persist(job);
    for (const http::Responder &responder : waiting)
        responder.respond(jsonResponse(200, json));
}

Response DeployJobs::commit(ApiRequest &request) {
    Response refusal;
    auto job = find(request, refusal);
    if (!job)
        return refusal;
    {
        std::lock_guard lock(m_mutex);
        if (job->state != State::Receiving)
            return apiError(409, "conflict",
                            QStringLiteral("Deploy job %1 is %2; only a job that is receiving "
                                           "can be committed.")
                                .arg(job->id)
                                .arg(stateName(job->state)));
        if (!job->missing.isEmpty()) {
            QStringList paths;
            for (const auto &files : std::as_const(job->missing))
                for (const vfs::ManifestFile &file : files)
                    if (paths.size() < 5)
                        paths.append(file.path);
            qint64 count = 0;
            for (const auto &files : std::as_const(job->missing))
                count += files.size();
            return apiError(409, "missing_content",
                            QStringLiteral("%1 files of the manifest have no content yet (%2%3): "
                                           "send them (POST %4/blobs), then commit again.")
                                .arg(count)
                                .arg(paths.join(QStringLiteral(", ")),
                                     count > paths.size() ? QStringLiteral(", ...") : QString(),
                                     jobJson(*job).value(QStringLiteral("url")).toString()));
        }
    }
    auto deploy = activate(*job);
    if (!deploy) {
        finish(*job, State::Failed, &deploy.error());
        return apiError(deploy.error());
    }
    finish(*job, State::Done);
    std::lock_guard lock(m_mutex);
    return jsonResponse(200, jobJson(*job));
}

} // namespace fazt::admin
