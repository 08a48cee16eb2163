#include "cli/folderdeploy.h"

#include "archive/tarstream.h"
#include "cli/command.h"
#include "crypto/sha256.h"
#include "system/units.h"

#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>
#include <QTemporaryDir>
#include <QThread>

#include <atomic>
#include <mutex>
#include <thread>

namespace fazt::cli {

namespace {

// The SHA-256 of every file, read in 256 KiB pieces on as many threads as there are cores.
Result<QList<QByteArray>> hashFiles(const std::vector<archive::FileToPack> &files) {
    QList<QByteArray> hashes(qsizetype(files.size()));
    std::atomic<size_t> next{0};
    std::atomic<bool> failed{false};
    QString failure;
    std::mutex failureMutex;
    const auto work = [&] {
        QByteArray buffer(256 << 10, Qt::Uninitialized);
        for (size_t i = next++; i < files.size() && !failed; i = next++) {
            QFile file(files[i].absolutePath);
            if (!file.open(QIODevice::ReadOnly)) {
                std::lock_guard lock(failureMutex);
                failure = QStringLiteral("Cannot read '%1': %2")
                              .arg(files[i].absolutePath, file.errorString());
                failed = true;
                return;
            }
            crypto::Sha256 hasher;
            for (qint64 n; (n = file.read(buffer.data(), buffer.size())) > 0;)
                hasher.addData(QByteArrayView(buffer.constData(), n));
            hashes[qsizetype(i)] = hasher.result();
        }
    };
    std::vector<std::thread> threads;
    for (int t = 1; t < std::max(1, QThread::idealThreadCount()); ++t)
        threads.emplace_back(work);
    work();
    for (std::thread &thread : threads)
        thread.join();
    if (failed)
        return Error::io(failure);
    return hashes;
}

} // namespace

Result<client::Deploy> deployFolder(client::ApiClient &api, const QString &site,
                                    const QString &folder, const FolderDeploy &how) {
    archive::Summary listed;
    auto files = archive::listDeployFiles(folder, how.pack, listed);
    if (!files)
        return files.error();
    if (listed.skipped > 0)
        how.say(QStringLiteral("Left out %1 symbolic links or special files: a site is regular "
                               "files only.")
                    .arg(listed.skipped));
    auto hashes = hashFiles(*files);
    if (!hashes)
        return hashes.error();
    QJsonArray manifest;
    qint64 total = 0;
    for (size_t i = 0; i < files->size(); ++i) {
        const archive::FileToPack &file = (*files)[i];
        manifest.append(QJsonObject{
            {QStringLiteral("path"), file.path},
            {QStringLiteral("sha256"), QString::fromLatin1((*hashes)[qsizetype(i)].toHex())},
            {QStringLiteral("size"), file.size}});
        total += file.size;
    }
    const QString jobs = QStringLiteral("/api/sites/%1/deploy-jobs").arg(site);
    auto job = client::waitFor<QJsonObject>([&](auto done) {
        api.call("POST", jobs, client::ApiClient::queryFor(how.deploy),
                 QJsonDocument(QJsonObject{{QStringLiteral("files"), manifest}})
                     .toJson(QJsonDocument::Compact),
                 done);
    });
    if (!job)
        return job.error();
    const qint64 jobId = job->value(QStringLiteral("id")).toInteger();

    // What the server lacks, once per content, named by its hash.
    QSet<QString> missing;
    for (const QJsonValue &hash : job->value(QStringLiteral("missing")).toArray())
        missing.insert(hash.toString());
    std::vector<archive::FileToPack> toSend;
    QSet<QString> queued;
    qint64 withNewContent = 0;
    qint64 newBytes = 0;
    for (size_t i = 0; i < files->size(); ++i) {
        const QString hash = QString::fromLatin1((*hashes)[qsizetype(i)].toHex());
        if (!missing.contains(hash))
            continue;
        ++withNewContent;
        newBytes += (*files)[i].size;
        if (!queued.contains(hash)) { // the same content at two paths goes once
            queued.insert(hash);
            toSend.push_back({hash, (*files)[i].absolutePath, (*files)[i].size});
        }
    }
    how.say(QStringLiteral("%1 of %2 files (%3 of %4) are on the server already; sending %5.")
                .arg(qint64(files->size()) - withNewContent)
                .arg(files->size())
                .arg(system::humanBytes(total - newBytes), system::humanBytes(total),
                     toSend.empty() ? QStringLiteral("nothing else")
                                    : QStringLiteral("%1 files (%2)")
                                          .arg(withNewContent)
                                          .arg(system::humanBytes(newBytes))));
    if (!toSend.empty()) {
        // To this machine, a plain tar packed as it is sent; else compressed first.
        const bool isStreamed =
            how.pack.compression == archive::Compression::None && archive::TarStream::fits(toSend);
        QTemporaryDir scratch;
        const QString archivePath = scratch.filePath(QStringLiteral("content.tar"));
        std::unique_ptr<archive::TarStream> stream;
        if (isStreamed) {
            stream = std::make_unique<archive::TarStream>(std::move(toSend));
        } else {
            if (!scratch.isValid())
                return Error::io(QStringLiteral("Cannot create a temporary folder: %1")
                                     .arg(scratch.errorString()));
            if (auto packed = archive::packFiles(toSend, archivePath, how.pack); !packed)
                return packed.error();
        }
        if (how.uploadProgress)
            how.uploadProgress(0, isStreamed ? stream->size() : QFileInfo(archivePath).size());
        auto sent = client::waitFor<QJsonObject>([&](auto done) {
            client::ApiCall *call = isStreamed
                                        ? api.sendContent(site, jobId, std::move(stream), done)
                                        : api.sendContent(site, jobId, archivePath, done);
            if (how.uploadProgress)
                QObject::connect(call, &client::ApiCall::uploadProgress, call, how.uploadProgress);
            if (how.deployProgress)
                QObject::connect(call, &client::ApiCall::deployProgress, call, how.deployProgress);
        });
        if (!sent)
            return sent.error();
    }
    auto committed = client::waitFor<QJsonObject>([&](auto done) {
        api.call("POST", jobs + QStringLiteral("/%1/commit").arg(jobId), QString(), QByteArray(),
                 done);
    });
    if (!committed)
        return committed.error();
    if (how.deployProgress)
        how.deployProgress({jobId, committed->value(QStringLiteral("state")).toString(),
                            qint64(files->size()), qint64(files->size()), total, total});
    how.say(QStringLiteral("Uploaded %1 for this deploy (the manifest and the new content).")
                .arg(system::humanBytes(
                    committed->value(QStringLiteral("uploadedBytes")).toInteger())));
    return client::deployFromJson(committed->value(QStringLiteral("deploy")).toObject());
}

} // namespace fazt::cli
