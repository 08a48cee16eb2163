// The real `fazt` binary: commands, help, exit codes, and what they leave in the database.

#include "db/connection.h"
#include "db/database.h"
#include "support/faztprocess.h"
#include "support/faztrun.h"
#include "vfs/vfs.h"

#include <QDir>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

using namespace fazt;

using test::Run;
using test::runFazt;

class TestCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString path(const QString &name) const { return m_dir.filePath(name); }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(qEnvironmentVariable("FAZT_BIN")),
                 "FAZT_BIN must name the fazt binary");
    }

    void helpAndUsageErrors() {
        const Run none = runFazt({});
        QCOMPARE(none.exitCode, 2);
        QVERIFY(none.err.contains(QStringLiteral("server init")));
        QCOMPARE(runFazt({QStringLiteral("--help")}).exitCode, 0);
        QVERIFY(runFazt({QStringLiteral("--version")}).out.startsWith(QStringLiteral("fazt ")));

        const Run initHelp =
            runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--help")});
        QCOMPARE(initHelp.exitCode, 0);
        QVERIFY(initHelp.out.contains(QStringLiteral("--domain")));
        for (const QStringList &cmd :
             {QStringList{QStringLiteral("server"), QStringLiteral("--help")},
              QStringList{QStringLiteral("db"), QStringLiteral("backup"), QStringLiteral("--help")},
              QStringList{QStringLiteral("db"), QStringLiteral("prune"), QStringLiteral("-h")}})
            QCOMPARE(runFazt(cmd).exitCode, 0);

        const Run unknown = runFazt({QStringLiteral("frobnicate")});
        QCOMPARE(unknown.exitCode, 2);
        QVERIFY(unknown.err.contains(QStringLiteral("unknown command 'frobnicate'")));
        QCOMPARE(runFazt({QStringLiteral("server"), QStringLiteral("explode")}).exitCode, 2);
        const Run badOption =
            runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--nope")});
        QCOMPARE(badOption.exitCode, 2);
        QVERIFY(badOption.err.contains(QStringLiteral("--help")));
        const Run noDomain = runFazt({QStringLiteral("server"), QStringLiteral("init"),
                                      QStringLiteral("--db"), path(QStringLiteral("x.db"))});
        QCOMPARE(noDomain.exitCode, 2);
        QVERIFY(noDomain.err.contains(QStringLiteral("--domain")));
        QVERIFY(!QFile::exists(path(QStringLiteral("x.db")))); // usage errors create nothing
        QCOMPARE(runFazt({QStringLiteral("db"), QStringLiteral("backup"), QStringLiteral("--db"),
                          path(QStringLiteral("x.db"))})
                     .exitCode,
                 2);
        QCOMPARE(runFazt({QStringLiteral("db"), QStringLiteral("vacuum"), QStringLiteral("extra")})
                     .exitCode,
                 2);
    }

    void initCreatesAndSeedsTheDatabase() {
        const QString db = path(QStringLiteral("nested/dir/fazt.db"));
        const Run init =
            runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                     QStringLiteral("Example.COM"), QStringLiteral("--db"), db});
        QVERIFY2(init.exitCode == 0, qPrintable(init.err));
        QVERIFY(init.out.contains(QStringLiteral("Created")));
        // A real domain gets the demo site only when asked.
        QVERIFY2(init.out.contains(QStringLiteral("no demo site on example.com (add it with "
                                                  "--demo)")),
                 qPrintable(init.out));
        {
            auto opened = db::Database::open(db);
            QVERIFY(opened);
            QVERIFY(!vfs::Vfs(**opened).site(QStringLiteral("demo")));
        }
        const Run demo = runFazt({QStringLiteral("server"), QStringLiteral("init"),
                                  QStringLiteral("--domain"), QStringLiteral("example.com"),
                                  QStringLiteral("--db"), db, QStringLiteral("--demo")});
        QCOMPARE(demo.exitCode, 0);
        QVERIFY2(demo.out.contains(QStringLiteral("site demo created")), qPrintable(demo.out));
        {
            auto opened = db::Database::open(db);
            QVERIFY(opened);
            vfs::Vfs vfs(**opened);
            auto index = vfs.resolve(QStringLiteral("demo"), QStringLiteral("index.html"));
            QVERIFY(index);
            QVERIFY(vfs.readAll(*index)->contains("Hello from Fazt"));
            QVERIFY(vfs.resolve(QStringLiteral("demo"), QStringLiteral("css/site.css")));
            QVERIFY(vfs.resolve(QStringLiteral("root"), QStringLiteral("index.html")));
            auto domain =
                (*opened)->reader().prepare("SELECT value FROM config WHERE key = 'domain'");
            QVERIFY(domain && domain->next());
            QCOMPARE(domain->text(0), QStringLiteral("example.com"));
        }
        const Run again =
            runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                     QStringLiteral("example.com"), QStringLiteral("--db"), db});
        QCOMPARE(again.exitCode, 0);
        QVERIFY(again.out.contains(QStringLiteral("already initialized")));

        const Run bad = runFazt({QStringLiteral("server"), QStringLiteral("init"),
                                 QStringLiteral("--domain"), QStringLiteral("not a domain!"),
                                 QStringLiteral("--db"), path(QStringLiteral("bad.db"))});
        QCOMPARE(bad.exitCode, 1);
        QVERIFY(bad.err.contains(QStringLiteral("not a valid domain")));
    }

    void startCreatesADatabaseOnFirstRun() {
        auto env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("FAZT_DB"), path(QStringLiteral("from-env.db")));
        test::FaztProcess server;
        QVERIFY(server.start({QStringLiteral("server"), QStringLiteral("start")}, env));
        QTRY_VERIFY(server.output().contains("site demo: http://demo.localhost:"));
        // No password yet: it says how to set one, for this very file.
        const QByteArray setCredentials =
            qgetenv("FAZT_BIN") + " server set-credentials --db " +
            QFileInfo(path(QStringLiteral("from-env.db"))).absoluteFilePath().toUtf8() +
            "', then '" + qgetenv("FAZT_BIN") + " login http://localhost:";
        QTRY_VERIFY2(server.output().contains(setCredentials), server.output().constData());
        QVERIFY(QFile::exists(path(QStringLiteral("from-env.db"))));
        QCOMPARE(test::fetch(server.port(), "demo.localhost", "/").status, 200);
        QCOMPARE(server.stop(), 0);
    }

    void credentialsAndTokens() {
        const QString db = path(QStringLiteral("auth.db"));
        QCOMPARE(
            runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                     QStringLiteral("localhost"), QStringLiteral("--db"), db})
                .exitCode,
            0);
        const QString shortPassword = path(QStringLiteral("short"));
        QFile f(shortPassword);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("short\n");
        f.close();
        const Run tooShort =
            runFazt({QStringLiteral("server"), QStringLiteral("set-credentials"),
                     QStringLiteral("--db"), db, QStringLiteral("--password-file"), shortPassword});
        QCOMPARE(tooShort.exitCode, 1);
        QVERIFY(tooShort.err.contains(QStringLiteral("8 to 1024")));
        QCOMPARE(runFazt({QStringLiteral("server"), QStringLiteral("set-credentials"),
                          QStringLiteral("--db"), db})
                     .exitCode,
                 2); // no tty, no file
        QCOMPARE(runFazt({QStringLiteral("server"), QStringLiteral("set-credentials"),
                          QStringLiteral("--db"), db, QStringLiteral("--password-file"),
                          path(QStringLiteral("missing"))})
                     .exitCode,
                 1);
        const Run token =
            runFazt({QStringLiteral("server"), QStringLiteral("create-token"),
                     QStringLiteral("--name"), QStringLiteral("ci"), QStringLiteral("--scopes"),
                     QStringLiteral("read,deploy"), QStringLiteral("--db"), db});
        QCOMPARE(token.exitCode, 0);
        QVERIFY(token.out.trimmed().startsWith(QStringLiteral("fazt_")));
        QVERIFY(token.err.contains(QStringLiteral("shown once")));
        const Run badScope =
            runFazt({QStringLiteral("server"), QStringLiteral("create-token"),
                     QStringLiteral("--name"), QStringLiteral("x"), QStringLiteral("--scopes"),
                     QStringLiteral("root"), QStringLiteral("--db"), db});
        QCOMPARE(badScope.exitCode, 2);
        QVERIFY(badScope.err.contains(QStringLiteral("Unknown scope 'root'")));
        QCOMPARE(runFazt({QStringLiteral("server"), QStringLiteral("create-token"),
                          QStringLiteral("--db"), db})
                     .exitCode,
                 2);
    }

    void dbCommands() {
        const QString db = path(QStringLiteral("ops.db"));
        QCOMPARE(
            runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                     QStringLiteral("localhost"), QStringLiteral("--db"), db})
                .exitCode,
            0);
        const QString copy = path(QStringLiteral("backup.db"));
        const Run backup = runFazt(
            {QStringLiteral("db"), QStringLiteral("backup"), copy, QStringLiteral("--db"), db});
        QVERIFY2(backup.exitCode == 0, qPrintable(backup.err));
        QVERIFY(db::Database::checkIntegrity(copy));
        {
            auto opened = db::Database::open(copy);
            QVERIFY(opened);
            QCOMPARE(vfs::Vfs(**opened).sites()->size(), 3); // root, demo, admin
        }
        const Run prune =
            runFazt({QStringLiteral("db"), QStringLiteral("prune"), QStringLiteral("--db"), db});
        QCOMPARE(prune.exitCode, 0);
        QVERIFY2(prune.out.contains(QStringLiteral("0 unreferenced blobs")), qPrintable(prune.out));
        QVERIFY2(prune.out.contains(QStringLiteral("audit entries older than 90 days")),
                 qPrintable(prune.out));
        QCOMPARE(
            runFazt({QStringLiteral("db"), QStringLiteral("vacuum"), QStringLiteral("--db"), db})
                .exitCode,
            0);

        const Run missing = runFazt({QStringLiteral("db"), QStringLiteral("prune"),
                                     QStringLiteral("--db"), path(QStringLiteral("none.db"))});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY(missing.err.contains(QStringLiteral("fazt server init")));
        QVERIFY(!QFile::exists(path(QStringLiteral("none.db"))));
        const Run noDir =
            runFazt({QStringLiteral("db"), QStringLiteral("backup"),
                     path(QStringLiteral("no/dir/b.db")), QStringLiteral("--db"), db});
        QCOMPARE(noDir.exitCode, 1);
        QVERIFY(noDir.err.contains(QStringLiteral("does not exist")));
    }

    void serverStatusSaysWhetherItRuns() {
        const QString db = path(QStringLiteral("status.db"));
        QCOMPARE(
            runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                     QStringLiteral("example.com"), QStringLiteral("--db"), db})
                .exitCode,
            0);
        test::FaztProcess server;
        QVERIFY(server.start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db}));
        const QString port = QString::number(server.port());
        const Run running = runFazt({QStringLiteral("server"), QStringLiteral("status"),
                                     QStringLiteral("--db"), db, QStringLiteral("--port"), port});
        QCOMPARE(running.exitCode, 0);
        QVERIFY2(running.out.contains(
                     QStringLiteral("running on port %1: version " FAZT_VERSION ", up ").arg(port)),
                 qPrintable(running.out));
        QVERIFY2(running.out.contains(QStringLiteral("domain example.com, 0 sites")),
                 qPrintable(running.out));
        QVERIFY(running.out.contains(QStringLiteral("none tripped")));
        const Run json =
            runFazt({QStringLiteral("server"), QStringLiteral("status"), QStringLiteral("--db"), db,
                     QStringLiteral("--port"), port, QStringLiteral("--json")});
        QCOMPARE(json.exitCode, 0);
        QVERIFY(json.out.contains(QStringLiteral("\"running\": true")));

        QCOMPARE(server.stop(), 0);
        const Run stopped = runFazt({QStringLiteral("server"), QStringLiteral("status"),
                                     QStringLiteral("--db"), db, QStringLiteral("--port"), port});
        QCOMPARE(stopped.exitCode, 1);
        QVERIFY(stopped.out.contains(QStringLiteral("not answering on port ") + port));
        QCOMPARE(
            runFazt({QStringLiteral("server"), QStringLiteral("status"), QStringLiteral("--db"), db,
                     QStringLiteral("--port"), QStringLiteral("http")})
                .exitCode,
            2);
        const Run noDb = runFazt({QStringLiteral("server"), QStringLiteral("status"),
                                  QStringLiteral("--db"), path(QStringLiteral("nothing.db"))});
        QCOMPARE(noDb.exitCode, 1);
        QVERIFY(!QFile::exists(path(QStringLiteral("nothing.db"))));
    }

    void upgradeKeepsACopyAndRestoreSwapsItBack() {
        const QString db = path(QStringLiteral("upgrade.db"));
        QCOMPARE(
            runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                     QStringLiteral("old.example"), QStringLiteral("--db"), db})
                .exitCode,
            0);
        const int latest = db::Database::latestSchemaVersion();
        {
            // As an older fazt left it: without the last migration's table (0011, deploy jobs).
            auto opened = db::Database::open(db);
            QVERIFY(opened);
            QVERIFY((*opened)
                        ->writer()
                        .submitSql("DROP TABLE deploy_jobs; PRAGMA user_version = " +
                                   std::to_string(latest - 1))
                        .result());
        }
        const QString kept = db::Database::upgradeBackupPath(db, latest - 1);
        QVERIFY(!QFile::exists(kept));
        // Any command that opens the database migrates it, after keeping a copy.
        QCOMPARE(
            runFazt({QStringLiteral("db"), QStringLiteral("vacuum"), QStringLiteral("--db"), db})
                .exitCode,
            0);
        QVERIFY(QFile::exists(kept));
        QCOMPARE(QFile::permissions(kept) & 0x0077, QFileDevice::Permissions());
        QVERIFY(db::Database::checkIntegrity(kept));
        const auto schemaOf = [](const QString &file) {
            auto c = db::Connection::open(file, db::OpenMode::ReadOnly);
            return c ? (*c)->queryInt("PRAGMA user_version").value() : -1;
        };
        QCOMPARE(schemaOf(kept), qint64(latest - 1));
        QCOMPARE(schemaOf(db), qint64(latest));
        QCOMPARE(
            runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                     QStringLiteral("new.example"), QStringLiteral("--db"), db})
                .exitCode,
            0);

        // Not while a server has it open.
        {
            test::FaztProcess server;
            QVERIFY(server.start(
                {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db}));
            const Run refused = runFazt({QStringLiteral("db"), QStringLiteral("restore"), kept,
                                         QStringLiteral("--db"), db});
            QCOMPARE(refused.exitCode, 1);
            QVERIFY2(refused.err.contains(QStringLiteral("Stop it first")),
                     qPrintable(refused.err));
            QCOMPARE(server.stop(), 0);
        }
        const Run garbage =
            runFazt({QStringLiteral("db"), QStringLiteral("restore"),
                     QStringLiteral(FAZT_SOURCE_DIR "/README.md"), QStringLiteral("--db"), db});
        QCOMPARE(garbage.exitCode, 1);
        QCOMPARE(schemaOf(db), qint64(latest));

        const Run restored = runFazt(
            {QStringLiteral("db"), QStringLiteral("restore"), kept, QStringLiteral("--db"), db});
        QCOMPARE(restored.exitCode, 0);
        QVERIFY(restored.out.contains(QStringLiteral("the file it replaced is kept as ")));
        QCOMPARE(schemaOf(db), qint64(latest - 1));
        const Run status = runFazt({QStringLiteral("server"), QStringLiteral("status"),
                                    QStringLiteral("--db"), db, QStringLiteral("--json")});
        QVERIFY2(status.out.contains(QStringLiteral("\"domain\": \"old.example\"")),
                 qPrintable(status.out));
        QStringList replaced =
            QDir(m_dir.path()).entryList({QStringLiteral("upgrade.db.before-restore-*")});
        QCOMPARE(replaced.size(), 1);
        QCOMPARE(schemaOf(m_dir.filePath(replaced.first())), qint64(latest));
    }

    void serviceCommandsSayWhatIsMissing() {
        const Run badLines = runFazt({QStringLiteral("service"), QStringLiteral("logs"),
                                      QStringLiteral("--lines"), QStringLiteral("many")});
        QCOMPARE(badLines.exitCode, 2);
        QVERIFY(badLines.err.contains(QStringLiteral("--lines takes a number")));
        QCOMPARE(
            runFazt({QStringLiteral("service"), QStringLiteral("install"), QStringLiteral("extra")})
                .exitCode,
            2);
        // Only where it cannot change anything: no systemd runs here.
        if (QFileInfo(QStringLiteral("/run/systemd/system")).isDir())
            QSKIP("systemd runs on this machine: 'service install' would install the service");
        for (const char *command : {"install", "uninstall", "status"}) {
            const Run run = runFazt({QStringLiteral("service"), QLatin1String(command)});
            QCOMPARE(run.exitCode, 1);
            QVERIFY2(run.err.contains(QStringLiteral("systemd is not running")),
                     qPrintable(run.err));
        }
    }

    void refusesADatabaseFromANewerFazt() {
        const QString db = path(QStringLiteral("future.db"));
        {
            auto opened = db::Database::open(db);
            QVERIFY(opened);
            QVERIFY((*opened)->writer().submitSql("PRAGMA user_version = 4242").result());
        }
        const Run run =
            runFazt({QStringLiteral("db"), QStringLiteral("prune"), QStringLiteral("--db"), db});
        QCOMPARE(run.exitCode, 1);
        QVERIFY2(run.err.contains(QStringLiteral("newer Fazt")), qPrintable(run.err));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
