// WriteQueue: the only writer. Results, batching, isolation of failures, back-pressure, and
// readers running beside it.

#include "db/database.h"

#include <QSemaphore>
#include <QTemporaryDir>
#include <QTest>

#include <atomic>
#include <thread>

using namespace fazt;
using fazt::db::Connection;
using fazt::db::Database;
using fazt::db::WriteQueue;

namespace {

Status insert(Connection &c, qint64 n) {
    auto st = c.prepare("INSERT INTO t(n) VALUES (?)");
    if (!st)
        return st.error();
    return st->bindAll(n).exec();
}

} // namespace

class TestWriteQueue : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<Database> m_db;

    Database &db() { return *m_db; }
    qint64 count(const char *sql = "SELECT count(*) FROM t") {
        return *db().reader().queryInt(sql);
    }

private Q_SLOTS:
    void init() {
        m_db.reset();
        auto opened = Database::open(m_dir.filePath(
            QStringLiteral("%1.db").arg(QString::fromLatin1(QTest::currentTestFunction()))));
        QVERIFY(opened);
        m_db = std::move(*opened);
        QVERIFY(db().writer().run(
            [](Connection &c) { return c.exec("CREATE TABLE t(n INTEGER PRIMARY KEY)"); }));
    }

    void returnsValuesAfterCommit() {
        auto future = db().writer().submit([](Connection &c) -> Result<qint64> {
            if (Status s = insert(c, 7); !s)
                return s.error();
            return c.lastInsertRowId();
        });
        const Result<qint64> r = future.result();
        QVERIFY(r);
        QCOMPARE(*r, 7);
        QCOMPARE(count(), 1); // visible to readers once the future resolved
    }

    void failingWriteFailsAloneInItsBatch() {
        // Block the writer so that the next jobs queue up and run as one batch.
        QSemaphore gate;
        auto blocker = db().writer().submit([&](Connection &) -> Status {
            gate.acquire();
            return {};
        });
        QList<QFuture<Status>> futures;
        for (int n = 1; n <= 10; ++n)
            futures.append(db().writer().submit([n](Connection &c) { return insert(c, n); }));
        futures.append(
            db().writer().submit([](Connection &c) { return insert(c, 3); })); // duplicate key
        futures.append(db().writer().submit([](Connection &c) -> Status {
            if (Status s = insert(c, 100); !s)
                return s;
            return Error::invalid(QStringLiteral("changed my mind")); // half-done work is undone
        }));
        const auto before = db().writer().counters();
        gate.release();
        QVERIFY(blocker.result());
        for (int i = 0; i < 10; ++i)
            QVERIFY(futures[i].result());
        const Status duplicate = futures[10].result();
        QVERIFY(!duplicate);
        QCOMPARE(duplicate.error().code, Error::Code::Conflict);
        QCOMPARE(futures[11].result().error().message, QStringLiteral("changed my mind"));
        QCOMPARE(count(), 10);
        QCOMPARE(count("SELECT count(*) FROM t WHERE n = 100"), 0);
        const auto after = db().writer().counters();
        QVERIFY2(after.transactions - before.transactions <= 2,
                 "12 queued writes should commit in one batch");
        QCOMPARE(after.failedJobs - before.failedJobs, 2u);
    }

    void fullQueueAnswersBusy() {
        db::WriteQueue::Options options;
        options.maxDepth = 5;
        auto opened = Database::open(m_dir.filePath(QStringLiteral("small-queue.db")),
                                     Database::Options{1024, 1024, options});
        QVERIFY(opened);
        Database &small = **opened;
        QSemaphore gate;
        QSemaphore started;
        auto blocker = small.writer().submit([&](Connection &) -> Status {
            started.release();
            gate.acquire();
            return {};
        });
        started.acquire(); // the blocker left the queue and runs
        QList<QFuture<Status>> accepted;
        for (int i = 0; i < 5; ++i)
            accepted.append(small.writer().submit([](Connection &) -> Status { return {}; }));
        QCOMPARE(small.writer().depth(), 5);
        const Status refused =
            small.writer().submit([](Connection &) -> Status { return {}; }).result();
        QVERIFY(!refused);
        QCOMPARE(refused.error().code, Error::Code::Busy);
        QVERIFY(refused.error().message.contains(QStringLiteral("Retry")));
        QCOMPARE(small.writer().counters().rejected, 1u);
        gate.release();
        for (auto &f : accepted)
            QVERIFY(f.result());
    }

    void exceptionInAJobBecomesAnError() {
        const Status s =
            db().writer().run([](Connection &) -> Status { throw std::runtime_error("boom"); });
        QVERIFY(!s);
        QCOMPARE(s.error().code, Error::Code::Internal);
        QVERIFY(db().writer().run([](Connection &c) { return insert(c, 1); })); // still alive
    }

    void submitSqlRunsStatements() {
        QVERIFY(db().writer()
                    .submitSql("INSERT INTO t(n) VALUES (1); INSERT INTO t(n) VALUES (2);")
                    .result());
        QCOMPARE(count(), 2);
        QVERIFY(!db().writer().submitSql("INSERT INTO nope VALUES (1)").result());
    }

    // Many threads write and many read at once: no SQLITE_BUSY, no lost write, and readers
    // always see a consistent prefix.
    void concurrentReadersWhileWriting() {
        constexpr int Writers = 4, PerWriter = 2500, Readers = 4;
        std::atomic<bool> done{false};
        std::atomic<int> readErrors{0}, writeErrors{0}, reads{0};
        std::vector<std::thread> threads;
        for (int w = 0; w < Writers; ++w) {
            threads.emplace_back([&, w] {
                QList<QFuture<Status>> pending;
                for (int i = 0; i < PerWriter; ++i) {
                    const qint64 n = qint64(w) * PerWriter + i + 1;
                    pending.append(
                        db().writer().submit([n](Connection &c) { return insert(c, n); }));
                    if (pending.size() >= 200) {
                        for (auto &f : pending)
                            writeErrors += f.result().ok() ? 0 : 1;
                        pending.clear();
                    }
                }
                for (auto &f : pending)
                    writeErrors += f.result().ok() ? 0 : 1;
            });
        }
        for (int r = 0; r < Readers; ++r) {
            threads.emplace_back([&] {
                qint64 last = 0;
                while (!done) {
                    auto n = db().reader().queryInt("SELECT count(*) FROM t");
                    if (!n || *n < last)
                        ++readErrors;
                    else
                        last = *n;
                    ++reads;
                }
                db().releaseReader();
            });
        }
        for (int w = 0; w < Writers; ++w)
            threads[size_t(w)].join();
        done = true;
        for (size_t i = Writers; i < threads.size(); ++i)
            threads[i].join();
        QCOMPARE(writeErrors.load(), 0);
        QCOMPARE(readErrors.load(), 0);
        QVERIFY(reads > 0);
        QCOMPARE(count(), qint64(Writers) * PerWriter);
        QVERIFY(db().writer().counters().transactions < quint64(Writers) * PerWriter);
    }

    void destructionRunsEverythingQueued() {
        const QString file = m_db->path();
        QList<QFuture<Status>> futures;
        for (int n = 1; n <= 500; ++n)
            futures.append(db().writer().submit([n](Connection &c) { return insert(c, n); }));
        m_db.reset();
        for (auto &f : futures)
            QVERIFY(f.isFinished() && f.result());
        auto reopened = Database::open(file);
        QVERIFY(reopened);
        QCOMPARE(*(*reopened)->reader().queryInt("SELECT count(*) FROM t"), 500);
    }
};

QTEST_GUILESS_MAIN(TestWriteQueue)
#include "tst_writequeue.moc"
