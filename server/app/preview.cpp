#include "app/preview.h"

#include "app/server.h"
#include "db/database.h"
#include "hosting/livereload.h"
#include "vfs/vfs.h"

#include <QDirIterator>
#include <QFileInfo>
#include <QFileSystemWatcher>
#include <QTemporaryDir>
#include <QTimer>

namespace fazt::app {

namespace {

const QString SiteName = QStringLiteral("preview");

} // namespace

// Everything a running preview owns, destroyed in reverse order: the server first.
struct Preview::Serving {
    QTemporaryDir scratch;
    std::unique_ptr<db::Database> database;
    hosting::LiveReload liveReload;
    std::unique_ptr<Server> server;
    QFileSystemWatcher watcher;
    QTimer debounce;

    ~Serving() {
        liveReload.releaseAll(); // browsers waiting for a change would hold up the stop
        if (server)
            server->stop();
    }
};

Preview::Preview(QObject *parent)
    : QObject(parent) {
    m_loader.setMaxThreadCount(1);
}

Preview::~Preview() {
    stop();
}

bool Preview::isRunning() const {
    return m_serving != nullptr;
}

quint16 Preview::port() const {
    return m_serving ? m_serving->server->port() : 0;
}

Status Preview::start(const Options &options) {
    stop();
    const QFileInfo info(options.folder);
    if (!info.isDir())
        return Error::invalid(QStringLiteral("%1 is not a folder.").arg(options.folder));
    auto serving = std::make_unique<Serving>();
    if (!serving->scratch.isValid())
        return Error::io(QStringLiteral("Cannot create a temporary folder: %1")
                             .arg(serving->scratch.errorString()));
    auto database = db::Database::open(serving->scratch.filePath(QStringLiteral("preview.db")));
    if (!database)
        return database.error();
    serving->database = std::move(*database);
    {
        vfs::Vfs site(*serving->database);
        if (auto created = site.createSite(SiteName); !created)
            return created.error();
        if (options.isSpa) {
            if (Status s = site.setSiteSettings(SiteName, QStringLiteral("{\"spa\": true}")); !s)
                return s;
        }
    }
    Server::Options serverOptions;
    serverOptions.http = options.http;
    serverOptions.domain = QStringLiteral("localhost");
    serverOptions.fixedSite = SiteName;
    if (options.isLiveReloading)
        serverOptions.liveReload = &serving->liveReload;
    serving->server = std::make_unique<Server>(*serving->database, std::move(serverOptions));
    if (Status s = serving->server->start(); !s)
        return s;
    serving->debounce.setSingleShot(true);
    serving->debounce.setInterval(QuietMs);
    connect(&serving->watcher, &QFileSystemWatcher::directoryChanged, &serving->debounce,
            qOverload<>(&QTimer::start));
    connect(&serving->watcher, &QFileSystemWatcher::fileChanged, &serving->debounce,
            qOverload<>(&QTimer::start));
    connect(&serving->debounce, &QTimer::timeout, this, [this] { deployFolder(true); });
    m_folder = info.absoluteFilePath();
    m_serving = std::move(serving);
    deployFolder(false);
    return {};
}

void Preview::stop() {
    ++m_generation;
    m_loader.waitForDone(); // a deploy in progress uses the server's VFS
    m_serving.reset();
    m_isLoading = false;
    m_isReloadPending = false;
}

void Preview::deployFolder(bool isReload) {
    if (!m_serving)
        return;
    if (m_isLoading) { // changes during a deploy: once more when it is done
        m_isReloadPending = true;
        return;
    }
    m_isLoading = true;
    Q_EMIT loadStarted();
    vfs::Vfs *vfs = &m_serving->server->servingVfs();
    const quint64 generation = m_generation;
    m_loader.start([this, vfs, generation, isReload, folder = m_folder] {
        // The serving VFS: it drops the site from the cache when the new deploy activates.
        auto deployed = vfs->deployDirectory(SiteName, folder);
        QMetaObject::invokeMethod(
            this, [this, generation, isReload, deployed = std::move(deployed)] {
                if (generation != m_generation)
                    return;
                m_isLoading = false;
                if (deployed) {
                    if (isReload)
                        m_serving->liveReload.notify(); // the open pages reload themselves
                    Q_EMIT loaded(deployed->fileCount, isReload);
                } else {
                    Q_EMIT loadFailed(deployed.error().message, isReload);
                }
                if (generation != m_generation) // stopped by a slot
                    return;
                watchFolder();
                if (std::exchange(m_isReloadPending, false))
                    deployFolder(true);
            });
    });
}

// Directories report files added and removed; files report being rewritten in place.
void Preview::watchFolder() {
    QFileSystemWatcher &watcher = m_serving->watcher;
    const QStringList watched = watcher.directories() + watcher.files();
    if (!watched.isEmpty())
        watcher.removePaths(watched);
    QStringList paths{m_folder};
    QDirIterator it(m_folder, QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        paths.append(it.next());
    watcher.addPaths(paths);
}

} // namespace fazt::app
