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
// GET /api/stats (visits, visitors, bytes, top sites and paths, referrers, browsers, status
// codes, events) and the live state from GET /api/system/metrics (cache against its budget,
// WriteQueue and stats-buffer depth, breaker trips, requests). Metrics refresh every few
// seconds while `isActive`; a server without one of the endpoints shows that part as "not
// available on this server", and any other failure is one `problem` for the whole page.
//
// The range ends with the bucket that holds now: the last 24 hours, or the last `days` days
// counting today (UTC days, as the server counts them). Charts put bucket i at x = i and
// label the axis from axisLabels, so every day of a week has its tick and none is in the
// future.
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
    Q_PROPERTY(QVariantList browsers READ browsers NOTIFY statsChanged)
    Q_PROPERTY(QVariantList statusCodes READ statusCodes NOTIFY statsChanged)
    Q_PROPERTY(QVariantList topEvents READ topEvents NOTIFY statsChanged)
    Q_PROPERTY(int bucketCount READ bucketCount NOTIFY statsChanged)
    Q_PROPERTY(QVariantList axisLabels READ axisLabels NOTIFY statsChanged)
    Q_PROPERTY(QString problem READ problem NOTIFY problemChanged)
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
    QVariantList browsers() const;    // [{agent, visits}]
    QVariantList statusCodes() const; // [{status, count}]
    QVariantList topEvents() const;   // [{name, count}]
    int bucketCount() const;
    // Where the time axis has a label: [{at: bucket index, text}], the last at the newest
    // bucket; every bucket of a week, every 4th hour of a day, every 5th day of a month.
    QVariantList axisLabels() const;
    // Why the server's numbers cannot be shown (unreachable, token refused), worded once for
    // the page; empty while they can.
    QString problem() const;
    QDateTime from() const;
    QDateTime to() const;
    bool hasMetrics() const { return !m_metrics.isEmpty(); }
    QString metricsMessage() const { return m_metricsMessage; }
    QVariantMap metrics() const { return m_metrics.toVariantMap(); }

    Q_INVOKABLE void refresh();
    // Puts `field` ("visits", "visitors" or "bytes") of the series, divided by `unit`, into a
    // chart's XY series, x the bucket's index; returns the largest value (for the axis).
    Q_INVOKABLE double fillSeries(QAbstractSeries *series, const QString &field,
                                  double unit = 1) const;

Q_SIGNALS:
    void clientChanged();
    void isActiveChanged();
    void daysChanged();
    void siteChanged();
    void statsChanged();
    void metricsChanged();
    void problemChanged();

private:
    void loadStats();
    void loadMetrics();
    QVariantList list(const char *key) const;
    void setProblem(QString &problem, const QString &text);
    QString noteFailure(QString &problem, const Error &error, const QString &what);

    QPointer<client::ApiClient> m_client;
    QPointer<client::ApiCall> m_statsCall;
    QPointer<client::ApiCall> m_metricsCall;
    QTimer m_metricsTimer;
    QTimer m_statsTimer;
    QJsonObject m_stats;
    QJsonObject m_metrics;
    QString m_statsMessage;
    QString m_metricsMessage;
    QString m_statsProblem;   // why stats failed, other than a missing endpoint
    QString m_metricsProblem; // the same for metrics
    QString m_site;
    int m_days = 1;
    bool m_isActive = true;
    quint64 m_generation = 0;
};

} // namespace fazt::console
