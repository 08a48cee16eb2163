#include "metrics/latencyhistogram.h"

#include "metrics/prometheus.h"

#include <QJsonArray>
#include <QStringBuilder>

#include <algorithm>

namespace fazt::metrics {

void LatencyHistogram::record(std::chrono::nanoseconds elapsed) {
    const double seconds = std::chrono::duration<double>(elapsed).count();
    const auto bucket = std::lower_bound(Bounds.begin(), Bounds.end(), seconds);
    m_counts[size_t(bucket - Bounds.begin())].fetch_add(1, std::memory_order_relaxed);
    m_sumNs.fetch_add(quint64(std::max<qint64>(0, elapsed.count())), std::memory_order_relaxed);
}

LatencyHistogram::Snapshot LatencyHistogram::snapshot() const {
    Snapshot s;
    for (size_t i = 0; i < m_counts.size(); ++i)
        s.counts[i] = m_counts[i].load(std::memory_order_relaxed);
    s.sumSeconds = double(m_sumNs.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

quint64 LatencyHistogram::Snapshot::count() const {
    quint64 total = 0;
    for (const quint64 c : counts)
        total += c;
    return total;
}

QJsonObject LatencyHistogram::Snapshot::json() const {
    QJsonArray buckets;
    quint64 cumulative = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        const QJsonValue le =
            i < Bounds.size() ? QJsonValue(Bounds[i]) : QJsonValue(QStringLiteral("+Inf"));
        buckets.append(
            QJsonObject{{QStringLiteral("le"), le}, {QStringLiteral("count"), qint64(cumulative)}});
    }
    return {{QStringLiteral("buckets"), buckets},
            {QStringLiteral("sum"), sumSeconds},
            {QStringLiteral("count"), qint64(cumulative)}};
}

QByteArray LatencyHistogram::Snapshot::prometheus(QByteArrayView name) const {
    const QByteArray base = name.toByteArray();
    QByteArray text;
    quint64 cumulative = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        cumulative += counts[i];
        const QByteArray le =
            i < Bounds.size() ? QByteArray::number(Bounds[i], 'g', 6) : QByteArray("+Inf");
        text += prometheusLine(QByteArray(base + "_bucket"), double(cumulative),
                               QByteArray("le=\"" + le + '"'));
    }
    text += prometheusLine(QByteArray(base + "_sum"), sumSeconds);
    text += prometheusLine(QByteArray(base + "_count"), double(cumulative));
    return text;
}

} // namespace fazt::metrics
