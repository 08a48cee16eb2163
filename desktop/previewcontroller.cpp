#include "previewcontroller.h"

#include <QFileInfo>
#include <QTime>

namespace fazt::console {

PreviewController::PreviewController(QObject *parent)
    : QObject(parent) {
    connect(&m_preview, &app::Preview::loadStarted, this, &PreviewController::stateChanged);
    connect(&m_preview, &app::Preview::loaded, this, &PreviewController::onLoaded);
    connect(&m_preview, &app::Preview::loadFailed, this, [this](const QString &message) {
        m_message = tr("Could not load the folder: %1").arg(message);
        Q_EMIT stateChanged();
    });
}

PreviewController::~PreviewController() = default;

bool PreviewController::isRunning() const {
    return m_preview.isRunning() && m_url.isValid();
}

void PreviewController::setSpa(bool isSpa) {
    if (m_isSpa == isSpa)
        return;
    m_isSpa = isSpa;
    Q_EMIT spaChanged();
}

void PreviewController::fail(const QString &message) {
    m_preview.stop();
    m_url.clear();
    m_message = message;
    Q_EMIT stateChanged();
}

void PreviewController::start(const QUrl &folder) {
    stop();
    app::Preview::Options options;
    options.folder =
        folder.isLocalFile() ? folder.toLocalFile() : folder.toString(QUrl::PreferLocalFile);
    options.http.address = QHostAddress(QHostAddress::LocalHost);
    options.http.port = 0;
    options.http.workers = 2;
    options.http.shutdownGraceMs = 500;
    options.isSpa = m_isSpa;
    m_fileCount = 0;
    m_reloadCount = 0;
    if (Status s = m_preview.start(options); !s) {
        fail(s.error().message);
        return;
    }
    m_folder = m_preview.folder();
    m_message = tr("Loading %1…").arg(m_folder);
    Q_EMIT stateChanged();
}

void PreviewController::stop() {
    const bool wasRunning = m_preview.isRunning();
    m_preview.stop();
    m_url.clear();
    if (wasRunning) {
        m_message = tr("Preview stopped.");
        Q_EMIT stateChanged();
    }
}

void PreviewController::onLoaded(qint64 fileCount, bool isReload) {
    m_fileCount = int(fileCount);
    if (isReload)
        ++m_reloadCount;
    m_url = QUrl(QStringLiteral("http://localhost:%1/").arg(m_preview.port()));
    m_message = isReload ? tr("Reloaded %1 files at %2.")
                               .arg(m_fileCount)
                               .arg(QTime::currentTime().toString(Qt::ISODate))
                         : tr("Serving %1 files from %2.").arg(m_fileCount).arg(m_folder);
    Q_EMIT stateChanged();
    Q_EMIT reloaded();
}

} // namespace fazt::console
