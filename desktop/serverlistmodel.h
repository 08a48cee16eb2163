#pragma once

#include "client/apiclient.h"

#include <QAbstractListModel>
#include <QDeadlineTimer>
#include <QPointer>
#include <QTimer>
#include <QtQml/qqmlregistration.h>

#include <functional>
#include <memory>
#include <vector>

namespace fazt::console {

class SecretStore;

// The Fazt servers the console manages, each with its live status. The list (name and URL) is
// kept in QSettings, the API tokens in a SecretStore (the system keychain). Status comes from
// GET /api/system/health, polled politely: one request per server at a time, every
// pollInterval while the server answers, backing off to a minute while it does not. A server
// that never answers costs a pending request, never a frozen window.
class ServerListModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
    Q_PROPERTY(int currentIndex READ currentIndex WRITE setCurrentIndex NOTIFY currentChanged)
    Q_PROPERTY(QObject *currentClient READ currentClient NOTIFY currentChanged)
    Q_PROPERTY(QString currentName READ currentName NOTIFY currentChanged)
    Q_PROPERTY(
        SecretStore *secretStore READ secretStore WRITE setSecretStore NOTIFY secretStoreChanged)
    Q_PROPERTY(QString keychainMessage READ keychainMessage NOTIFY keychainMessageChanged)
    Q_PROPERTY(bool isAdding READ isAdding NOTIFY isAddingChanged)
    Q_PROPERTY(int pollInterval READ pollInterval WRITE setPollInterval NOTIFY pollIntervalChanged)

public:
    enum class State { Checking, Ready, NotReady, Unreachable, Unauthorized, NoToken };
    Q_ENUM(State)
    enum Role {
        NameRole = Qt::UserRole + 1,
        UrlRole,
        StateRole,
        StatusTextRole, // one line for people: "Ready · 0.2.0", "Unreachable: connection refused"
        VersionRole,
        IsReadyRole,
        IsInMaintenanceRole,
        UptimeSecondsRole,
        BreakersRole, // [{kind, tripped, reason}]
        CheckedAtRole,
        IsRememberedRole, // false for a server given on the command line
    };

    explicit ServerListModel(QObject *parent = nullptr);
    ~ServerListModel() override;

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    // Reads the saved servers and their tokens, then starts polling. Without a secret store
    // set by then, the system keychain is used.
    Q_INVOKABLE void load();
    // Adds a server with an API token; checks the token first. Ends with serverAdded() or
    // addFailed() with the reason.
    Q_INVOKABLE void addServer(const QString &name, const QString &url, const QString &token);
    // Logs in with the owner's password, creates an API token named for this console
    // (consoleTokenName()), revokes the ones this console made before on that server, keeps
    // the token (never the password) and logs out. Adding a server that is in the list
    // already replaces its token (one lost with a keychain, say) instead of refusing.
    Q_INVOKABLE void addServerWithLogin(const QString &name, const QString &url,
                                        const QString &username, const QString &password);
    // A server for this session only (from --server/FAZT_SERVER): not saved.
    Q_INVOKABLE void addSessionServer(const QString &url, const QString &token);
    Q_INVOKABLE void removeServer(int row);
    // Checks every server now.
    Q_INVOKABLE void refresh();

    int currentIndex() const { return m_currentIndex; }
    void setCurrentIndex(int index);
    QObject *currentClient() const;
    QString currentName() const;
    client::ApiClient *clientAt(int row) const;

    SecretStore *secretStore() const { return m_store; }
    void setSecretStore(SecretStore *store);
    QString keychainMessage() const { return m_keychainMessage; }
    bool isAdding() const { return m_isAdding; }
    int pollInterval() const { return m_pollInterval; }
    void setPollInterval(int milliseconds);

    // The name of the tokens this console creates: "Fazt Console on HOSTNAME".
    Q_INVOKABLE static QString consoleTokenName();
    // The key a server's token is stored under.
    static QString secretKeyFor(const QString &url);
    // `fazt-console --insecure`: tokens and passwords may go over plain http:// to other
    // machines (refused otherwise, see ApiClient::setCleartextAllowed()). Set before use.
    static void setCleartextAllowed(bool isAllowed);

Q_SIGNALS:
    void countChanged();
    void currentChanged();
    void secretStoreChanged();
    void keychainMessageChanged();
    void isAddingChanged();
    void pollIntervalChanged();
    void serverAdded(int row);
    void addFailed(const QString &message);
    void loaded();

private:
    struct Entry {
        QString name;
        QString url; // as the user wrote it, normalized by ApiClient::endpointFor
        std::unique_ptr<client::ApiClient> api;
        State state = State::Checking;
        QString message;
        client::Health health;
        QDateTime checkedAt;
        QPointer<client::ApiCall> inFlight;
        QDeadlineTimer nextCheck;
        int failures = 0;
        bool isRemembered = true;
    };

    SecretStore *store();
    Result<std::unique_ptr<Entry>> makeEntry(const QString &name, const QString &url,
                                             const QByteArray &token, bool isRemembered) const;
    void append(std::unique_ptr<Entry> entry);
    void save() const;
    void tick();
    void check(Entry &entry);
    void finishCheck(Entry *entry, State state, const QString &message);
    int rowOf(const Entry *entry) const;
    std::shared_ptr<std::unique_ptr<Entry>> startAdding(const QString &name, const QString &url,
                                                        const QByteArray &token);
    void setAdding(bool isAdding);
    void revokeOlderTokens(client::ApiClient &api, qint64 keptId, std::function<void()> then);
    void failAdding(const QString &message);
    void storeAndAppend(std::unique_ptr<Entry> entry, const QByteArray &token);
    static QString statusText(const Entry &entry);

    std::vector<std::unique_ptr<Entry>> m_entries;
    QPointer<SecretStore> m_store;
    QString m_keychainMessage;
    QTimer m_ticker;
    int m_currentIndex = -1;
    int m_pollInterval = 10'000;
    bool m_isAdding = false;
    bool m_isLoaded = false;
};

} // namespace fazt::console
