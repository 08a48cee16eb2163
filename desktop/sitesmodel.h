#pragma once

#include "client/apiclient.h"

#include <QAbstractListModel>
#include <QPointer>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

namespace fazt::console {

// The sites of one server, and for the selected site its deploy history and custom domains.
// Every change (create, delete, domains, rollback, activate) is sent to the server, and the
// list is reloaded from the server's answer: what is shown is what the server has.
//
// The selection lives here and only here: `currentSite` is the site the details, Delete and
// the deploy buttons act on, and `currentIndex` is its row, which the list view highlights
// (it never keeps a selection of its own, so the two cannot disagree after a reload).
class SitesModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QObject *client READ client WRITE setClient NOTIFY clientChanged)
    Q_PROPERTY(int count READ rowCount NOTIFY countChanged)
    Q_PROPERTY(bool isLoading READ isLoading NOTIFY isLoadingChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)
    Q_PROPERTY(QString currentSite READ currentSite WRITE setCurrentSite NOTIFY currentSiteChanged)
    Q_PROPERTY(int currentIndex READ currentIndex NOTIFY currentIndexChanged)
    Q_PROPERTY(QVariantList deploys READ deploys NOTIFY detailsChanged)
    Q_PROPERTY(QVariantList domains READ domains NOTIFY detailsChanged)

public:
    enum Role { NameRole = Qt::UserRole + 1, UrlRole, ActiveDeployIdRole, CreatedAtRole };

    explicit SitesModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QObject *client() const;
    void setClient(QObject *client);
    bool isLoading() const { return m_pending > 0; }
    QString error() const { return m_error; }
    QString currentSite() const { return m_currentSite; }
    void setCurrentSite(const QString &name);
    // The row of currentSite, -1 while it is not (or not yet) in the list.
    int currentIndex() const { return indexOf(m_currentSite); }
    QVariantList deploys() const { return m_deploys; }
    QVariantList domains() const { return m_domains; }

    Q_INVOKABLE void refresh();
    Q_INVOKABLE void createSite(const QString &name);
    // The console asks for confirmation before calling this; the server deletes at once.
    Q_INVOKABLE void deleteSite(const QString &name);
    Q_INVOKABLE void addDomain(const QString &hostname);
    Q_INVOKABLE void removeDomain(const QString &hostname);
    // Back to the deploy before the active one of the current site.
    Q_INVOKABLE void rollback();
    Q_INVOKABLE void activate(qint64 deployId);
    Q_INVOKABLE int indexOf(const QString &name) const;
    // Selects the site at `row` (keyboard and clicks); a row outside the list is ignored.
    Q_INVOKABLE void selectRow(int row);

Q_SIGNALS:
    void clientChanged();
    void countChanged();
    void isLoadingChanged();
    void errorChanged();
    void currentSiteChanged();
    void currentIndexChanged();
    void detailsChanged();
    void siteCreated(const QString &name);
    void siteDeleted(const QString &name);
    // The current site now serves deploy `deployId`.
    void activated(qint64 deployId);

private:
    void setError(const QString &error);
    void begin();
    void end();
    void loadDetails();
    // Runs `onSuccess` if `status` is ok, else shows its error; then ends the request.
    template <typename T, typename F> auto finishing(F onSuccess);

    QPointer<client::ApiClient> m_client;
    QList<client::Site> m_sites;
    QString m_currentSite;
    QVariantList m_deploys;
    QVariantList m_domains;
    QString m_error;
    int m_pending = 0;
    quint64 m_generation = 0; // answers for an earlier server are dropped
};

} // namespace fazt::console
