#pragma once

#include "http/serveroptions.h"
#include "result.h"

#include <QObject>
#include <QString>
#include <QThreadPool>

#include <memory>

namespace fazt::app {

// A local preview of a folder, the one behind `fazt preview` and the console's preview: the
// folder is deployed into a scratch database and served by a Server in preview mode, so clean
// URLs, 404.html, the SPA fallback and functions (api/main.js) behave as they will once
// deployed. Every host serves it; there is no admin API and no analytics. Changes to the
// folder are deployed again after a short quiet time, off the caller's thread, and the pages
// open in a browser reload themselves (hosting::LiveReload), every file being sent with
// Cache-Control: no-cache meanwhile.
class Preview : public QObject {
    Q_OBJECT

public:
    struct Options {
        QString folder;
        http::ServerOptions http; // where it listens, its workers and timeouts
        bool isSpa = false;       // unknown paths serve index.html
        // false: the pages as a deploy serves them (no reload script, their usual caching)
        bool isLiveReloading = true;
    };

    explicit Preview(QObject *parent = nullptr);
    ~Preview() override;

    // Serves `options.folder`, replacing any preview running: listens at once and deploys the
    // folder (loaded() or loadFailed() follows). On an error (not a folder, the port taken)
    // nothing runs.
    Status start(const Options &options);
    // Lets browsers waiting for a change go, then stops serving. Nothing is signalled after.
    void stop();

    bool isRunning() const;
    bool isLoading() const { return m_isLoading; }
    quint16 port() const;
    // The folder served, absolute.
    const QString &folder() const { return m_folder; }

    // The quiet time after a change before the folder is deployed again (a save often touches
    // a file several times).
    static constexpr int QuietMs = 300;

Q_SIGNALS:
    void loadStarted();
    // The folder was deployed: the first time, or again after a change (`isReload`; the open
    // pages are told to reload).
    void loaded(qint64 fileCount, bool isReload);
    void loadFailed(const QString &message, bool isReload);

private:
    struct Serving;
    void deployFolder(bool isReload);
    void watchFolder();

    std::unique_ptr<Serving> m_serving;
    QThreadPool m_loader; // one deploy at a time, off the caller's thread
    QString m_folder;
    bool m_isLoading = false;
    bool m_isReloadPending = false;
    quint64 m_generation = 0; // a deploy of an earlier start reports to nobody
};

} // namespace fazt::app
