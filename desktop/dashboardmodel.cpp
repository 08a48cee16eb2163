#include "dashboardmodel.h"

#include "format.h"

#include <QJsonArray>
#include <QLocale>
#include <QXYSeries>

namespace fazt::console {

namespace {

constexpr int kMetricsIntervalMs = 5'000;
constexpr int kStatsIntervalMs = 60'000;

constexpr qint64 kHourMs = 3'600'000;
constexpr qint64 kDayMs = 24 * kHourMs;

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
    setProblem(m_statsProblem, {});
    setProblem(m_metricsProblem, {});
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
    // From the start of the first bucket to now: the server rounds `to` up to the end of the
    // bucket that holds it, so the last bucket is the current hour or today.
    client::StatsQuery query;
    query.site = m_site;
    query.to = QDateTime::currentDateTimeUtc();
    const qint64 now = query.to.toMSecsSinceEpoch();
    const bool isDaily = m_days > 1;
    const qint64 step = isDaily ? kDayMs : kHourMs;
    const qint64 buckets = isDaily ? m_days : 24;
    query.from = QDateTime::fromMSecsSinceEpoch(now - now % step - (buckets - 1) * step, Qt::UTC);
    query.bucket = isDaily ? client::StatsQuery::Bucket::Day : client::StatsQuery::Bucket::Hour;
    m_statsCall = m_client->stats(query, [this, generation = m_generation](Result<QJsonObject> r) {
        if (generation != m_generation)
            return;
        if (r) {
            m_stats = *r;
            m_statsMessage.clear();
            setProblem(m_statsProblem, {});
        } else {
            m_stats = {};
            m_statsMessage = noteFailure(m_statsProblem, r.error(), tr("Traffic statistics are"));
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
            setProblem(m_metricsProblem, {});
        } else {
            m_metrics = {};
            m_metricsMessage = noteFailure(m_metricsProblem, r.error(), tr("Live metrics are"));
        }
        Q_EMIT metricsChanged();
    })->boundTo(this);
}

// A part the server lacks says so where the part would be; any other failure is the page's
// one problem, and that part stays empty.
QString DashboardModel::noteFailure(QString &problem, const Error &error, const QString &what) {
    if (error.code == Error::Code::NotFound) {
        setProblem(problem, {});
        return tr("%1 not available on this server.").arg(what);
    }
    setProblem(problem, Format::problem(error.message));
    return {};
}

void DashboardModel::setProblem(QString &problem, const QString &text) {
    if (problem == text)
        return;
    problem = text;
    Q_EMIT problemChanged();
}

// The same cause (the server is down) is said once, not once per request that met it.
QString DashboardModel::problem() const {
    if (m_statsProblem.isEmpty() || m_statsProblem == m_metricsProblem)
        return m_metricsProblem.isEmpty() ? m_statsProblem : m_metricsProblem;
    return m_metricsProblem.isEmpty() ? m_statsProblem : m_statsProblem + u'\n' + m_metricsProblem;
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

QVariantList DashboardModel::browsers() const {
    return list("agents");
}

QVariantList DashboardModel::statusCodes() const {
    return list("statusCodes");
}

QVariantList DashboardModel::topEvents() const {
    return list("topEvents");
}

int DashboardModel::bucketCount() const {
    return int(m_stats.value(QStringLiteral("series")).toArray().size());
}

QVariantList DashboardModel::axisLabels() const {
    const QJsonArray series = m_stats.value(QStringLiteral("series")).toArray();
    const bool isDaily = m_stats.value(QStringLiteral("bucket")).toString() == QLatin1String("day");
    const int every = !isDaily ? 4 : series.size() > 10 ? 5 : 1;
    QVariantList labels;
    for (qsizetype i = (series.size() - 1) % every; i < series.size(); i += every) {
        const QDateTime t = QDateTime::fromString(
            series[i].toObject().value(QStringLiteral("t")).toString(), Qt::ISODate);
        // Days are the server's UTC days; hours read best in the user's own time.
        const QString text =
            isDaily ? QLocale().toString(t.toUTC().date(), QStringLiteral("MMM d"))
                    : QLocale().toString(t.toLocalTime().time(), QStringLiteral("HH:mm"));
        labels.append(QVariantMap{{QStringLiteral("at"), int(i)}, {QStringLiteral("text"), text}});
    }
    return labels;
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
        const double value = v.toObject().value(field).toDouble() / unit;
        largest = std::max(largest, value);
        points.append({double(points.size()), value});
    }
    xy->replace(points);
    return largest;
}

} // namespace fazt::console
