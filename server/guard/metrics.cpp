#include "guard/metrics.h"

#include "metrics/prometheus.h"
#include "system/probe.h"

#include <QCoreApplication>

namespace fazt::guard {

using metrics::prometheusLine;

Metrics::Metrics()
    : m_start(std::chrono::steady_clock::now()) {}

void Metrics::recordResponse(int status, std::chrono::nanoseconds elapsed) {
    const int statusClass = std::clamp(status / 100, 1, 5) - 1;
    m_byClass[size_t(statusClass)].fetch_add(1, std::memory_order_relaxed);
    m_latency.record(elapsed);
}

void Metrics::addSource(const QString &name, std::function<QJsonObject()> json,
                        std::function<QByteArray()> prometheus) {
    QMutexLocker lock(&m_sourcesMutex);
    for (Source &source : m_sources) {
        if (source.name == name) {
            source.json = std::move(json);
            source.prometheus = std::move(prometheus);
            return;
        }
    }
    m_sources.append({name, std::move(json), std::move(prometheus)});
}

qint64 Metrics::uptimeSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::steady_clock::now() -
                                                            m_start)
        .count();
}

Metrics::RequestCounts Metrics::requestCounts() const {
    RequestCounts counts;
    for (size_t i = 0; i < m_byClass.size(); ++i) {
        counts.byClass[i] = m_byClass[i].load(std::memory_order_relaxed);
        counts.total += counts.byClass[i];
    }
    return counts;
}

QJsonObject Metrics::requestsJson() const {
    const RequestCounts counts = requestCounts();
    QJsonObject byClass;
    for (size_t i = 1; i < counts.byClass.size(); ++i) // 1xx (100 Continue) is not an answer
        byClass.insert(QString::number(i + 1) + QStringLiteral("xx"), qint64(counts.byClass[i]));
    return {{QStringLiteral("total"), qint64(counts.total)},
            {QStringLiteral("byClass"), byClass},
            {QStringLiteral("latencySeconds"), m_latency.snapshot().json()}};
}

QJsonObject Metrics::json() const {
    QJsonObject json{{QStringLiteral("uptimeSeconds"), uptimeSeconds()},
                     {QStringLiteral("rssBytes"), system::Probe::currentRssBytes()},
                     {QStringLiteral("requests"), requestsJson()}};
    QMutexLocker lock(&m_sourcesMutex);
    for (const Source &source : m_sources)
        json.insert(source.name, source.json());
    return json;
}

QByteArray Metrics::prometheus() const {
    QByteArray text;
    text += "# HELP fazt_build_info The running version (fazt server status reads it).\n"
            "# TYPE fazt_build_info gauge\n";
    text += prometheusLine(
        "fazt_build_info", 1,
        QByteArray("version=\"" + QCoreApplication::applicationVersion().toUtf8() + '"'));
    text += "# HELP fazt_uptime_seconds Seconds since the server started.\n"
            "# TYPE fazt_uptime_seconds gauge\n";
    text += prometheusLine("fazt_uptime_seconds", double(uptimeSeconds()));
    text += "# HELP fazt_resident_memory_bytes Resident set size of the process.\n"
            "# TYPE fazt_resident_memory_bytes gauge\n";
    text += prometheusLine("fazt_resident_memory_bytes", double(system::Probe::currentRssBytes()));

    const RequestCounts counts = requestCounts();
    text += "# HELP fazt_http_responses_total HTTP responses by status class.\n"
            "# TYPE fazt_http_responses_total counter\n";
    for (size_t i = 1; i < counts.byClass.size(); ++i)
        text += prometheusLine("fazt_http_responses_total", double(counts.byClass[i]),
                               QByteArray("class=\"" + QByteArray::number(i + 1) + "xx\""));
    text += "# HELP fazt_http_request_duration_seconds Time from a request's head to the start "
            "of its response.\n"
            "# TYPE fazt_http_request_duration_seconds histogram\n";
    text += m_latency.snapshot().prometheus("fazt_http_request_duration_seconds");

    QMutexLocker lock(&m_sourcesMutex);
    for (const Source &source : m_sources) {
        if (source.prometheus)
            text += source.prometheus();
    }
    return text;
}

} // namespace fazt::guard
