// Database: the file, its pragmas, its migrations, its readers, and online backup.

#include "db/database.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <thread>

using namespace fazt;
using fazt::db::Connection;
using fazt::db::Database;

class TestDatabase : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString path(const char *name) const { return m_dir.filePath(QString::fromLatin1(name)); }

private Q_SLOTS:
    void createsFileWithPragmas() {
        auto db = Database::open(path("pragmas.db"));
        QVERIFY2(db, db ? "" : qPrintable(db.error().message));
        Connection &r = (*db)->reader();
        QCOMPARE(*r.queryInt("PRAGMA auto_vacuum"), 2); // INCREMENTAL
        QCOMPARE(*r.queryInt("PRAGMA foreign_keys"), 1);
        QCOMPARE(*r.queryInt("PRAGMA synchronous"), 1); // NORMAL
        QCOMPARE(*r.queryInt("PRAGMA busy_timeout"), 5000);
        QCOMPARE(*r.queryInt("PRAGMA mmap_size"), 0);
        auto mode = r.prepare("PRAGMA journal_mode");
        QVERIFY(mode && mode->next());
        QCOMPARE(mode->text(0), QStringLiteral("wal"));
        QCOMPARE(*r.queryInt("PRAGMA wal_autocheckpoint"), 1000); // left at SQLite's default
    }

    void appliesEveryMigrationOnce() {
        const QString file = path("migrated.db");
        {
            auto db = Database::open(file);
            QVERIFY(db);
            QVERIFY(Database::latestSchemaVersion() >= 1);
            QCOMPARE((*db)->schemaVersion(), Database::latestSchemaVersion());
            QCOMPARE(*(*db)->reader().queryInt("PRAGMA user_version"),
                     Database::latestSchemaVersion());
            QVERIFY((*db)->reader().queryInt("SELECT count(*) FROM sites"));
        }
        auto reopened = Database::open(file); // applying again must be a no-op, not an error
        QVERIFY2(reopened, reopened ? "" : qPrintable(reopened.error().message));
    }

    void refusesDatabaseFromNewerFazt() {
        const QString file = path("newer.db");
        {
            auto db = Database::open(file);
            QVERIFY(db);
            QVERIFY((*db)->writer().run(
                [](Connection &c) { return c.exec("PRAGMA user_version=999"); }));
        }
        auto db = Database::open(file);
        QVERIFY(!db);
        QCOMPARE(db.error().code, Error::Code::Unsupported);
        QVERIFY2(db.error().message.contains(QStringLiteral("newer Fazt")),
                 qPrintable(db.error().message));
        QVERIFY(db.error().message.contains(QStringLiteral("999")));
    }

    void refusesFileThatIsNotADatabase() {
        const QString file = path("garbage.db");
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(QByteArray(8192, 'x'));
        f.close();
        auto db = Database::open(file);
        QVERIFY(!db);
        QVERIFY2(db.error().message.contains(QStringLiteral("not a Fazt database")),
                 qPrintable(db.error().message));
    }

    void refusesMissingDirectoryWithHint() {
        auto db = Database::open(path("no/such/dir/fazt.db"));
        QVERIFY(!db);
        QVERIFY(db.error().message.contains(QStringLiteral("does not exist")));
    }

    void readersAreReadOnlyAndPerThread() {
        auto db = Database::open(path("readers.db"));
        QVERIFY(db);
        Connection &mine = (*db)->reader();
        QCOMPARE(&(*db)->reader(), &mine); // same thread, same connection
        Status write = mine.exec("INSERT INTO config(key, value, updated_at) VALUES ('a', 'b', 0)");
        QVERIFY(!write); // query_only
        Connection *other = nullptr;
        std::thread([&] { other = &(*db)->reader(); }).join();
        QVERIFY(other && other != &mine);
    }

    // Text is bound through one reused buffer: every value arrives whole and on its own,
    // whatever came before it (longer, non-ASCII, or ending in a lone surrogate).
    void boundTextArrivesIntact() {
        auto c = Connection::open(path("bind.db"), db::OpenMode::ReadWrite);
        QVERIFY(c);
        auto select = (*c)->prepare("SELECT ?");
        QVERIFY(select);
        const QChar replacement(QChar::ReplacementCharacter);
        const QList<std::pair<QString, QString>> values = {
            {QString(QStringLiteral("x")).repeated(100000), {}},
            {QStringLiteral("short"), {}},
            {QString(), {}},
            {QStringLiteral("Größe 日本 😀"), {}},
            {QStringLiteral("a") + QChar(0xD800), QStringLiteral("a") + replacement},
            {QChar(0xDC00) + QStringLiteral(" after"), replacement + QStringLiteral(" after")},
        };
        for (const auto &[value, replaced] : values) {
            select->bind(1, value);
            QVERIFY(select->next());
            QCOMPARE(select->text(0), replaced.isEmpty() ? value : replaced);
            (void)select->exec();
        }
    }

    // A backup taken while the WriteQueue keeps committing is consistent and complete up to
    // the moment it was taken.
    void backupWhileWritingIsConsistent() {
        auto db = Database::open(path("live.db"));
        QVERIFY(db);
        Database &d = **db;
        QVERIFY(d.writer().run([](Connection &c) {
            return c.exec("CREATE TABLE counter(n INTEGER PRIMARY KEY, payload BLOB)");
        }));
        std::atomic<bool> stop{false};
        std::atomic<int> written{0};
        std::thread writer([&] {
            while (!stop) {
                const int n = written.load() + 1;
                Status s = d.writer().run([n](Connection &c) -> Status {
                    auto st =
                        c.prepare("INSERT INTO counter(n, payload) VALUES (?, zeroblob(4096))");
                    if (!st)
                        return st.error();
                    return st->bindAll(n).exec();
                });
                if (s)
                    written = n;
            }
        });
        QTRY_VERIFY(written > 200);
        const QString copy = path("backup.db");
        const int before = written;
        QVERIFY(d.backup(copy));
        const int after = written;
        QTRY_VERIFY(written > after + 50); // writes went on during and after the backup
        stop = true;
        writer.join();

        QVERIFY(!QFile::exists(copy + QStringLiteral(".partial")));
        Status integrity = Database::checkIntegrity(copy);
        QVERIFY2(integrity, integrity ? "" : qPrintable(integrity.error().message));
        auto backup = Database::open(copy);
        QVERIFY(backup);
        const qint64 rows = *(*backup)->reader().queryInt("SELECT count(*) FROM counter");
        const qint64 max = *(*backup)->reader().queryInt("SELECT max(n) FROM counter");
        QVERIFY2(rows >= before && rows <= after + 1, qPrintable(QString::number(rows)));
        QCOMPARE(rows, max); // no gap: a snapshot, not a mix
    }

    void backupRefusesToOverwriteItself() {
        auto db = Database::open(path("self.db"));
        QVERIFY(db);
        QVERIFY(!(*db)->backup(path("self.db")));
        QVERIFY(!(*db)->backup(path("missing-dir/x.db")));
    }
};

QTEST_GUILESS_MAIN(TestDatabase)
#include "tst_database.moc"
