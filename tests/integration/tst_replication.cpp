// What Litestream needs from Fazt, proven without Litestream (it is not in Debian): an outside
// process holding a long read transaction on fazt.db, as Litestream does to replicate the
// WAL, while the real server takes writes (deploys, analytics flushes). Neither side sees an
// error, the reader's snapshot stays as it was, the WAL is never reset under it, and once it
// lets go the server folds the WAL back and truncates it within a few seconds.

#include "db/connection.h"
#include "support/faztprocess.h"
#include "support/serversetup.h"
#include "tlstestsupport.h"

#include <QFileInfo>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace fazt;
using namespace fazt::test;

class TestReplication : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    FaztProcess m_server;
    QString m_db;
    QByteArray m_token;

    qint64 walBytes() const { return QFileInfo(m_db + QStringLiteral("-wal")).size(); }

    // A deploy of a folder with `bytes` of fresh random content, through `fazt deploy`.
    int deploy(const QString &site, qint64 bytes) {
        QByteArray content(bytes, Qt::Uninitialized);
        QRandomGenerator::global()->fillRange(reinterpret_cast<quint32 *>(content.data()),
                                              bytes / 4);
        writeFile(m_dir.filePath(QStringLiteral("site/data.bin")), content);
        writeFile(m_dir.filePath(QStringLiteral("site/index.html")), "<h1>hello</h1>");
        QByteArray err;
        const int code = runTool(qEnvironmentVariable("FAZT_BIN"),
                                 {QStringLiteral("deploy"), m_dir.filePath(QStringLiteral("site")),
                                  QStringLiteral("--site"), site, QStringLiteral("--server"),
                                  QStringLiteral("http://127.0.0.1:%1").arg(m_server.port()),
                                  QStringLiteral("--token"), QString::fromLatin1(m_token)},
                                 nullptr, &err);
        if (code != 0)
            qWarning("deploy failed: %s", err.constData());
        return code;
    }

    // Page views, then the analytics written at once (POST /api/stats/flush).
    void trafficAndFlush() {
        for (int i = 0; i < 20; ++i)
            QCOMPARE(fetch(m_server.port(), "demo.localhost", "/").status, 200);
        QCOMPARE(callJson(m_server.port(), "POST", "/api/stats/flush", m_token).status, 200);
    }

    // Waits for the WAL to be truncated to nothing; true if it was within `timeoutMs`.
    bool walEmptied(int timeoutMs) {
        QElapsedTimer timer;
        timer.start();
        while (walBytes() > 0 && timer.elapsed() < timeoutMs)
            QTest::qWait(100);
        return walBytes() == 0;
    }

private Q_SLOTS:
    void initTestCase() {
        m_db = m_dir.filePath(QStringLiteral("fazt.db"));
        QVERIFY(initDatabase(m_db, QStringLiteral("localhost")));
        m_token = createToken(m_db, "replication", "admin");
        QVERIFY(m_server.start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), m_db}));
    }

    void cleanupTestCase() { QCOMPARE(m_server.stop(), 0); }

    // Without any outside reader, a quiet server leaves no WAL behind.
    void quietServerTruncatesTheWal() {
        QCOMPARE(deploy(QStringLiteral("first"), 256 * 1024), 0);
        QVERIFY(walEmptied(15000));
    }

    void longReaderBlocksNothingAndTheWalShrinksAfter() {
        auto reader = db::Connection::open(m_db, db::OpenMode::ReadOnly);
        QVERIFY(reader);
        db::Connection &c = **reader;
        QVERIFY(c.exec("BEGIN"));
        const auto deploysSeen = c.queryInt("SELECT count(*) FROM deploys");
        QVERIFY(deploysSeen);

        // Writes of every kind while the reader holds its snapshot: all succeed.
        for (int i = 0; i < 4; ++i) {
            QCOMPARE(deploy(QStringLiteral("held%1").arg(i), 512 * 1024), 0);
            trafficAndFlush();
        }
        const qint64 grown = walBytes();
        QVERIFY2(grown > 1024 * 1024, qPrintable(QString::number(grown)));
        // Quiet for longer than the server waits before it checkpoints: still the reader's
        // WAL, never reset under it, and its snapshot is the one it began with.
        QTest::qWait(2500);
        QVERIFY(walBytes() >= grown);
        QCOMPARE(*c.queryInt("SELECT count(*) FROM deploys"), *deploysSeen);
        QVERIFY(c.exec("COMMIT"));
        // Once it lets go, a fresh read sees every deploy, and the WAL is folded back and
        // truncated without another write to prompt it.
        QCOMPARE(*c.queryInt("SELECT count(*) FROM deploys"), *deploysSeen + 4);
        reader->reset();
        QVERIFY2(walEmptied(20000), qPrintable(QString::number(walBytes())));

        // The server said nothing was wrong, and the file is whole.
        const QByteArray said = m_server.process().readAllStandardError();
        for (const char *trouble : {"busy", "locked", "fail", "error", "Error"})
            QVERIFY2(!said.contains(trouble), said.constData());
        QByteArray check;
        QCOMPARE(runTool(QStringLiteral("sqlite3"), {m_db, QStringLiteral("PRAGMA quick_check")},
                         &check),
                 0);
        QCOMPARE(check.trimmed(), QByteArray("ok"));
    }
};

QTEST_GUILESS_MAIN(TestReplication)
#include "tst_replication.moc"
