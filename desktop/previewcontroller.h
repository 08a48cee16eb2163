#pragma once

#include "app/preview.h"

#include <QObject>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

namespace fazt::console {

// The console's local preview of a folder: app::Preview (the one behind `fazt preview`) on
// loopback, with its state and messages for QML. The folder is served as it will be once
// deployed (clean URLs, 404.html, the SPA fallback, functions), picked up again as it changes
// (redeployed off the UI thread), and the pages open in a browser reload themselves.
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
    // Single-page app: unknown paths serve index.html. Applies from the next start().
    Q_PROPERTY(bool isSpa READ isSpa WRITE setSpa NOTIFY spaChanged)

public:
    explicit PreviewController(QObject *parent = nullptr);
    ~PreviewController() override;

    bool isRunning() const;
    bool isLoading() const { return m_preview.isLoading(); }
    QUrl url() const { return m_url; }
    QString folder() const { return m_folder; }
    int fileCount() const { return m_fileCount; }
    // How many times the folder was deployed again after a change.
    int reloadCount() const { return m_reloadCount; }
    QString message() const { return m_message; }
    bool isSpa() const { return m_isSpa; }
    void setSpa(bool isSpa);

    // Serves `folder` (a local URL or path), replacing any preview running.
    Q_INVOKABLE void start(const QUrl &folder);
    Q_INVOKABLE void stop();

Q_SIGNALS:
    void stateChanged();
    void reloaded();
    void spaChanged();

private:
    void onLoaded(qint64 fileCount, bool isReload);
    void fail(const QString &message);

    app::Preview m_preview;
    QString m_folder;
    QUrl m_url;
    QString m_message;
    int m_fileCount = 0;
    int m_reloadCount = 0;
    bool m_isSpa = false;
};

} // namespace fazt::console
