// Capacity: the one function from resources to limits.

#include "system/capacity.h"

#include <QTest>

using namespace fazt::system;

namespace {
constexpr qint64 kMiB = qint64(1) << 20;
constexpr qint64 kGiB = qint64(1) << 30;
} // namespace

class TestCapacity : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void budgetFollowsTheFormula() {
        Resources machine{512 * kMiB, 1, 20 * kGiB, 15 * kGiB};
        const Limits limits = Capacity::compute(machine);
        const qint64 usable =
            qint64(double(512 * kMiB - Capacity::osOverheadBytes(512 * kMiB)) * 0.7);
        QCOMPARE(limits.usableMemoryBytes, usable);
        QCOMPARE(limits.cacheBytes, usable / 4);
        QCOMPARE(limits.uploadRamBytes, usable / 10);
        QCOMPARE(limits.workerThreads, 1);
        QCOMPARE(limits.maintenanceRatio, 100.0);
        QCOMPARE(limits.maintenanceDbBytes, 512 * kMiB * 100);
        QVERIFY(limits.maxConnections >= 64);
        QVERIFY(limits.concurrentVisitors > 0 &&
                limits.concurrentVisitors <= limits.maxConnections);
        QVERIFY(limits.sqliteCacheKiB >= 512);
        QVERIFY(limits.maxConcurrentJs >= 1);
        // Plenty of disk: the archive limit is the bound.
        QCOMPARE(limits.largestUploadBytes, kGiB + 64 * kMiB);
    }

    void computedLimitsFitTheirBudget() {
        for (qint64 ram : {qint64(0), 128 * kMiB, 200 * kMiB, 512 * kMiB, 2 * kGiB, 64 * kGiB}) {
            for (double cpus : {0.5, 1.0, 1.5, 8.0}) {
                const Limits limits = Capacity::compute({ram, cpus, 0, 0});
                QVERIFY2(Capacity::worstCaseBytes(limits) <= limits.usableMemoryBytes,
                         qPrintable(QStringLiteral("%1 bytes, %2 cpus").arg(ram).arg(cpus)));
            }
        }
        Limits forced = Capacity::compute({200 * kMiB, 1, 0, 0});
        forced.cacheBytes = 400 * kMiB;
        QVERIFY(Capacity::worstCaseBytes(forced) > 400 * kMiB);
    }

    void aTinyMachineStillGetsWorkingLimits() {
        const Limits limits = Capacity::compute({200 * kMiB, 0.5, 0, 0});
        QVERIFY(limits.usableMemoryBytes > 100 * kMiB);
        QVERIFY(limits.usableMemoryBytes < 200 * kMiB);
        QCOMPARE(limits.workerThreads, 1);
        QVERIFY(limits.cacheBytes + limits.uploadRamBytes < limits.usableMemoryBytes);
        // No memory known at all: the floor, never zero or negative.
        const Limits none = Capacity::compute({0, 0, 0, 0});
        QVERIFY(none.usableMemoryBytes > 0);
        QVERIFY(none.cacheBytes > 0);
        QVERIFY(none.maxConnections > 0);
        QCOMPARE(none.workerThreads, 1);
    }

    void moreResourcesNeverMeanSmallerLimits() {
        Limits previous = Capacity::compute({128 * kMiB, 1, 10 * kGiB, 5 * kGiB});
        for (qint64 ram = 256 * kMiB; ram <= 256 * kGiB; ram *= 2) {
            for (double cpus : {1.0, 1.5, 4.0, 64.0}) {
                const Limits limits = Capacity::compute({ram, cpus, 10 * kGiB, 5 * kGiB});
                QVERIFY(limits.usableMemoryBytes > previous.usableMemoryBytes);
                QVERIFY(limits.cacheBytes > previous.cacheBytes);
                QVERIFY(limits.maxConnections >= previous.maxConnections);
                QVERIFY(limits.workerThreads >= 1 && limits.workerThreads <= 16);
                QVERIFY(limits.uploadRamBytes <= 64 * kMiB);
            }
            previous = Capacity::compute({ram, 1, 10 * kGiB, 5 * kGiB});
        }
    }

    void fractionalCpusRoundUpToWorkers() {
        QCOMPARE(Capacity::compute({kGiB, 1.5, 0, 0}).workerThreads, 2);
        QCOMPARE(Capacity::compute({kGiB, 4, 0, 0}).workerThreads, 4);
        QCOMPARE(Capacity::compute({kGiB, 128, 0, 0}).workerThreads, 16);
    }

    void largestUploadFollowsFreeDisk() {
        // 10 GiB disk, 2 GiB free: 1 GiB is below the 90 % line, and an upload needs twice its
        // size.
        const Limits limits = Capacity::compute({kGiB, 1, 10 * kGiB, 2 * kGiB});
        QCOMPARE(limits.largestUploadBytes, kGiB / 2);
        // A full disk: nothing can be uploaded.
        QCOMPARE(Capacity::compute({kGiB, 1, 10 * kGiB, kGiB / 2}).largestUploadBytes, 0);
    }

    void jsonRoundTrip() {
        const Limits limits = Capacity::compute({768 * kMiB, 1.5, 20 * kGiB, 10 * kGiB});
        const QJsonObject json = limits.toJson();
        QCOMPARE(json.size(), 12);
        for (const char *key :
             {"usableMemoryBytes", "cacheBytes", "uploadRamBytes", "largestUploadBytes",
              "maxConnections", "workerThreads", "maxConcurrentJs", "jsWorkerMemoryBytes",
              "sqliteCacheKiB",
              "concurrentVisitors", "maintenanceRatio", "maintenanceDbBytes"})
            QVERIFY2(json.contains(QLatin1String(key)), key);
        QVERIFY(Limits::fromJson(json) == limits);
        // Partial and hostile input: missing fields keep defaults, wrong types are ignored.
        QJsonObject partial{{QStringLiteral("cacheBytes"), 12345},
                            {QStringLiteral("maxConnections"), QStringLiteral("lots")},
                            {QStringLiteral("workerThreads"), 1e12}};
        const Limits parsed = Limits::fromJson(partial);
        QCOMPARE(parsed.cacheBytes, qint64(12345));
        QCOMPARE(parsed.maxConnections, 0);
        QCOMPARE(parsed.workerThreads, 2147483647);
    }
};

QTEST_GUILESS_MAIN(TestCapacity)
#include "tst_capacity.moc"
