// Metrics: request counts, the latency histogram, and sources other modules register.

#include "guard/metrics.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

#include <thread>
#include <vector>

using namespace fazt::guard;
using namespace std::chrono_literals;

class TestMetrics : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void countsByClassAndHistogram() {
        Metrics metrics;
        metrics.recordResponse(200, 200us); // <= 0.0005
        metrics.recordResponse(304, 2ms);   // <= 0.0025
        metrics.recordResponse(404, 1ms);   // <= 0.001 (bounds are inclusive)
        metrics.recordResponse(503, 30s);   // +Inf
        metrics.recordResponse(100, 1us);   // 100 Continue: counted apart
        const QJsonObject requests = metrics.json().value(QStringLiteral("requests")).toObject();
        QCOMPARE(requests.value(QStringLiteral("total")).toInt(), 5);
        const QJsonObject byClass = requests.value(QStringLiteral("byClass")).toObject();
        QCOMPARE(byClass.value(QStringLiteral("2xx")).toInt(), 1);
        QCOMPARE(byClass.value(QStringLiteral("3xx")).toInt(), 1);
        QCOMPARE(byClass.value(QStringLiteral("4xx")).toInt(), 1);
        QCOMPARE(byClass.value(QStringLiteral("5xx")).toInt(), 1);
        QCOMPARE(byClass.size(), 4);
        const QJsonObject latency = requests.value(QStringLiteral("latencySeconds")).toObject();
        const QJsonArray buckets = latency.value(QStringLiteral("buckets")).toArray();
        QCOMPARE(buckets.size(), int(Metrics::LatencyBounds.size()) + 1);
        QCOMPARE(buckets[0].toObject().value(QStringLiteral("le")).toDouble(), 0.0005);
        QCOMPARE(buckets[0].toObject().value(QStringLiteral("count")).toInt(), 2);
        QCOMPARE(buckets[1].toObject().value(QStringLiteral("count")).toInt(), 3); // cumulative
        QCOMPARE(buckets[2].toObject().value(QStringLiteral("count")).toInt(), 4);
        QCOMPARE(buckets.last().toObject().value(QStringLiteral("le")).toString(),
                 QStringLiteral("+Inf"));
        QCOMPARE(buckets.last().toObject().value(QStringLiteral("count")).toInt(), 5);
        QCOMPARE(latency.value(QStringLiteral("count")).toInt(), 5);
        QVERIFY(qAbs(latency.value(QStringLiteral("sum")).toDouble() - 30.003201) < 1e-6);

        const QByteArray text = metrics.prometheus();
        QVERIFY(text.contains("fazt_http_request_duration_seconds_bucket{le=\"0.0005\"} 2\n"));
        QVERIFY(text.contains("fazt_http_request_duration_seconds_bucket{le=\"+Inf\"} 5\n"));
        QVERIFY(text.contains("fazt_http_request_duration_seconds_count 5\n"));
        QVERIFY(text.contains("fazt_http_responses_total{class=\"5xx\"} 1\n"));
        QVERIFY(text.contains("# TYPE fazt_http_request_duration_seconds histogram\n"));
        // Every line is a comment or "name[{labels}] value".
        for (const QByteArray &line : text.split('\n')) {
            if (line.isEmpty() || line.startsWith('#'))
                continue;
            const QList<QByteArray> parts = line.split(' ');
            QCOMPARE(parts.size(), 2);
            bool isNumber = false;
            parts[1].toDouble(&isNumber);
            QVERIFY2(isNumber, line.constData());
        }
    }

    void sourcesAddSectionsAndCanBeReplaced() {
        Metrics metrics;
        int calls = 0;
        metrics.addSource(
            QStringLiteral("stats"),
            [&] {
                ++calls;
                return QJsonObject{{QStringLiteral("pending"), 3}};
            },
            [] { return QByteArray("fazt_stats_pending 3\n"); });
        QCOMPARE(metrics.json()
                     .value(QStringLiteral("stats"))
                     .toObject()
                     .value(QStringLiteral("pending"))
                     .toInt(),
                 3);
        QVERIFY(metrics.prometheus().endsWith("fazt_stats_pending 3\n"));
        metrics.addSource(QStringLiteral("stats"),
                          [] {
                              return QJsonObject{{QStringLiteral("pending"), 4}};
                          },
                          {});
        QCOMPARE(metrics.json()
                     .value(QStringLiteral("stats"))
                     .toObject()
                     .value(QStringLiteral("pending"))
                     .toInt(),
                 4);
        QVERIFY(!metrics.prometheus().contains("fazt_stats_pending"));
        QCOMPARE(calls, 1);
        QVERIFY(metrics.json().value(QStringLiteral("rssBytes")).toDouble() > 0);
        QVERIFY(metrics.json().contains(QStringLiteral("uptimeSeconds")));
    }

    void recordingFromManyThreadsLosesNothing() {
        Metrics metrics;
        std::vector<std::thread> threads;
        for (int t = 0; t < 4; ++t)
            threads.emplace_back([&] {
                for (int i = 0; i < 10000; ++i)
                    metrics.recordResponse(200, 1ms);
            });
        for (auto &t : threads)
            t.join();
        QCOMPARE(metrics.requestCounts().total, quint64(40000));
    }
};

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
