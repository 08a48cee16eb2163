// Breakers: when each trips and resets, and what it reports.

#include "guard/breakers.h"

#include <QJsonArray>
#include <QJsonObject>
#include <QTest>

using namespace fazt;
using guard::Breakers;

namespace {

bool isTripped(const Breakers &breakers, Breakers::Kind kind) {
    return breakers.states()[int(kind)].isTripped;
}

} // namespace

class TestBreakers : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void memoryTripsNearTheLimitAndResetsWellBelow() {
        qint64 rss = 50;
        Breakers breakers([&] { return rss; });
        QList<bool> changes;
        breakers.onMemoryChange([&](bool isTripped) { changes.append(isTripped); });
        breakers.sampleMemory(); // no limit yet: nothing to compare with
        QVERIFY(!breakers.isMemoryTripped());
        breakers.setMemoryLimit(100);
        breakers.sampleMemory();
        QVERIFY(!breakers.isMemoryTripped());
        rss = 86;
        breakers.sampleMemory();
        QVERIFY(breakers.isMemoryTripped());
        QVERIFY(breakers.isAnyTripped());
        QVERIFY(breakers.states()[int(Breakers::Kind::Memory)].reason.contains(
            QLatin1String("memory limit")));
        rss = 75; // below the trip line, above the reset line: stays tripped (no flapping)
        breakers.sampleMemory();
        QVERIFY(breakers.isMemoryTripped());
        rss = 69;
        breakers.sampleMemory();
        QVERIFY(!breakers.isMemoryTripped());
        QVERIFY(breakers.states()[int(Breakers::Kind::Memory)].reason.isEmpty());
        QCOMPARE(changes, (QList<bool>{true, false}));
        QCOMPARE(breakers.trips(Breakers::Kind::Memory), quint64(0)); // trips count refusals
        breakers.countTrip(Breakers::Kind::Memory);
        QCOMPARE(breakers.tripsJson().value(QStringLiteral("memory")).toInt(), 1);
    }

    void diskRefusesWritesFromNinetyPercent() {
        Breakers breakers([] { return qint64(0); });
        system::DiskUsage usage{1000, 200};
        breakers.setDiskReader([&] { return usage; });
        QVERIFY(breakers.admitDiskWrite()); // 80 % used
        usage.freeBytes = 100;              // 90 %
        QVERIFY(!breakers.admitDiskWrite());
        QVERIFY(isTripped(breakers, Breakers::Kind::Disk));
        QVERIFY(breakers.states()[int(Breakers::Kind::Disk)].reason.contains(
            QLatin1String("90 % full")));
        QCOMPARE(breakers.trips(Breakers::Kind::Disk), quint64(1));
        usage.freeBytes = 500;
        QVERIFY(breakers.admitDiskWrite());
        QVERIFY(!isTripped(breakers, Breakers::Kind::Disk));
        usage = {}; // statfs failed: unknown is not full
        QVERIFY(breakers.admitDiskWrite());
    }

    void connectionsTripAtTheCapAndHoldAfterRefusals() {
        Breakers breakers;
        breakers.sampleConnections(3, 10, 0, 1000);
        QVERIFY(!isTripped(breakers, Breakers::Kind::Connections));
        breakers.sampleConnections(10, 10, 0, 1200);
        QVERIFY(isTripped(breakers, Breakers::Kind::Connections));
        breakers.sampleConnections(5, 10, 7, 1400); // 7 refused since: tripped for a while
        QVERIFY(isTripped(breakers, Breakers::Kind::Connections));
        QCOMPARE(breakers.trips(Breakers::Kind::Connections), quint64(7));
        breakers.sampleConnections(5, 10, 7, 4000);
        QVERIFY(isTripped(breakers, Breakers::Kind::Connections));
        breakers.sampleConnections(5, 10, 7, 6500);
        QVERIFY(!isTripped(breakers, Breakers::Kind::Connections));
        QCOMPARE(breakers.trips(Breakers::Kind::Connections), quint64(7));
    }

    void maintenanceAndTheReport() {
        Breakers breakers;
        breakers.setMaintenance(true, QStringLiteral("too big"));
        QVERIFY(breakers.isInMaintenance());
        const QJsonArray states = breakers.statesJson();
        QCOMPARE(states.size(), 4);
        QCOMPARE(states[3].toObject().value(QStringLiteral("kind")).toString(),
                 QStringLiteral("maintenance"));
        QCOMPARE(states[3].toObject().value(QStringLiteral("tripped")).toBool(), true);
        QCOMPARE(states[3].toObject().value(QStringLiteral("reason")).toString(),
                 QStringLiteral("too big"));
        QVERIFY(breakers.prometheus().contains("fazt_breaker_tripped{kind=\"maintenance\"} 1\n"));
        breakers.setMaintenance(false, {});
        QVERIFY(!breakers.isAnyTripped());
    }
};

QTEST_GUILESS_MAIN(TestBreakers)
#include "tst_breakers.moc"
