// LimitStore: the limits kept in `config`, next to the probe they came from.

#include "config/config.h"
#include "db/database.h"
#include "system/limitstore.h"

#include <QTemporaryDir>
#include <QTest>

using namespace fazt;
using namespace fazt::system;

namespace {

ProbeResult machine(qint64 memoryBytes) {
    ProbeResult probe;
    probe.resources = {memoryBytes, 2, qint64(20) << 30, qint64(10) << 30};
    probe.memorySource = QStringLiteral("cgroup2");
    return probe;
}

} // namespace

class TestLimitStore : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void calibrateStoresAndSurvivesRestart() {
        const QString file = m_dir.filePath(QStringLiteral("a.db"));
        {
            auto db = db::Database::open(file);
            QVERIFY(db);
            Config config(**db);
            QVERIFY(config.load());
            QVERIFY(!LimitStore::load(config));
            auto limits = LimitStore::loadOrCalibrate(config, machine(qint64(512) << 20));
            QVERIFY(limits);
            QVERIFY(*limits == Capacity::compute(machine(qint64(512) << 20).resources));
            QCOMPARE(LimitStore::loadProbe(config).value(QStringLiteral("memorySource")).toString(),
                     QStringLiteral("cgroup2"));
            // Stored limits win over a new probe until recalibrated.
            auto again = LimitStore::loadOrCalibrate(config, machine(qint64(4) << 30));
            QVERIFY(again && *again == *limits);
        }
        auto db = db::Database::open(file);
        QVERIFY(db);
        Config config(**db);
        QVERIFY(config.load());
        const auto stored = LimitStore::load(config);
        QVERIFY(stored);
        QCOMPARE(stored->cacheBytes,
                 Capacity::compute(machine(qint64(512) << 20).resources).cacheBytes);
    }

    void recalibrationKeepsTheMaintenanceThreshold() {
        auto db = db::Database::open(m_dir.filePath(QStringLiteral("b.db")));
        QVERIFY(db);
        Config config(**db);
        QVERIFY(config.load());
        Limits chosen = Capacity::compute(machine(qint64(1) << 30).resources);
        chosen.maintenanceRatio = 250;
        QVERIFY(LimitStore::save(config, chosen, machine(qint64(1) << 30)));
        auto limits = LimitStore::calibrate(config, machine(qint64(2) << 30));
        QVERIFY(limits);
        QCOMPARE(limits->maintenanceRatio, 250.0);
        QCOMPARE(limits->maintenanceDbBytes, (qint64(2) << 30) * 250);
        QCOMPARE(limits->cacheBytes,
                 Capacity::compute(machine(qint64(2) << 30).resources).cacheBytes);
    }

    void unreadableStoredLimitsCountAsNone() {
        auto db = db::Database::open(m_dir.filePath(QStringLiteral("c.db")));
        QVERIFY(db);
        Config config(**db);
        QVERIFY(config.load());
        for (const char *garbage : {"", "not json", "[1,2]", "{}"}) {
            QVERIFY(config.set(LimitStore::LimitsKey, QString::fromLatin1(garbage)));
            QVERIFY2(!LimitStore::load(config), garbage);
        }
        QVERIFY(LimitStore::loadOrCalibrate(config, machine(qint64(1) << 30)));
        QVERIFY(LimitStore::load(config));
    }
};

QTEST_GUILESS_MAIN(TestLimitStore)
#include "tst_limitstore.moc"
