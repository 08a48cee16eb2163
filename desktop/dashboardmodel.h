#pragma once

#include "client/apiclient.h"

#include <QAbstractSeries>
#include <QDateTime>
#include <QJsonObject>
#include <QObject>
#include <QPointer>
#include <QTimer>
#include <QVariantList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

namespace fazt::console {

// What one server reports about itself, for the dashboard: traffic over time from
// GET /api/stats (visits, visitors, bytes, top sites and paths) and the live state from
// GET /api/system/metrics (cache against its budget, WriteQueue and stats-buffer depth,
// breaker trips, requests). Metrics refresh every few seconds while `isActive`; a server
// without one of the endpoints shows that part as "not available on this server".
class DashboardModel : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QObject *client READ client WRITE setClient NOTIFY clientChanged)
    Q_PROPERTY(bool isActive READ isActive WRITE setActive NOTIFY isActiveChanged)
    Q_PROPERTY(int days READ days WRITE setDays NOTIFY daysChanged)
    Q_PROPERTY(QString site READ site WRITE setSite NOTIFY siteChanged)
    Q_PROPERTY(bool hasStats READ hasStats NOTIFY statsChanged)
    Q_PROPERTY(QString statsMessage READ statsMessage NOTIFY statsChanged)
    Q_PROPERTY(QVariantMap totals READ totals NOTIFY statsChanged)
    Q_PROPERTY(QVariantList series READ series NOTIFY statsChanged)
    Q_PROPERTY(QVariantList topPaths READ topPaths NOTIFY statsChanged)
    Q_PROPERTY(QVariantList topSites READ topSites NOTIFY statsChanged)
    Q_PROPERTY(QVariantList topReferrers READ topReferrers NOTIFY statsChanged)
    Q_PROPERTY(QDateTime from READ from NOTIFY statsChanged)
    Q_PROPERTY(QDateTime to READ to NOTIFY statsChanged)
    Q_PROPERTY(bool hasMetrics READ hasMetrics NOTIFY metricsChanged)
    Q_PROPERTY(QString metricsMessage READ metricsMessage NOTIFY metricsChanged)
    Q_PROPERTY(QVariantMap metrics READ metrics NOTIFY metricsChanged)

public:
    explicit DashboardModel(QObject *parent = nullptr);

    QObject *client() const;
    void setClient(QObject *client);
    bool isActive() const { return m_isActive; }
    void setActive(bool isActive);
    // The range shown: the last `days` days, per hour for one day, per day beyond.
    int days() const { return m_days; }
    void setDays(int days);
    // One site, or every site when empty.
    QString site() const { return m_site; }
    void setSite(const QString &site);

    bool hasStats() const { return !m_stats.isEmpty(); }
    QString statsMessage() const { return m_statsMessage; }
    QVariantMap totals() const;
    QVariantList series() const;
    QVariantList topPaths() const;
    QVariantList topSites() const;
    QVariantList topReferrers() const;
    QDateTime from() const;
    QDateTime to() const;
    bool hasMetrics() const { return !m_metrics.isEmpty(); }
    QString metricsMessage() const { return m_metricsMessage; }
    QVariantMap metrics() const { return m_metrics.toVariantMap(); }

    Q_INVOKABLE void refresh();
    // Puts `field` ("visits", "visitors" or "bytes") of the series, divided by `unit`, into a
    // chart's XY series, x in milliseconds since the epoch; returns the largest value (for the
    // axis).
    Q_INVOKABLE double fillSeries(QAbstractSeries *series, const QString &field,
                                  double unit = 1) const;

Q_SIGNALS:
    void clientChanged();
    void isActiveChanged();
    void daysChanged();
    void siteChanged();
    void statsChanged();
    void metricsChanged();

private:
    void loadStats();
    void loadMetrics();
    QVariantList list(const char *key) const;

    QPointer<client::ApiClient> m_client;
    QPointer<client::ApiCall> m_statsCall;
    QPointer<client::ApiCall> m_metricsCall;
    QTimer m_metricsTimer;
    QTimer m_statsTimer;
    QJsonObject m_stats;
    QJsonObject m_metrics;
    QString m_statsMessage;
    QString m_metricsMessage;
    QString m_site;
    int m_days = 1;
    bool m_isActive = true;
    quint64 m_generation = 0;
};

} // namespace fazt::console
