#include "dashboardmodel.h"

#include <QJsonArray>
#include <QXYSeries>

namespace fazt::console {

namespace {

constexpr int kMetricsIntervalMs = 5'000;
constexpr int kStatsIntervalMs = 60'000;

QString unavailable(const Error &error, const QString &what) {
    if (error.code == Error::Code::NotFound)
        return DashboardModel::tr("%1 not available on this server.").arg(what);
    return error.message;
}

} // namespace

DashboardModel::DashboardModel(QObject *parent)
    : QObject(parent) {
    m_metricsTimer.setInterval(kMetricsIntervalMs);
    m_statsTimer.setInterval(kStatsIntervalMs);
    connect(&m_metricsTimer, &QTimer::timeout, this, &DashboardModel::loadMetrics);
    connect(&m_statsTimer, &QTimer::timeout, this, &DashboardModel::loadStats);
}

QObject *DashboardModel::client() const {
    return m_client;
}

void DashboardModel::setClient(QObject *client) {
    auto *api = qobject_cast<client::ApiClient *>(client);
    if (m_client == api)
        return;
    m_client = api;
    ++m_generation;
    m_stats = {};
    m_metrics = {};
    m_statsMessage.clear();
    m_metricsMessage.clear();
    Q_EMIT statsChanged();
    Q_EMIT metricsChanged();
    Q_EMIT clientChanged();
    refresh();
}

void DashboardModel::setActive(bool isActive) {
    if (m_isActive == isActive)
        return;
    m_isActive = isActive;
    Q_EMIT isActiveChanged();
    if (m_isActive) {
        refresh();
    } else {
        m_metricsTimer.stop();
        m_statsTimer.stop();
    }
}

void DashboardModel::setDays(int days) {
    days = std::clamp(days, 1, 366);
    if (m_days == days)
        return;
    m_days = days;
    Q_EMIT daysChanged();
    loadStats();
}

void DashboardModel::setSite(const QString &site) {
    if (m_site == site)
        return;
    m_site = site;
    Q_EMIT siteChanged();
    loadStats();
}

void DashboardModel::refresh() {
    loadStats();
    loadMetrics();
    if (m_isActive && m_client) {
        m_metricsTimer.start();
        m_statsTimer.start();
    }
}

void DashboardModel::loadStats() {
    if (!m_client || !m_isActive || m_statsCall)
        return;
    client::StatsQuery query;
    query.site = m_site;
    query.to = QDateTime::currentDateTimeUtc();
    query.from = query.to.addDays(-m_days);
    query.bucket = m_days > 1 ? client::StatsQuery::Bucket::Day : client::StatsQuery::Bucket::Hour;
    m_statsCall = m_client->stats(query, [this, generation = m_generation](Result<QJsonObject> r) {
        if (generation != m_generation)
            return;
        if (r) {
            m_stats = *r;
            m_statsMessage.clear();
        } else {
            m_stats = {};
            m_statsMessage = unavailable(r.error(), tr("Traffic statistics are"));
        }
        Q_EMIT statsChanged();
    })->boundTo(this);
}

void DashboardModel::loadMetrics() {
    if (!m_client || !m_isActive || m_metricsCall)
        return;
    m_metricsCall = m_client->metrics([this, generation = m_generation](Result<QJsonObject> r) {
        if (generation != m_generation)
            return;
        if (r) {
            m_metrics = *r;
            m_metricsMessage.clear();
        } else {
            m_metrics = {};
            m_metricsMessage = unavailable(r.error(), tr("Live metrics are"));
        }
        Q_EMIT metricsChanged();
    })->boundTo(this);
}

QVariantMap DashboardModel::totals() const {
    return m_stats.value(QStringLiteral("totals")).toObject().toVariantMap();
}

QVariantList DashboardModel::list(const char *key) const {
    return m_stats.value(QLatin1String(key)).toArray().toVariantList();
}

QVariantList DashboardModel::series() const {
    return list("series");
}

QVariantList DashboardModel::topPaths() const {
    return list("topPaths");
}

QVariantList DashboardModel::topSites() const {
    return list("topSites");
}

QVariantList DashboardModel::topReferrers() const {
    return list("topReferrers");
}

QDateTime DashboardModel::from() const {
    return QDateTime::fromString(m_stats.value(QStringLiteral("from")).toString(), Qt::ISODate);
}

QDateTime DashboardModel::to() const {
    return QDateTime::fromString(m_stats.value(QStringLiteral("to")).toString(), Qt::ISODate);
}

double DashboardModel::fillSeries(QAbstractSeries *series, const QString &field,
                                  double unit) const {
    auto *xy = qobject_cast<QXYSeries *>(series);
    if (!xy || unit <= 0)
        return 0;
    QList<QPointF> points;
    double largest = 0;
    for (const QJsonValue &v : m_stats.value(QStringLiteral("series")).toArray()) {
        const QJsonObject point = v.toObject();
        const QDateTime t =
            QDateTime::fromString(point.value(QStringLiteral("t")).toString(), Qt::ISODate);
        const double value = point.value(field).toDouble() / unit;
        largest = std::max(largest, value);
        points.append({double(t.toMSecsSinceEpoch()), value});
    }
    xy->replace(points);
    return largest;
}

} // namespace fazt::console
