// Config: the config table in RAM, written through to the database.

#include "config/config.h"
#include "db/database.h"

#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace fazt;

class TestConfig : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;

private Q_SLOTS:
    void setPersistsAndSurvivesRestart() {
        const QString file = m_dir.filePath(QStringLiteral("config.db"));
        {
            auto db = db::Database::open(file);
            QVERIFY(db);
            Config config(**db);
            QVERIFY(config.load());
            QCOMPARE(config.value(QStringLiteral("domain"), QStringLiteral("none")), QStringLiteral("none"));
            QSignalSpy changed(&config, &Config::changed);
            QVERIFY(config.set(QStringLiteral("domain"), QStringLiteral("example.com")));
            QVERIFY(config.set(QStringLiteral("cache.bytes"), qint64(1) << 33));
            QVERIFY(config.set(QStringLiteral("domain"), QStringLiteral("example.org")));
            QCOMPARE(changed.count(), 3);
            QCOMPARE(config.value(QStringLiteral("domain")), QStringLiteral("example.org"));
        }
        auto db = db::Database::open(file);
        QVERIFY(db);
        Config config(**db);
        QVERIFY(config.load());
        QCOMPARE(config.value(QStringLiteral("domain")), QStringLiteral("example.org"));
        QCOMPARE(config.intValue(QStringLiteral("cache.bytes"), 0), qint64(1) << 33);
        QCOMPARE(config.intValue(QStringLiteral("domain"), -1), -1); // not a number: fallback
        QCOMPARE(config.all().size(), 2);
        QVERIFY(config.remove(QStringLiteral("domain")));
        QVERIFY(!config.contains(QStringLiteral("domain")));
    }

    void readsComeFromRam() {
        auto db = db::Database::open(m_dir.filePath(QStringLiteral("ram.db")));
        QVERIFY(db);
        Config config(**db);
        QVERIFY(config.load());
        QVERIFY(config.set(QStringLiteral("k"), QStringLiteral("v")));
        // Change the row behind Config's back: reads keep the value held in RAM.
        QVERIFY((*db)->writer().submitSql("UPDATE config SET value = 'changed'").result());
        QCOMPARE(config.value(QStringLiteral("k")), QStringLiteral("v"));
    }

    void rejectsBadKeysAndKeepsRamOnFailure() {
        auto db = db::Database::open(m_dir.filePath(QStringLiteral("bad.db")));
        QVERIFY(db);
        Config config(**db);
        QVERIFY(config.load());
        QVERIFY(!config.set(QString(), QStringLiteral("x")));
        QVERIFY(!config.set(QString(201, u'k'), QStringLiteral("x")));
        QVERIFY(config.all().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
