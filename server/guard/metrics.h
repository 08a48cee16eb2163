#pragma once

#include "metrics/latencyhistogram.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMutex>
#include <QString>

#include <array>
#include <atomic>
#include <chrono>
#include <functional>

namespace fazt::guard {

// What the server counts about itself, for /api/system/metrics (JSON) and /metrics
// (Prometheus text). Request counts and the latency histogram live here (lock-free: every
// response records into them); everything else comes from sources other modules register,
// each a named JSON section plus its Prometheus lines ("cache", "connections", "stats", ...).
class Metrics {
public:
    // Upper bounds of the latency buckets, in seconds (the last one, +Inf, is implied).
    static constexpr auto LatencyBounds = metrics::LatencyHistogram::Bounds;

    Metrics();

    // One response: its status and how long the handler took to start it.
    void recordResponse(int status, std::chrono::nanoseconds elapsed);

    // Adds a section: `json` becomes metrics[name], `prometheus` (may be empty) appends lines
    // in the text exposition format. Both are called on the admin thread when metrics are read,
    // so they must be thread-safe. Registering a name again replaces the source.
    void addSource(const QString &name, std::function<QJsonObject()> json,
                   std::function<QByteArray()> prometheus);

    qint64 uptimeSeconds() const;
    // {"uptimeSeconds", "rssBytes", "requests": {...}} plus every source's section.
    QJsonObject json() const;
    QByteArray prometheus() const;

    struct RequestCounts {
        quint64 total = 0;
        std::array<quint64, 5> byClass{}; // 1xx..5xx
    };
    RequestCounts requestCounts() const;

private:
    struct Source {
        QString name;
        std::function<QJsonObject()> json;
        std::function<QByteArray()> prometheus;
    };
    QJsonObject requestsJson() const;

    const std::chrono::steady_clock::time_point m_start;
    std::array<std::atomic<quint64>, 5> m_byClass{};
    metrics::LatencyHistogram m_latency;
    mutable QMutex m_sourcesMutex;
    QList<Source> m_sources;
};

} // namespace fazt::guard
