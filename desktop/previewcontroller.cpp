#include "previewcontroller.h"

#include "db/database.h"
#include "hosting/hostrouter.h"
#include "hosting/livereload.h"
#include "hosting/sitedispatcher.h"
#include "http/httpserver.h"
#include "vfs/vfs.h"
#include "vfs/vfscache.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QTemporaryDir>

namespace fazt::console {

namespace {

const QString kSite = QStringLiteral("preview");
constexpr qint64 kCacheBytes = 32 << 20;
constexpr qint64 kLargeFileBytes = 2 << 20;
constexpr int kQuietMs = 300; // a save often touches a file several times

} // namespace

// Everything a running preview owns, destroyed in reverse order: the server first.
struct PreviewController::Serving {
    QTemporaryDir scratch;
    std::unique_ptr<db::Database> database;
    std::unique_ptr<vfs::VfsCache> cache;
    std::unique_ptr<vfs::Vfs> vfs;
    std::unique_ptr<hosting::HostRouter> router;
    hosting::LiveReload liveReload;
    std::unique_ptr<hosting::SiteHandler> files;
    std::unique_ptr<hosting::SiteDispatcher> handler;
    std::unique_ptr<http::HttpServer> server;

    ~Serving() {
        liveReload.releaseAll(); // browsers waiting for a change would hold up the stop
        if (server)
            server->stop();
    }
};

PreviewController::PreviewController(QObject *parent)
    : QObject(parent) {
    m_loader.setMaxThreadCount(1);
    m_debounce.setSingleShot(true);
    m_debounce.setInterval(kQuietMs);
    connect(&m_watcher, &QFileSystemWatcher::directoryChanged, &m_debounce,
            qOverload<>(&QTimer::start));
    connect(&m_watcher, &QFileSystemWatcher::fileChanged, &m_debounce, qOverload<>(&QTimer::start));
    connect(&m_debounce, &QTimer::timeout, this, [this] { deployFolder(true); });
}

PreviewController::~PreviewController() {
    m_loader.waitForDone(); // a deploy in progress uses m_serving
}

bool PreviewController::isRunning() const {
    return m_serving && m_url.isValid();
}

void PreviewController::fail(const QString &message) {
    m_loader.waitForDone();
    m_serving.reset();
    m_url.clear();
    m_isLoading = false;
    m_message = message;
    Q_EMIT stateChanged();
}

void PreviewController::start(const QUrl &folder) {
    stop();
    const QString path =
        folder.isLocalFile() ? folder.toLocalFile() : folder.toString(QUrl::PreferLocalFile);
    const QFileInfo info(path);
    if (!info.isDir()) {
        fail(tr("%1 is not a folder.").arg(path));
        return;
    }
    m_folder = info.absoluteFilePath();
    m_fileCount = 0;
    m_reloadCount = 0;
    auto serving = std::make_unique<Serving>();
    if (!serving->scratch.isValid()) {
        fail(tr("Cannot create a temporary folder: %1").arg(serving->scratch.errorString()));
        return;
    }
    auto database = db::Database::open(serving->scratch.filePath(QStringLiteral("preview.db")));
    if (!database) {
        fail(database.error().message);
        return;
    }
    serving->database = std::move(*database);
    serving->cache = std::make_unique<vfs::VfsCache>(kCacheBytes, kLargeFileBytes);
    serving->vfs = std::make_unique<vfs::Vfs>(*serving->database, serving->cache.get());
    if (auto created = serving->vfs->createSite(kSite); !created) {
        fail(created.error().message);
        return;
    }
    serving->router = std::make_unique<hosting::HostRouter>(QStringLiteral("localhost"));
    serving->router->setFixedSite(kSite);
    serving->files = std::make_unique<hosting::SiteHandler>(*serving->vfs, *serving->cache);
    serving->handler = std::make_unique<hosting::SiteDispatcher>(*serving->files,
                                                                 *serving->router, *serving->vfs);
    serving->handler->setLiveReload(&serving->liveReload);
    http::ServerOptions options;
    options.address = QHostAddress(QHostAddress::LocalHost);
    options.port = 0;
    options.workers = 2;
    options.maxConnections = 256;
    options.shutdownGraceMs = 500;
    serving->server = std::make_unique<http::HttpServer>(*serving->handler, options);
    if (Status listening = serving->server->listen(); !listening) {
        fail(listening.error().message);
        return;
    }
    m_serving = std::move(serving);
    m_message = tr("Loading %1…").arg(m_folder);
    Q_EMIT stateChanged();
    deployFolder(false);
}

void PreviewController::stop() {
    ++m_generation;
    m_debounce.stop();
    const QStringList watched = m_watcher.directories() + m_watcher.files();
    if (!watched.isEmpty())
        m_watcher.removePaths(watched);
    m_loader.waitForDone();
    const bool wasRunning = m_serving != nullptr;
    m_serving.reset();
    m_url.clear();
    m_isLoading = false;
    m_isReloadPending = false;
    if (wasRunning) {
        m_message = tr("Preview stopped.");
        Q_EMIT stateChanged();
    }
}

void PreviewController::deployFolder(bool isReload) {
    if (!m_serving)
        return;
    if (m_isLoading) { // changes during a deploy: once more when it is done
        m_isReloadPending = true;
        return;
    }
    m_isLoading = true;
    Q_EMIT stateChanged();
    vfs::Vfs *vfs = m_serving->vfs.get();
    const quint64 generation = m_generation;
    m_loader.start([this, vfs, generation, isReload, folder = m_folder] {
        // The serving Vfs: it drops the site from the cache when the new deploy activates.
        auto deployed = vfs->deployDirectory(kSite, folder);
        QMetaObject::invokeMethod(this, [this, generation, isReload,
                                         deployed = std::move(deployed)] {
            if (generation != m_generation)
                return;
            m_isLoading = false;
            if (!deployed) {
                m_message = tr("Could not load the folder: %1").arg(deployed.error().message);
                Q_EMIT stateChanged();
            } else {
                m_fileCount = int(deployed->fileCount);
                if (isReload) {
                    ++m_reloadCount;
                    m_serving->liveReload.notify(); // the open pages reload themselves
                }
                m_url = QUrl(QStringLiteral("http://localhost:%1/").arg(m_serving->server->port()));
                m_message = isReload
                                ? tr("Reloaded %1 files at %2.")
                                      .arg(m_fileCount)
                                      .arg(QTime::currentTime().toString(Qt::ISODate))
                                : tr("Serving %1 files from %2.").arg(m_fileCount).arg(m_folder);
                Q_EMIT stateChanged();
                Q_EMIT reloaded();
            }
            watchFolder();
            if (std::exchange(m_isReloadPending, false))
                deployFolder(true);
        });
    });
}

// Directories report files added and removed; files report being rewritten in place.
void PreviewController::watchFolder() {
    const QStringList watched = m_watcher.directories() + m_watcher.files();
    if (!watched.isEmpty())
        m_watcher.removePaths(watched);
    QStringList paths{m_folder};
    QDirIterator it(m_folder, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        paths.append(it.next());
    m_watcher.addPaths(paths);
}

} // namespace fazt::console
