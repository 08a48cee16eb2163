#include "sitesmodel.h"

namespace fazt::console {

using client::ApiClient;

SitesModel::SitesModel(QObject *parent)
    : QAbstractListModel(parent) {
    connect(this, &QAbstractItemModel::modelReset, this, &SitesModel::countChanged);
    // A reload moves rows (and a view resets its own current row): the row is said again.
    connect(this, &QAbstractItemModel::modelReset, this, &SitesModel::currentIndexChanged);
    connect(this, &SitesModel::currentSiteChanged, this, &SitesModel::currentIndexChanged);
}

int SitesModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_sites.size());
}

QHash<int, QByteArray> SitesModel::roleNames() const {
    return {{NameRole, "name"},
            {UrlRole, "url"},
            {ActiveDeployIdRole, "activeDeployId"},
            {CreatedAtRole, "createdAt"}};
}

QVariant SitesModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const client::Site &site = m_sites[index.row()];
    switch (role) {
    case Qt::DisplayRole:
    case NameRole:
        return site.name;
    case UrlRole:
        return site.url;
    case ActiveDeployIdRole:
        return site.activeDeployId;
    case CreatedAtRole:
        return site.createdAt;
    default:
        return {};
    }
}

int SitesModel::indexOf(const QString &name) const {
    for (qsizetype i = 0; i < m_sites.size(); ++i)
        if (m_sites[i].name == name)
            return int(i);
    return -1;
}

void SitesModel::selectRow(int row) {
    if (row >= 0 && row < m_sites.size())
        setCurrentSite(m_sites[row].name);
}

QObject *SitesModel::client() const {
    return m_client;
}

void SitesModel::setClient(QObject *client) {
    auto *api = qobject_cast<ApiClient *>(client);
    if (m_client == api)
        return;
    m_client = api;
    ++m_generation;
    m_pending = 0;
    Q_EMIT isLoadingChanged();
    beginResetModel();
    m_sites.clear();
    endResetModel();
    m_currentSite.clear();
    m_deploys.clear();
    m_domains.clear();
    setError({});
    Q_EMIT currentSiteChanged();
    Q_EMIT detailsChanged();
    Q_EMIT clientChanged();
    refresh();
}

void SitesModel::setError(const QString &error) {
    if (m_error == error)
        return;
    m_error = error;
    Q_EMIT errorChanged();
}

void SitesModel::begin() {
    if (m_pending++ == 0)
        Q_EMIT isLoadingChanged();
}

void SitesModel::end() {
    if (m_pending > 0 && --m_pending == 0)
        Q_EMIT isLoadingChanged();
}

// Wraps a callback: drops answers for an earlier server, shows errors, counts the request.
template <typename T, typename F> auto SitesModel::finishing(F onSuccess) {
    begin();
    return [this, generation = m_generation, onSuccess = std::move(onSuccess)](Result<T> result) {
        if (generation != m_generation)
            return;
        end();
        if (!result) {
            setError(result.error().message);
            return;
        }
        setError({});
        if constexpr (std::is_void_v<T>)
            onSuccess();
        else
            onSuccess(*result);
    };
}

void SitesModel::refresh() {
    if (!m_client)
        return;
    m_client->sites(finishing<QList<client::Site>>([this](const QList<client::Site> &sites) {
        beginResetModel();
        m_sites = sites;
        endResetModel();
        // The first site is selected until the user picks one, so the details are never
        // blank while there is something to show.
        if (indexOf(m_currentSite) < 0)
            setCurrentSite(m_sites.isEmpty() ? QString() : m_sites.first().name);
        else
            loadDetails();
    }))->boundTo(this);
}

void SitesModel::setCurrentSite(const QString &name) {
    if (m_currentSite == name)
        return;
    m_currentSite = name;
    m_deploys.clear();
    m_domains.clear();
    Q_EMIT currentSiteChanged();
    Q_EMIT detailsChanged();
    loadDetails();
}

void SitesModel::loadDetails() {
    if (!m_client || m_currentSite.isEmpty())
        return;
    const QString site = m_currentSite;
    m_client->deploys(
        site, finishing<QList<client::Deploy>>([this, site](const QList<client::Deploy> &deploys) {
            if (site != m_currentSite)
                return;
            m_deploys.clear();
            for (const client::Deploy &d : deploys)
                m_deploys.append(QVariantMap{{QStringLiteral("id"), d.id},
                                             {QStringLiteral("createdAt"), d.createdAt},
                                             {QStringLiteral("fileCount"), d.fileCount},
                                             {QStringLiteral("bytes"), d.bytes},
                                             {QStringLiteral("isActive"), d.isActive},
                                             {QStringLiteral("url"), d.url}});
            Q_EMIT detailsChanged();
        }))->boundTo(this);
    m_client->domains(
        site, finishing<QList<client::Domain>>([this, site](const QList<client::Domain> &domains) {
            if (site != m_currentSite)
                return;
            m_domains.clear();
            for (const client::Domain &d : domains)
                m_domains.append(QVariantMap{{QStringLiteral("hostname"), d.hostname},
                                             {QStringLiteral("createdAt"), d.createdAt}});
            Q_EMIT detailsChanged();
        }))->boundTo(this);
}

void SitesModel::createSite(const QString &name) {
    if (!m_client)
        return;
    m_client->createSite(name.trimmed(), finishing<client::Site>([this](const client::Site &site) {
                             Q_EMIT siteCreated(site.name);
                             setCurrentSite(site.name);
                             refresh();
                         }))->boundTo(this);
}

void SitesModel::deleteSite(const QString &name) {
    if (!m_client)
        return;
    m_client->deleteSite(name, finishing<void>([this, name] {
                             Q_EMIT siteDeleted(name);
                             refresh();
                         }))->boundTo(this);
}

void SitesModel::addDomain(const QString &hostname) {
    if (!m_client || m_currentSite.isEmpty())
        return;
    m_client->addDomain(
        m_currentSite, hostname.trimmed(),
        finishing<client::Domain>([this](const client::Domain &) { loadDetails(); }))->boundTo(this);
}

void SitesModel::removeDomain(const QString &hostname) {
    if (!m_client || m_currentSite.isEmpty())
        return;
    m_client->removeDomain(m_currentSite, hostname, finishing<void>([this] { loadDetails(); }))->boundTo(this);
}

void SitesModel::rollback() {
    if (!m_client || m_currentSite.isEmpty())
        return;
    m_client->rollback(m_currentSite, finishing<client::Deploy>([this](const client::Deploy &d) {
                           Q_EMIT activated(d.id);
                           refresh();
                       }))->boundTo(this);
}

void SitesModel::activate(qint64 deployId) {
    if (!m_client || m_currentSite.isEmpty())
        return;
    m_client->activate(m_currentSite, deployId,
                       finishing<client::Deploy>([this](const client::Deploy &d) {
                           Q_EMIT activated(d.id);
                           refresh();
                       }))->boundTo(this);
}

} // namespace fazt::console
