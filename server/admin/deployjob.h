#pragma once

// What the two halves of DeployJobs share (deployjobs.cpp: archive deploys, following, the
// registry; incrementaldeploys.cpp: deploys from a manifest). Private to server/admin.

#include "admin/deployjobs.h"
#include "vfs/vfs.h"

#include <QDateTime>
#include <QHash>
#include <QIODevice>

namespace fazt::admin {

struct DeployJobs::Job {
    qint64 id = 0;
    QString site;
    QString key;
    qint64 createdAt = 0;
    bool activate = true;
    std::optional<bool> spa;
    bool mayCreateSites = false;
    std::shared_ptr<Upload> upload;
    std::atomic<bool> isCancelled{false};
    std::atomic<qint64> filesDone{0};
    std::atomic<qint64> filesTotal{0};
    std::atomic<qint64> bytesDone{0};
    std::atomic<qint64> bytesTotal{0};
    // A deploy from a manifest: its writer stays open between the requests that send content.
    std::unique_ptr<vfs::DeployWriter> writer;
    std::atomic<qint64> uploadedBytes{0}; // request bodies received for it (manifest, blobs)
    // Under DeployJobs::m_mutex:
    State state = State::Storing;
    qint64 updatedAt = 0;
    qint64 deployId = 0;
    QJsonObject deploy;
    int errorStatus = 0;
    QString errorCode;
    QString errorMessage;
    QList<http::Responder> waiting; // clients that asked for the synchronous answer
    QHash<QByteArray, QList<vfs::ManifestFile>> missing; // by SHA-256: content still to come
    bool isIncremental = false;

    bool isFinished() const {
        return state == State::Done || state == State::Failed || state == State::Abandoned;
    }
};

namespace deployjob {

inline qint64 now() {
    return QDateTime::currentSecsSinceEpoch();
}

constexpr QByteArrayView StoppedCode("stopped");

inline QString stoppedMessage() {
    return QStringLiteral("The server is stopping: this deploy was not stored and the site did "
                          "not change. Deploy again in a moment.");
}

// Hands a file's bytes through to the deploy writer, counting them for the job's progress;
// once the job is cancelled (SIGTERM) every read fails, so a big file stops within a chunk.
class ProgressDevice : public QIODevice {
public:
    ProgressDevice(QIODevice &inner, std::atomic<qint64> &bytes, const std::atomic<bool> &cancelled)
        : m_inner(inner)
        , m_bytes(bytes)
        , m_cancelled(cancelled) {
        open(QIODevice::ReadOnly | QIODevice::Unbuffered);
    }
    bool isSequential() const override { return true; }
    bool atEnd() const override { return m_inner.atEnd(); }
    qint64 passed() const { return m_passed; }

protected:
    qint64 readData(char *data, qint64 maxSize) override {
        if (m_cancelled.load()) {
            setErrorString(stoppedMessage());
            return -1;
        }
        const qint64 n = m_inner.read(data, maxSize);
        if (n < 0) {
            setErrorString(m_inner.errorString());
        } else {
            m_bytes.fetch_add(n);
            m_passed += n;
        }
        return n;
    }
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    QIODevice &m_inner;
    std::atomic<qint64> &m_bytes;
    const std::atomic<bool> &m_cancelled;
    qint64 m_passed = 0;
};

inline http::Response accepted(const QJsonObject &job) {
    http::Response response = jsonResponse(202, job);
    response.location = job.value(QStringLiteral("url")).toString().toUtf8();
    return response;
}

// The synchronous answer to a finished job: the deploy, or the error it ended with.
inline http::Response finalAnswer(const QJsonObject &job) {
    if (job.value(QStringLiteral("state")).toString() == QLatin1String("done"))
        return jsonResponse(201, job.value(QStringLiteral("deploy")).toObject());
    const QJsonObject error = job.value(QStringLiteral("error")).toObject();
    return apiError(error.value(QStringLiteral("status")).toInt(500),
                    error.value(QStringLiteral("code")).toString().toLatin1(),
                    error.value(QStringLiteral("message")).toString());
}

} // namespace deployjob

} // namespace fazt::admin
