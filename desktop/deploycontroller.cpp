#include "deploycontroller.h"

#include "archive/archivewriter.h"
#include "client/apiclient.h"

#include <QFileInfo>
#include <QRegularExpression>

namespace fazt::console {

namespace {

QString localPath(const QUrl &source) {
    return source.isLocalFile() ? source.toLocalFile() : source.toString(QUrl::PreferLocalFile);
}

} // namespace

DeployController::DeployController(QObject *parent)
    : QObject(parent) {
    m_packer.setMaxThreadCount(1);
}

DeployController::~DeployController() {
    if (m_cancelPacking)
        m_cancelPacking->store(true);
    m_packer.waitForDone(); // packing stops at its next chunk
}

QObject *DeployController::client() const {
    return m_client;
}

void DeployController::setClient(QObject *client) {
    auto *api = qobject_cast<client::ApiClient *>(client);
    if (m_client == api)
        return;
    cancel();
    m_client = api;
    Q_EMIT clientChanged();
}

bool DeployController::isBusy() const {
    return m_state == State::Packing || m_state == State::Uploading || m_state == State::Publishing;
}

double DeployController::progress() const {
    if (m_state == State::Done)
        return 1.0;
    return m_bytesTotal > 0 ? double(m_bytesDone) / double(m_bytesTotal) : 0.0;
}

void DeployController::setState(State state, const QString &message) {
    m_state = state;
    m_message = message;
    Q_EMIT stateChanged();
    Q_EMIT progressChanged();
}

void DeployController::setProgress(qint64 done, qint64 total) {
    if (done == m_bytesDone && total == m_bytesTotal)
        return;
    m_bytesDone = done;
    m_bytesTotal = total;
    Q_EMIT progressChanged();
}

QString DeployController::suggestedSiteName(const QUrl &source) {
    QString name = QFileInfo(localPath(source)).fileName().toLower();
    static const QRegularExpression archiveSuffix(
        QStringLiteral("\\.(zip|tar|tgz|tar\\.gz|tar\\.zst|tar\\.bz2|tar\\.xz)$"));
    name.remove(archiveSuffix);
    static const QRegularExpression notLabel(QStringLiteral("[^a-z0-9]+"));
    name.replace(notLabel, QStringLiteral("-"));
    while (name.startsWith(u'-'))
        name.remove(0, 1);
    while (name.endsWith(u'-'))
        name.chop(1);
    return name.left(63);
}

bool DeployController::isArchiveFile(const QUrl &source) {
    return QFileInfo(localPath(source)).isFile();
}

void DeployController::deploy(const QString &site, const QUrl &source) {
    if (isBusy())
        return;
    ++m_generation;
    m_site = site.trimmed();
    m_liveUrl.clear();
    setProgress(0, 0);
    if (!m_client) {
        setState(State::Failed, tr("Choose a server first."));
        return;
    }
    if (m_site.isEmpty()) {
        setState(State::Failed, tr("Name the site to deploy to."));
        return;
    }
    const QString path = localPath(source);
    const QFileInfo info(path);
    if (info.isFile()) {
        upload(info.absoluteFilePath());
        return;
    }
    if (!info.isDir()) {
        setState(State::Failed, tr("%1 is neither a folder nor an archive.").arg(path));
        return;
    }
    m_scratch = std::make_shared<QTemporaryDir>();
    if (!m_scratch->isValid()) {
        setState(State::Failed,
                 tr("Cannot create a temporary folder: %1").arg(m_scratch->errorString()));
        return;
    }
    const QString archivePath = m_scratch->filePath(QStringLiteral("deploy.tar.gz"));
    m_cancelPacking = std::make_shared<std::atomic<bool>>(false);
    setState(State::Packing, tr("Packing %1…").arg(info.fileName()));
    const quint64 generation = m_generation;
    const auto cancelled = m_cancelPacking;
    m_packer.start([this, generation, cancelled, scratch = m_scratch,
                    folder = info.absoluteFilePath(), archivePath] {
        // Progress crosses to the UI thread at most once per percent.
        int lastPercent = -1;
        auto packed = archive::packDirectory(
            folder, archivePath, archive::PackOptions(),
            [&](const archive::PackProgress &p) {
                const int percent = p.totalBytes > 0 ? int(p.bytes * 100 / p.totalBytes) : 0;
                if (percent == lastPercent)
                    return;
                lastPercent = percent;
                QMetaObject::invokeMethod(this, [this, generation, p] {
                    if (generation == m_generation && m_state == State::Packing)
                        setProgress(p.bytes, p.totalBytes);
                });
            },
            [cancelled] { return cancelled->load(); });
        QMetaObject::invokeMethod(this,
                                  [this, generation, archivePath, packed = std::move(packed)] {
                                      if (generation != m_generation || m_state != State::Packing)
                                          return;
                                      if (!packed) {
                                          setState(State::Failed, packed.error().message);
                                          return;
                                      }
                                      upload(archivePath);
                                  });
    });
}

void DeployController::upload(const QString &archivePath) {
    const qint64 size = QFileInfo(archivePath).size();
    setProgress(0, size);
    setState(State::Uploading, tr("Uploading to %1…").arg(m_site));
    const quint64 generation = m_generation;
    m_call = m_client->deploy(m_site, archivePath, client::Activation::Activate,
                              [this, generation](Result<client::Deploy> answer) {
                                  if (generation != m_generation)
                                      return;
                                  m_scratch.reset();
                                  if (!answer) {
                                      if (m_state != State::Cancelled)
                                          setState(State::Failed, answer.error().message);
                                      return;
                                  }
                                  m_liveUrl = answer->url;
                                  setProgress(m_bytesTotal, m_bytesTotal);
                                  setState(State::Done, tr("%1 is live: %2 files, deploy %3.")
                                                            .arg(m_site)
                                                            .arg(answer->fileCount)
                                                            .arg(answer->id));
                                  Q_EMIT deployed(m_site, m_liveUrl);
                              })->boundTo(this);
    connect(m_call, &client::ApiCall::uploadProgress, this, [this](qint64 sent, qint64 total) {
        if (m_state != State::Uploading && m_state != State::Publishing)
            return;
        setProgress(sent, total);
        if (sent == total && m_state == State::Uploading)
            setState(State::Publishing, tr("Uploaded; the server is unpacking and storing the "
                                           "files…"));
    });
    // The server answers the upload at once and the call follows the deploy to its end:
    // progress is now the files stored.
    connect(m_call, &client::ApiCall::deployProgress, this,
            [this](const client::DeployProgress &job) {
                if (m_state != State::Uploading && m_state != State::Publishing)
                    return;
                setProgress(job.bytes, job.bytesTotal);
                setState(State::Publishing,
                         job.state == QLatin1String("activating")
                             ? tr("Stored; the server is making it live…")
                             : tr("Uploaded; the server is storing the files: %1 of %2…")
                                   .arg(job.files)
                                   .arg(job.filesTotal));
            });
}

void DeployController::cancel() {
    if (!isBusy())
        return;
    if (m_cancelPacking)
        m_cancelPacking->store(true);
    const State was = m_state;
    setState(State::Cancelled, was == State::Publishing
                                   ? tr("Cancelled. The upload had finished: the server may "
                                        "still publish it; check the deploy history.")
                                   : tr("Cancelled; nothing was deployed."));
    ++m_generation;
    if (m_call)
        m_call->abort();
    m_scratch.reset();
}

void DeployController::dismiss() {
    if (isBusy() || m_state == State::Idle)
        return;
    setProgress(0, 0);
    setState(State::Idle);
}

} // namespace fazt::console
