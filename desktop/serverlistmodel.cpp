#include "serverlistmodel.h"

#include "format.h"
#include "secretstore.h"

#include <QHostInfo>
#include <QJsonArray>
#include <QSettings>

namespace fazt::console {

using client::ApiClient;

namespace {

bool g_isCleartextAllowed = false; // set once by main(), before any model exists

} // namespace

void ServerListModel::setCleartextAllowed(bool isAllowed) {
    g_isCleartextAllowed = isAllowed;
}

namespace {

constexpr int kMaxBackoffMs = 60'000;
constexpr std::chrono::milliseconds kCheckConnectTimeout{5'000};
constexpr std::chrono::milliseconds kTransferTimeout{30'000};

const QString kSettingsArray = QStringLiteral("servers");

QVariantList breakersJson(const QList<client::Breaker> &breakers) {
    QVariantList list;
    for (const client::Breaker &b : breakers)
        list.append(QVariantMap{{QStringLiteral("kind"), b.kind},
                                {QStringLiteral("tripped"), b.isTripped},
                                {QStringLiteral("reason"), b.reason}});
    return list;
}

} // namespace

ServerListModel::ServerListModel(QObject *parent)
    : QAbstractListModel(parent) {
    m_ticker.setInterval(1000);
    connect(&m_ticker, &QTimer::timeout, this, &ServerListModel::tick);
    connect(this, &QAbstractItemModel::rowsInserted, this, &ServerListModel::countChanged);
    connect(this, &QAbstractItemModel::rowsRemoved, this, &ServerListModel::countChanged);
}

ServerListModel::~ServerListModel() = default;

int ServerListModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_entries.size());
}

QHash<int, QByteArray> ServerListModel::roleNames() const {
    return {{NameRole, "name"},
            {UrlRole, "url"},
            {StateRole, "serverState"},
            {StatusTextRole, "statusText"},
            {VersionRole, "version"},
            {IsReadyRole, "isReady"},
            {IsInMaintenanceRole, "isInMaintenance"},
            {UptimeSecondsRole, "uptimeSeconds"},
            {BreakersRole, "breakers"},
            {CheckedAtRole, "checkedAt"},
            {IsRememberedRole, "isRemembered"}};
}

QVariant ServerListModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Entry &e = *m_entries[size_t(index.row())];
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return e.name;
    case UrlRole:
        return e.url;
    case StateRole:
        return int(e.state);
    case StatusTextRole:
        return statusText(e);
    case VersionRole:
        return e.health.version;
    case IsReadyRole:
        return e.state == State::Ready;
    case IsInMaintenanceRole:
        return e.health.isInMaintenance;
    case UptimeSecondsRole:
        return e.health.uptimeSeconds;
    case BreakersRole:
        return breakersJson(e.health.breakers);
    case CheckedAtRole:
        return e.checkedAt;
    case IsRememberedRole:
        return e.isRemembered;
    default:
        return {};
    }
}

QString ServerListModel::statusText(const Entry &e) {
    const QString version =
        e.health.version.isEmpty() ? QString() : QStringLiteral(" · Fazt ") + e.health.version;
    switch (e.state) {
    case State::Checking:
        return tr("Checking…");
    case State::Ready:
        return tr("Ready") + version;
    case State::NotReady: {
        QStringList tripped;
        for (const client::Breaker &b : e.health.breakers)
            if (b.isTripped)
                tripped.append(b.reason.isEmpty() ? b.kind : b.reason);
        if (e.health.isInMaintenance)
            tripped.prepend(tr("maintenance mode"));
        return tr("Not ready: %1")
                   .arg(tripped.isEmpty() ? e.message : tripped.join(QStringLiteral("; "))) +
               version;
    }
    case State::Unreachable:
        return tr("Unreachable: %1").arg(e.message);
    case State::Unauthorized:
        return tr("Token refused: %1").arg(e.message);
    case State::NoToken:
        return tr("No token: %1").arg(e.message);
    }
    return {};
}

SecretStore *ServerListModel::store() {
    if (!m_store) {
        auto *keychain = new KeychainSecretStore(QStringLiteral("Fazt Console"),
                                                 FileSecretStore::defaultPath(), this);
        connect(keychain, &KeychainSecretStore::keychainUnavailable, this,
                [this, keychain](const QString &why) {
                    m_keychainMessage =
                        tr("The system keychain is unavailable (%1): tokens are kept in %2, "
                           "readable only by you.")
                            .arg(why, keychain->fallbackPath());
                    Q_EMIT keychainMessageChanged();
                });
        m_store = keychain;
        Q_EMIT secretStoreChanged();
    }
    return m_store;
}

void ServerListModel::setSecretStore(SecretStore *store) {
    if (m_store == store)
        return;
    m_store = store;
    Q_EMIT secretStoreChanged();
}

void ServerListModel::setPollInterval(int milliseconds) {
    milliseconds = std::max(500, milliseconds);
    if (m_pollInterval == milliseconds)
        return;
    m_pollInterval = milliseconds;
    Q_EMIT pollIntervalChanged();
}

QString ServerListModel::secretKeyFor(const QString &url) {
    return QStringLiteral("token:") + url;
}

Result<std::unique_ptr<ServerListModel::Entry>>
ServerListModel::makeEntry(const QString &name, const QString &url, const QByteArray &token,
                           bool isRemembered) const {
    auto endpoint = ApiClient::endpointFor(url);
    if (!endpoint)
        return endpoint.error();
    auto entry = std::make_unique<Entry>();
    entry->url = url.trimmed();
    entry->name = name.trimmed().isEmpty() ? entry->url : name.trimmed();
    entry->api = std::make_unique<ApiClient>();
    (void)entry->api->setServer(entry->url);
    entry->api->setToken(token);
    entry->api->setCleartextAllowed(g_isCleartextAllowed);
    entry->api->setTimeouts(kCheckConnectTimeout, kTransferTimeout);
    entry->isRemembered = isRemembered;
    if (token.isEmpty()) {
        entry->state = State::NoToken;
        entry->message = tr("add it again with a token or your password");
    }
    return entry;
}

void ServerListModel::append(std::unique_ptr<Entry> entry) {
    const int row = int(m_entries.size());
    beginInsertRows({}, row, row);
    m_entries.push_back(std::move(entry));
    endInsertRows();
    if (m_currentIndex < 0)
        setCurrentIndex(row);
    check(*m_entries.back());
    if (!m_ticker.isActive())
        m_ticker.start();
}

void ServerListModel::load() {
    if (m_isLoaded)
        return;
    m_isLoaded = true;
    QSettings settings;
    const int size = settings.beginReadArray(kSettingsArray);
    struct Saved {
        QString name, url;
    };
    auto saved = std::make_shared<QList<Saved>>();
    for (int i = 0; i < size; ++i) {
        settings.setArrayIndex(i);
        saved->append({settings.value(QStringLiteral("name")).toString(),
                       settings.value(QStringLiteral("url")).toString()});
    }
    settings.endArray();
    if (saved->isEmpty()) {
        Q_EMIT loaded();
        return;
    }
    // Tokens arrive one by one from the keychain; the rows appear in the saved order.
    auto pending = std::make_shared<int>(int(saved->size()));
    auto tokens = std::make_shared<QList<QByteArray>>(saved->size());
    for (qsizetype i = 0; i < saved->size(); ++i) {
        store()->read(secretKeyFor(saved->at(i).url), [this, i, saved, pending,
                                                       tokens](Result<QByteArray> token) {
            if (token)
                (*tokens)[i] = *token;
            if (--*pending > 0)
                return;
            for (qsizetype j = 0; j < saved->size(); ++j) {
                auto entry = makeEntry(saved->at(j).name, saved->at(j).url, tokens->at(j), true);
                if (entry)
                    append(std::move(*entry));
            }
            Q_EMIT loaded();
        });
    }
}

void ServerListModel::save() const {
    QSettings settings;
    settings.beginWriteArray(kSettingsArray);
    int i = 0;
    for (const auto &e : m_entries) {
        if (!e->isRemembered)
            continue;
        settings.setArrayIndex(i++);
        settings.setValue(QStringLiteral("name"), e->name);
        settings.setValue(QStringLiteral("url"), e->url);
    }
    settings.endArray();
}

void ServerListModel::setAdding(bool isAdding) {
    if (m_isAdding == isAdding)
        return;
    m_isAdding = isAdding;
    Q_EMIT isAddingChanged();
}

void ServerListModel::failAdding(const QString &message) {
    setAdding(false);
    Q_EMIT addFailed(message);
}

void ServerListModel::storeAndAppend(std::unique_ptr<Entry> entry, const QByteArray &token) {
    auto shared = std::make_shared<std::unique_ptr<Entry>>(std::move(entry));
    const QString key = secretKeyFor((*shared)->url);
    store()->write(key, token, [this, shared, token](Status stored) {
        if (!stored) {
            failAdding(stored.error().message);
            return;
        }
        Entry &added = **shared;
        const auto same = std::find_if(m_entries.begin(), m_entries.end(),
                                       [&](const auto &e) { return e->url == added.url; });
        int row = int(std::distance(m_entries.begin(), same));
        if (same == m_entries.end()) {
            append(std::move(*shared));
        } else {
            // Added again (a token lost, or replaced): the row and its client stay, so the
            // pages showing it keep going; only the token, and a new name if given, change.
            Entry &existing = **same;
            if (added.name != added.url) // a name was given
                existing.name = added.name;
            existing.api->setToken(token);
            existing.isRemembered = true;
            existing.state = State::Checking;
            existing.message.clear();
            existing.failures = 0;
            Q_EMIT dataChanged(index(row), index(row));
            if (row == m_currentIndex)
                Q_EMIT currentChanged();
            check(existing);
        }
        save();
        setAdding(false);
        Q_EMIT serverAdded(row);
    });
}

// The checks both ways of adding share; null (and addFailed() said why) when it cannot start.
// A server already in the list is not refused: adding it again replaces its token.
std::shared_ptr<std::unique_ptr<ServerListModel::Entry>>
ServerListModel::startAdding(const QString &name, const QString &url, const QByteArray &token) {
    if (m_isAdding)
        return nullptr;
    auto entry = makeEntry(name, url.trimmed(), token, true);
    if (!entry) {
        Q_EMIT addFailed(entry.error().message);
        return nullptr;
    }
    setAdding(true);
    return std::make_shared<std::unique_ptr<Entry>>(std::move(*entry));
}

void ServerListModel::addServer(const QString &name, const QString &url, const QString &token) {
    const QByteArray secret = token.trimmed().toLatin1();
    if (secret.isEmpty()) {
        Q_EMIT addFailed(tr("Paste an API token (fazt server create-token) or log in with your "
                            "password."));
        return;
    }
    auto shared = startAdding(name, url, secret);
    if (!shared)
        return;
    // The token is checked before it is kept: a typo shows now, not as a red row later.
    (*shared)->api->sites([this, shared, secret](Result<QList<client::Site>> sites) {
        if (!sites) {
            failAdding(sites.error().message);
            return;
        }
        storeAndAppend(std::move(*shared), secret);
    })->boundTo(this);
}

QString ServerListModel::consoleTokenName() {
    return tr("Fazt Console on %1").arg(QHostInfo::localHostName());
}

void ServerListModel::addServerWithLogin(const QString &name, const QString &url,
                                         const QString &username, const QString &password) {
    auto shared = startAdding(name, url, {});
    if (!shared)
        return;
    ApiClient *api = (*shared)->api.get();
    api->login(username, password, [this, api, shared](Result<client::Session> session) {
        if (!session) {
            failAdding(session.error().message);
            return;
        }
        api->createToken(consoleTokenName(), {QStringLiteral("admin")},
                         [this, api, shared](Result<client::CreatedToken> token) {
                             if (!token) {
                                 failAdding(token.error().message);
                                 return;
                             }
                             const QByteArray secret = token->secret;
                             // One token per console and server: the ones this console made
                             // before (its name says so) are revoked, then the session ends.
                             revokeOlderTokens(*api, token->id, [this, api, shared, secret] {
                                 api->logout([](Status) {});
                                 api->setToken(secret);
                                 (*shared)->state = State::Checking;
                                 (*shared)->message.clear();
                                 storeAndAppend(std::move(*shared), secret);
                             });
                         })->boundTo(this);
    })->boundTo(this);
}

// Best effort: a token that cannot be revoked now is listed in the Tokens panel, where the
// user can revoke it by hand; the new token is kept either way.
void ServerListModel::revokeOlderTokens(ApiClient &api, qint64 keptId, std::function<void()> then) {
    api.call("GET", QStringLiteral("/api/tokens"), QString(), {},
             [this, &api, keptId, then = std::move(then)](Result<QJsonObject> listed) {
                 QList<qint64> older;
                 for (const QJsonValue &v :
                      listed ? listed->value(QStringLiteral("tokens")).toArray() : QJsonArray()) {
                     const QJsonObject token = v.toObject();
                     const qint64 id = token.value(QStringLiteral("id")).toInteger();
                     if (id != keptId &&
                         token.value(QStringLiteral("name")).toString() == consoleTokenName())
                         older.append(id);
                 }
                 if (older.isEmpty()) {
                     then();
                     return;
                 }
                 auto pending = std::make_shared<qsizetype>(older.size());
                 for (const qint64 id : older)
                     api.call("DELETE", QStringLiteral("/api/tokens/%1").arg(id), QString(), {},
                              [pending, then](Result<QJsonObject>) {
                                  if (--*pending == 0)
                                      then();
                              })
                         ->boundTo(this);
             })
        ->boundTo(this);
}

void ServerListModel::addSessionServer(const QString &url, const QString &token) {
    for (const auto &e : m_entries) {
        if (e->url == url.trimmed()) {
            e->api->setToken(token.toLatin1());
            setCurrentIndex(rowOf(e.get()));
            check(*e);
            return;
        }
    }
    auto entry = makeEntry(QString(), url, token.trimmed().toLatin1(), false);
    if (!entry) {
        Q_EMIT addFailed(entry.error().message);
        return;
    }
    append(std::move(*entry));
    setCurrentIndex(int(m_entries.size()) - 1);
}

void ServerListModel::removeServer(int row) {
    if (row < 0 || row >= int(m_entries.size()))
        return;
    const QString key = secretKeyFor(m_entries[size_t(row)]->url);
    const bool wasRemembered = m_entries[size_t(row)]->isRemembered;
    beginRemoveRows({}, row, row);
    m_entries.erase(m_entries.begin() + row);
    endRemoveRows();
    if (wasRemembered) {
        save();
        store()->remove(key, [](Status) {});
    }
    if (m_currentIndex >= int(m_entries.size()) || m_currentIndex == row) {
        m_currentIndex = m_entries.empty() ? -1 : std::min(row, int(m_entries.size()) - 1);
        Q_EMIT currentChanged();
    } else if (m_currentIndex > row) {
        --m_currentIndex;
        Q_EMIT currentChanged();
    }
}

void ServerListModel::refresh() {
    for (const auto &e : m_entries)
        check(*e);
}

void ServerListModel::setCurrentIndex(int index) {
    if (index < -1 || index >= int(m_entries.size()) || index == m_currentIndex)
        return;
    m_currentIndex = index;
    Q_EMIT currentChanged();
}

QObject *ServerListModel::currentClient() const {
    return clientAt(m_currentIndex);
}

client::ApiClient *ServerListModel::clientAt(int row) const {
    if (row < 0 || row >= int(m_entries.size()))
        return nullptr;
    return m_entries[size_t(row)]->api.get();
}

QString ServerListModel::currentName() const {
    if (m_currentIndex < 0 || m_currentIndex >= int(m_entries.size()))
        return {};
    return m_entries[size_t(m_currentIndex)]->name;
}

int ServerListModel::rowOf(const Entry *entry) const {
    for (size_t i = 0; i < m_entries.size(); ++i)
        if (m_entries[i].get() == entry)
            return int(i);
    return -1;
}

void ServerListModel::tick() {
    for (const auto &e : m_entries)
        if (!e->inFlight && e->nextCheck.hasExpired())
            check(*e);
}

void ServerListModel::check(Entry &entry) {
    if (entry.inFlight || entry.state == State::NoToken)
        return;
    Entry *e = &entry;
    // The ApiClient, and so this callback, goes with the entry: `e` is valid when it runs.
    e->inFlight = e->api->health([this, e](Result<client::Health> health) {
        if (health) {
            e->health = *health;
            finishCheck(e, health->isReady ? State::Ready : State::NotReady, QString());
            return;
        }
        const Error &error = health.error();
        if (error.code == Error::Code::NotFound) {
            // A server from before readiness checks: reachable and authorized is ready.
            e->inFlight = e->api->sites([this, e](Result<QList<client::Site>> sites) {
                e->health = {};
                if (sites)
                    finishCheck(e, State::Ready, QString());
                else
                    finishCheck(e, State::Unreachable, sites.error().message);
            });
            return;
        }
        // The call is still alive while its callback runs.
        const int status = e->inFlight ? e->inFlight->httpStatus() : 0;
        const bool isRefused = status == 401 || status == 403;
        finishCheck(e, isRefused ? State::Unauthorized : State::Unreachable, error.message);
    });
}

void ServerListModel::finishCheck(Entry *e, State state, const QString &message) {
    e->state = state;
    e->message = Format::problem(message);
    e->checkedAt = QDateTime::currentDateTime();
    e->failures = state == State::Unreachable ? e->failures + 1 : 0;
    // Politeness: every pollInterval while it answers; doubling up to a minute while not.
    const int wait = state == State::Unreachable
                         ? std::min(kMaxBackoffMs, m_pollInterval << std::min(e->failures - 1, 6))
                         : m_pollInterval;
    e->nextCheck = QDeadlineTimer(wait);
    const int row = rowOf(e);
    if (row >= 0)
        Q_EMIT dataChanged(index(row), index(row));
}

} // namespace fazt::console
