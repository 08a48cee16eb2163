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

    void keyNamesComeFromOnePlace() {
        using certs::CertStore;
        QCOMPARE(CertStore::chainKey(QStringLiteral("a.example")),
                 QStringLiteral("certs/a.example/chain.pem"));
        QCOMPARE(CertStore::privateKeyKey(QStringLiteral("a.example")),
                 QStringLiteral("certs/a.example/key.pem"));
        QCOMPARE(CertStore::nameOfChainKey(CertStore::chainKey(QStringLiteral("a.example"))),
                 QStringLiteral("a.example"));
        QVERIFY(CertStore::nameOfChainKey(CertStore::privateKeyKey(QStringLiteral("a"))).isEmpty());
        QVERIFY(CertStore::nameOfChainKey(QStringLiteral("certs//chain.pem")).isEmpty());
        QVERIFY(
            CertStore::chainKey(QStringLiteral("x")).startsWith(CertStore::certificatePrefix()));
        QCOMPARE(CertStore::challengeKey("tok"), QStringLiteral("acme-challenges/tok"));
    }

    // A crash or an error between the key and the chain must not leave a new key beside an old
    // chain: the pair is written in one transaction.
    void aFailedPairLeavesTheOldPairIntact() {
        auto db = db::Database::open(m_dir.filePath(QStringLiteral("pair.db")));
        QVERIFY(db);
        certs::CertStore store(**db);
        const QString name = QStringLiteral("a.example");
        QVERIFY(store.storeCertificate(name, "old key", "old chain"));
        // The disk "fails" on the second row: the chain, after the key has been written.
        QVERIFY((*db)->writer().run([](db::Connection &c) {
            return c.exec("CREATE TRIGGER fail_chain_update BEFORE UPDATE ON certificates "
                          "WHEN NEW.key LIKE '%/chain.pem' BEGIN SELECT RAISE(ABORT, 'disk "
                          "full'); END;"
                          "CREATE TRIGGER fail_chain_insert BEFORE INSERT ON certificates "
                          "WHEN NEW.key LIKE '%/chain.pem' BEGIN SELECT RAISE(ABORT, 'disk "
                          "full'); END;");
        }));
        QVERIFY(!store.storeCertificate(name, "new key", "new chain"));
        QCOMPARE(*store.load(certs::CertStore::privateKeyKey(name)), QByteArray("old key"));
        QCOMPARE(*store.load(certs::CertStore::chainKey(name)), QByteArray("old chain"));
        // A new name gets nothing at all, not a key without its chain.
        QVERIFY(!store.storeCertificate(QStringLiteral("b.example"), "key", "chain"));
        QCOMPARE(store.list(QStringLiteral("certs/b.example/"))->size(), 0);
        // Nothing is written when one key of the batch is invalid.
        QVERIFY(!store.storeAll({{QStringLiteral("ok"), "x"}, {QString(), "y"}}));
        QCOMPARE(store.load(QStringLiteral("ok")).error().code, Error::Code::NotFound);
    }
};

QTEST_GUILESS_MAIN(TestCertStore)
#include "tst_certstore.moc"
