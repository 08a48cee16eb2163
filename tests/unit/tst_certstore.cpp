// CertStore: the ACME storage contract over the certificates and locks tables.

#include "certs/certstore.h"
#include "db/database.h"

#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <thread>

using namespace fazt;

class TestCertStore : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void storeLoadListStatRemove() {
        const QString file = m_dir.filePath(QStringLiteral("certs.db"));
        {
            auto db = db::Database::open(file);
            QVERIFY(db);
            certs::CertStore store(**db);
            QVERIFY(store.store(QStringLiteral("certs/a.example/chain.pem"), "chain-a"));
            QVERIFY(store.store(QStringLiteral("certs/a.example/key.pem"), QByteArray("\0key", 4)));
            QVERIFY(store.store(QStringLiteral("certs/b.example/chain.pem"), "chain-b"));
            QVERIFY(store.store(QStringLiteral("certs%/x"), "wildcard-looking"));
            QVERIFY(store.store(QStringLiteral("certs/a.example/chain.pem"), "chain-a2"));
        }
        auto db = db::Database::open(file); // survives a restart
        QVERIFY(db);
        certs::CertStore store(**db);
        QCOMPARE(*store.load(QStringLiteral("certs/a.example/chain.pem")), QByteArray("chain-a2"));
        QCOMPARE(*store.load(QStringLiteral("certs/a.example/key.pem")), QByteArray("\0key", 4));
        QCOMPARE(store.load(QStringLiteral("nope")).error().code, Error::Code::NotFound);
        QCOMPARE(*store.list(QStringLiteral("certs/a.example/")),
                 QStringList({QStringLiteral("certs/a.example/chain.pem"),
                              QStringLiteral("certs/a.example/key.pem")}));
        // The prefix is literal: '%' and '_' are no wildcards.
        QCOMPARE(store.list(QStringLiteral("certs%"))->size(), 1);
        QCOMPARE(store.list(QStringLiteral("certs_"))->size(), 0);
        QCOMPARE(store.list(QString())->size(), 4);
        auto stat = store.stat(QStringLiteral("certs/b.example/chain.pem"));
        QVERIFY(stat);
        QCOMPARE(stat->size, 7);
        QVERIFY(qAbs(stat->modified - QDateTime::currentSecsSinceEpoch()) < 60);
        QVERIFY(store.remove(QStringLiteral("certs/b.example/chain.pem")));
        QVERIFY(store.remove(QStringLiteral("certs/b.example/chain.pem"))); // idempotent
        QCOMPARE(store.stat(QStringLiteral("certs/b.example/chain.pem")).error().code,
                 Error::Code::NotFound);
        QVERIFY(!store.store(QString(), "x"));
        QVERIFY(!store.store(QString(2000, QLatin1Char('k')), "x"));
    }

    void locksAreLeases() {
        auto db = db::Database::open(m_dir.filePath(QStringLiteral("locks.db")));
        QVERIFY(db);
        certs::CertStore store(**db);
        const QString name = QStringLiteral("issue:a.example");
        QVERIFY(*store.lock(name, QStringLiteral("p1"), 60));
        QVERIFY(!*store.lock(name, QStringLiteral("p2"), 60)); // held
        QVERIFY(*store.lock(name, QStringLiteral("p1"), 60));  // the holder renews
        QVERIFY(store.unlock(name, QStringLiteral("p2")));     // not p2's: stays
        QVERIFY(!*store.lock(name, QStringLiteral("p2"), 60));
        QVERIFY(store.unlock(name, QStringLiteral("p1")));
        QVERIFY(*store.lock(name, QStringLiteral("p2"), 0));  // free again; expires at once
        QVERIFY(*store.lock(name, QStringLiteral("p3"), 60)); // an expired lease is taken over
        QVERIFY(!store.lock(QString(), QStringLiteral("p"), 1));
    }

    // Two processes are two Database objects (two writers) on one file.
    void twoWritersRaceForOneName() {
        const QString file = m_dir.filePath(QStringLiteral("race.db"));
        auto first = db::Database::open(file);
        auto second = db::Database::open(file);
        QVERIFY(first && second);
        for (int round = 0; round < 20; ++round) {
            const QString name = QStringLiteral("race-%1").arg(round);
            std::atomic<int> winners{0};
            auto contend = [&](db::Database &database, const QString &owner) {
                certs::CertStore store(database);
                if (auto won = store.lock(name, owner, 60); won && *won)
                    ++winners;
            };
            std::thread a(contend, std::ref(**first), QStringLiteral("a"));
            std::thread b(contend, std::ref(**second), QStringLiteral("b"));
            a.join();
            b.join();
            QCOMPARE(winners.load(), 1);
        }
    }
};

QTEST_GUILESS_MAIN(TestCertStore)
#include "tst_certstore.moc"
