#pragma once

#include <QFileSystemWatcher>
#include <QObject>
#include <QThreadPool>
#include <QTimer>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

#include <memory>

namespace fazt::console {

// A local preview of a folder: the folder is deployed into a scratch database and served on
// loopback by the same code as a server (libfaztserver: HttpServer, HostRouter, SiteHandler),
// so clean URLs, 404.html and caching behave as they will once deployed. Edits to the folder
// are picked up (file watching, redeployed off the UI thread), and the pages open in a browser
// reload themselves (hosting::LiveReload, as `fazt preview`); every file is sent with
// Cache-Control: no-cache meanwhile.
class PreviewController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(bool isRunning READ isRunning NOTIFY stateChanged)
    Q_PROPERTY(bool isLoading READ isLoading NOTIFY stateChanged)
    Q_PROPERTY(QUrl url READ url NOTIFY stateChanged)
    Q_PROPERTY(QString folder READ folder NOTIFY stateChanged)
    Q_PROPERTY(int fileCount READ fileCount NOTIFY reloaded)
    Q_PROPERTY(int reloadCount READ reloadCount NOTIFY reloaded)
    Q_PROPERTY(QString message READ message NOTIFY stateChanged)

public:
    explicit PreviewController(QObject *parent = nullptr);
    ~PreviewController() override;

    bool isRunning() const;
    bool isLoading() const { return m_isLoading; }
    QUrl url() const { return m_url; }
    QString folder() const { return m_folder; }
    int fileCount() const { return m_fileCount; }
    // How many times the folder was deployed again after a change.
    int reloadCount() const { return m_reloadCount; }
    QString message() const { return m_message; }

    // Serves `folder` (a local URL or path), replacing any preview running.
    Q_INVOKABLE void start(const QUrl &folder);
    Q_INVOKABLE void stop();

Q_SIGNALS:
    void stateChanged();
    void reloaded();

private:
    struct Serving;
    void deployFolder(bool isReload);
    void watchFolder();
    void fail(const QString &message);

    std::unique_ptr<Serving> m_serving;
    QThreadPool m_loader; // one deploy at a time, off the UI thread
    QFileSystemWatcher m_watcher;
    QTimer m_debounce;
    QString m_folder;
    QUrl m_url;
    QString m_message;
    int m_fileCount = 0;
    int m_reloadCount = 0;
    bool m_isLoading = false;
    bool m_isReloadPending = false;
    quint64 m_generation = 0;
};

} // namespace fazt::console
