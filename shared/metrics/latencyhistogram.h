#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QJsonObject>

#include <array>
#include <atomic>
#include <chrono>

namespace fazt::metrics {

// How long things took, counted into fixed buckets without a lock: any thread records, any
// thread reads (a read may miss a record that is under way, never corrupts one). The HTTP
// responses (guard::Metrics) and the function invocations (hosting::functions::WorkerPool)
// each keep one, so their /metrics histograms share bounds and format.
class LatencyHistogram {
public:
    // Upper bounds of the buckets, in seconds, inclusive (the last one, +Inf, is implied).
    static constexpr std::array<double, 12> Bounds{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                   0.05,   0.1,   0.25,   0.5,   1,    5};

    struct Snapshot {
        std::array<quint64, Bounds.size() + 1> counts{}; // per bucket, not cumulative
        double sumSeconds = 0;

        quint64 count() const;
        // {"buckets": [{"le": 0.0005, "count": N}, ... {"le": "+Inf", ...}], "sum", "count"},
        // the counts cumulative as Prometheus has them.
        QJsonObject json() const;
        // NAME_bucket{le="..."} (cumulative), NAME_sum and NAME_count lines; the caller writes
        // the # HELP and # TYPE lines.
        QByteArray prometheus(QByteArrayView name) const;
    };

    void record(std::chrono::nanoseconds elapsed);
    Snapshot snapshot() const;

private:
    std::array<std::atomic<quint64>, Bounds.size() + 1> m_counts{};
    std::atomic<quint64> m_sumNs{0};
};

} // namespace fazt::metrics
