#pragma once

#include <QObject>
#include <QPointer>
#include <QTemporaryDir>
#include <QThreadPool>
#include <QUrl>
#include <QtQml/qqmlregistration.h>

#include <atomic>
#include <memory>

namespace fazt::client {
class ApiCall;
class ApiClient;
} // namespace fazt::client

namespace fazt::console {

// One deploy from the desktop: a folder is packed into a tar.gz off the UI thread (libarchive),
// an archive is taken as it is; either is uploaded with progress, and the deploy ends with the
// live URL, or with the server's own words for what it refused. One deploy at a time.
class DeployController : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QObject *client READ client WRITE setClient NOTIFY clientChanged)
    Q_PROPERTY(State state READ state NOTIFY stateChanged)
    Q_PROPERTY(bool isBusy READ isBusy NOTIFY stateChanged)
    Q_PROPERTY(QString site READ site NOTIFY stateChanged)
    Q_PROPERTY(double progress READ progress NOTIFY progressChanged)
    Q_PROPERTY(qint64 bytesDone READ bytesDone NOTIFY progressChanged)
    Q_PROPERTY(qint64 bytesTotal READ bytesTotal NOTIFY progressChanged)
    Q_PROPERTY(QString message READ message NOTIFY stateChanged)
    Q_PROPERTY(QUrl liveUrl READ liveUrl NOTIFY stateChanged)

public:
    enum class State { Idle, Packing, Uploading, Publishing, Done, Failed, Cancelled };
    Q_ENUM(State)

    explicit DeployController(QObject *parent = nullptr);
    ~DeployController() override;

    QObject *client() const;
    void setClient(QObject *client);
    State state() const { return m_state; }
    bool isBusy() const;
    QString site() const { return m_site; }
    // Of the current phase (packing, then uploading), from 0 to 1.
    double progress() const;
    qint64 bytesDone() const { return m_bytesDone; }
    qint64 bytesTotal() const { return m_bytesTotal; }
    QString message() const { return m_message; }
    QUrl liveUrl() const { return m_liveUrl; }

    // Deploys a folder or an archive (a local file URL or a path) to `site`, which the server
    // creates if it does not exist yet.
    Q_INVOKABLE void deploy(const QString &site, const QUrl &source);
    Q_INVOKABLE void cancel();
    // Back to Idle once a deploy has ended (the panel closes).
    Q_INVOKABLE void dismiss();
    // A site name suggested by a dropped folder or archive: "My Blog_v2.zip" -> "my-blog-v2".
    Q_INVOKABLE static QString suggestedSiteName(const QUrl &source);
    Q_INVOKABLE static bool isArchiveFile(const QUrl &source);

Q_SIGNALS:
    void clientChanged();
    void stateChanged();
    void progressChanged();
    // The deploy is live at `url`.
    void deployed(const QString &site, const QUrl &url);

private:
    void setState(State state, const QString &message = QString());
    void setProgress(qint64 done, qint64 total);
    void upload(const QString &archivePath);

    QPointer<client::ApiClient> m_client;
    QPointer<client::ApiCall> m_call;
    QThreadPool m_packer;
    std::shared_ptr<std::atomic<bool>> m_cancelPacking;
    std::shared_ptr<QTemporaryDir> m_scratch; // shared with the packing thread
    State m_state = State::Idle;
    QString m_site;
    QString m_message;
    QUrl m_liveUrl;
    qint64 m_bytesDone = 0;
    qint64 m_bytesTotal = 0;
    quint64 m_generation = 0; // a result of an earlier deploy (cancelled) is ignored
};

} // namespace fazt::console
