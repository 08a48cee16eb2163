// Deploys as jobs, against the real server: the upload is answered at once and the job is
// followed to its end; the same Idempotency-Key makes one deploy; SIGTERM answers an upload in
// flight before the server exits; a restart after kill -9 marks the interrupted deploy
// abandoned and frees its blobs; the WAL is cut back after a big deploy; the client never
// sends a deploy twice by itself; `fazt deploy --spa`; .gitignore and .faztignore.

#include "archive/archivewriter.h"
#include "client/apiclient.h"
#include "db/connection.h"
#include "support/faztprocess.h"
#include "support/serversetup.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace fazt;
using fazt::test::FaztProcess;
using fazt::test::HttpResponse;
using fazt::test::RawClient;

namespace {

qint64 count(const QString &db, const char *sql) {
    auto c = db::Connection::open(db, db::OpenMode::ReadOnly);
    if (!c)
        return -1;
    auto n = (*c)->queryInt(sql);
    return n ? *n : -1;
}

} // namespace

class TestDeployJobs : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QString m_db;
    QByteArray m_token;
    std::unique_ptr<FaztProcess> m_server;
    QByteArray m_small; // a tar.gz of two files
    QByteArray m_big;   // a tar.gz of many incompressible files

    QString path(const QString &name) const { return m_dir.filePath(name); }

    bool startServer() {
        m_server = std::make_unique<FaztProcess>(); // a fresh one: the output names the port
        return m_server->start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), m_db});
    }

    // A folder of `files` files of `size` random bytes each (and an index.html), packed.
    QByteArray packed(const QString &name, int files, qsizetype size) {
        const QString folder = path(name);
        test::writeFile(folder + QStringLiteral("/index.html"), "<h1>" + name.toUtf8() + "</h1>");
        for (int i = 0; i < files; ++i)
            test::writeFile(folder + QStringLiteral("/data/%1.bin").arg(i),
                            test::randomBytes(size, quint32(i + 1)));
        const QString archivePath = path(name + QStringLiteral(".tar.gz"));
        if (!archive::packDirectory(folder, archivePath, {}))
            return {};
        QFile file(archivePath);
        return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
    }

    HttpResponse upload(const QByteArray &site, const QByteArray &body,
                        const QList<QByteArray> &headers = {}) {
        return test::call(m_server->port(), "POST", "/api/sites/" + site + "/deploys", m_token,
                          body, headers);
    }

    // Polls the job until it ends; returns its last state.
    QJsonObject follow(const QString &url, QStringList *seen = nullptr) {
        QJsonObject job;
        for (int i = 0; i < 600; ++i) {
            job = test::jsonBody(test::call(m_server->port(), "GET", url.toUtf8(), m_token));
            const QString state = job.value(QStringLiteral("state")).toString();
            if (seen && (seen->isEmpty() || seen->last() != state))
                seen->append(state);
            if (state != QLatin1String("storing") && state != QLatin1String("activating"))
                return job;
            QTest::qWait(50);
        }
        return job;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(qEnvironmentVariable("FAZT_BIN")),
                 "FAZT_BIN must name the fazt binary");
        m_db = path(QStringLiteral("fazt.db"));
        QVERIFY(test::initDatabase(m_db, QStringLiteral("example.com")));
        m_token = test::createToken(m_db, "ci", "admin");
        QVERIFY(!m_token.isEmpty());
        m_small = packed(QStringLiteral("small"), 1, 1000);
        m_big = packed(QStringLiteral("big"), 120, 300 << 10); // 36 MB, incompressible
        QVERIFY(!m_small.isEmpty() && !m_big.isEmpty());
        QVERIFY2(startServer(), m_server->output().constData());
    }

    void cleanupTestCase() { QCOMPARE(m_server->stop(), 0); }

    // Prefer: respond-async: 202 at once with the job and where to follow it; the job goes
    // through storing to done, with the deploy and its progress counted.
    void uploadAnsweredAtOnceAndFollowed() {
        const HttpResponse accepted = upload("follow", m_small, {"Prefer: respond-async"});
        QCOMPARE(accepted.status, 202);
        const QJsonObject job = test::jsonBody(accepted);
        const QString url = job.value(QStringLiteral("url")).toString();
        QCOMPARE(accepted.header("Location"), url.toUtf8());
        QVERIFY2(url.startsWith(QStringLiteral("/api/sites/follow/deploy-jobs/")), accepted.body);
        QVERIFY(QStringList({QStringLiteral("storing"), QStringLiteral("activating"),
                             QStringLiteral("done")})
                    .contains(job.value(QStringLiteral("state")).toString()));

        const QJsonObject end = follow(url);
        QCOMPARE(end.value(QStringLiteral("state")).toString(), QStringLiteral("done"));
        const QJsonObject progress = end.value(QStringLiteral("progress")).toObject();
        QCOMPARE(progress.value(QStringLiteral("files")).toInt(), 2);
        QCOMPARE(progress.value(QStringLiteral("filesTotal")).toInt(), 2);
        QCOMPARE(progress.value(QStringLiteral("bytes")).toInteger(),
                 progress.value(QStringLiteral("bytesTotal")).toInteger());
        const QJsonObject deploy = end.value(QStringLiteral("deploy")).toObject();
        QCOMPARE(deploy.value(QStringLiteral("fileCount")).toInt(), 2);
        QVERIFY(deploy.value(QStringLiteral("isActive")).toBool());
        QCOMPARE(test::fetch(m_server->port(), "follow.example.com", "/").body,
                 QByteArray("<h1>small</h1>"));

        // Listed with the site's recent jobs; another site's job is not found here.
        const QJsonObject list = test::jsonBody(
            test::call(m_server->port(), "GET", "/api/sites/follow/deploy-jobs", m_token));
        QCOMPARE(list.value(QStringLiteral("jobs"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QStringLiteral("url")),
                 QJsonValue(url));
        QCOMPARE(test::call(m_server->port(), "GET", url.toUtf8().replace("/follow/", "/other/"),
                            m_token)
                     .status,
                 404);
        QCOMPARE(
            test::call(m_server->port(), "GET", "/api/sites/follow/deploy-jobs/x", m_token).status,
            400);
    }

    // A broken archive: the job fails with the reason; without Prefer, the old synchronous
    // answer (400) comes as before.
    void failedJobSaysWhy() {
        const HttpResponse accepted =
            upload("broken", "this is not an archive", {"Prefer: respond-async"});
        QCOMPARE(accepted.status, 202);
        const QJsonObject end =
            follow(test::jsonBody(accepted).value(QStringLiteral("url")).toString());
        QCOMPARE(end.value(QStringLiteral("state")).toString(), QStringLiteral("failed"));
        const QJsonObject error = end.value(QStringLiteral("error")).toObject();
        QCOMPARE(error.value(QStringLiteral("status")).toInt(), 400);
        QCOMPARE(error.value(QStringLiteral("code")).toString(), QStringLiteral("invalid_archive"));
        QVERIFY(!error.value(QStringLiteral("message")).toString().isEmpty());

        const HttpResponse sync = upload("broken", "this is not an archive");
        QCOMPARE(sync.status, 400);
        QVERIFY2(sync.body.contains("invalid_archive"), sync.body);
        QCOMPARE(test::fetch(m_server->port(), "broken.example.com", "/").status, 404);
    }

    // The same upload sent twice with the same key makes one deploy, whether the client
    // follows the job or waits for the end; another key makes another.
    void idempotencyKeyMakesOneDeploy() {
        const auto deploys = [this] {
            return test::jsonBody(
                       test::call(m_server->port(), "GET", "/api/sites/idem/deploys", m_token))
                .value(QStringLiteral("deploys"))
                .toArray()
                .size();
        };
        const HttpResponse first =
            upload("idem", m_small, {"Prefer: respond-async", "Idempotency-Key: key-1"});
        QCOMPARE(first.status, 202);
        const QJsonObject end =
            follow(test::jsonBody(first).value(QStringLiteral("url")).toString());
        QCOMPARE(end.value(QStringLiteral("state")).toString(), QStringLiteral("done"));
        const HttpResponse again =
            upload("idem", m_small, {"Prefer: respond-async", "Idempotency-Key: key-1"});
        QCOMPARE(again.status, 202);
        QCOMPARE(test::jsonBody(again).value(QStringLiteral("id")),
                 test::jsonBody(first).value(QStringLiteral("id")));
        const HttpResponse syncAgain = upload("idem", m_small, {"Idempotency-Key: key-1"});
        QCOMPARE(syncAgain.status, 201);
        QCOMPARE(test::jsonBody(syncAgain).value(QStringLiteral("id")),
                 end.value(QStringLiteral("deploy")).toObject().value(QStringLiteral("id")));
        QCOMPARE(deploys(), 1);

        QCOMPARE(upload("idem", m_small, {"Idempotency-Key: key-2"}).status, 201);
        QCOMPARE(deploys(), 2);

        const HttpResponse tooLong =
            upload("idem", m_small, {"Idempotency-Key: " + QByteArray(300, 'k')});
        QCOMPARE(tooLong.status, 400);
        QVERIFY2(tooLong.body.contains("Idempotency-Key"), tooLong.body);
        QCOMPARE(deploys(), 2);
    }

    // SIGTERM while an upload's body is still arriving: the client gets a 503 that says what
    // happened, and the server then exits cleanly.
    void sigtermAnswersTheUploadInFlight() {
        const QString db = path(QStringLiteral("sigterm.db"));
        QVERIFY(test::initDatabase(db, QStringLiteral("example.com")));
        const QByteArray token = test::createToken(db, "t", "admin");
        FaztProcess server;
        QVERIFY2(server.start({QStringLiteral("server"), QStringLiteral("start"),
                               QStringLiteral("--db"), db}),
                 server.output().constData());
        const QByteArray head = "POST /api/sites/term/deploys HTTP/1.1\r\nHost: admin.localhost\r\n"
                                "Authorization: Bearer " +
                                token + "\r\nContent-Length: " + QByteArray::number(m_big.size()) +
                                "\r\n\r\n";
        RawClient client(server.port());
        client.send(head + m_big.left(1 << 20));
        QTest::qWait(200);
        ::kill(pid_t(server.pid()), SIGTERM);
        HttpResponse answer;
        for (qsizetype sent = 1 << 20; sent < m_big.size() && !answer.isValid; sent += 64 << 10) {
            client.socket().write(m_big.mid(sent, 64 << 10));
            client.socket().waitForBytesWritten(1000);
            if (client.socket().waitForReadyRead(50))
                answer = client.read();
        }
        if (!answer.isValid)
            answer = client.read();
        QCOMPARE(answer.status, 503);
        QVERIFY2(answer.body.contains("stopping"), answer.body);
        QCOMPARE(server.stop(SIGTERM, 30000), 0);

        // SIGTERM once the whole upload is in, while it is stored, for a client that waits for
        // the end: it ends with an answer (stored in time, or stopped), never with silence.
        FaztProcess again;
        QVERIFY2(again.start({QStringLiteral("server"), QStringLiteral("start"),
                              QStringLiteral("--db"), db}),
                 again.output().constData());
        RawClient waiting(again.port());
        waiting.send(head + m_big);
        while (waiting.socket().bytesToWrite() > 0)
            QVERIFY(waiting.socket().waitForBytesWritten(10000));
        ::kill(pid_t(again.pid()), SIGTERM);
        const HttpResponse end = waiting.read(false, 30000);
        QVERIFY2(end.status == 201 || end.status == 503,
                 QByteArray(end.statusLine + end.body).constData());
        QCOMPARE(again.stop(SIGTERM, 30000), 0);
    }

    // kill -9 while a deploy is being stored; the next start marks its job abandoned and frees
    // what it had stored, at once.
    void restartAbandonsInterruptedDeploys() {
        const HttpResponse accepted =
            upload("crash", m_big, {"Prefer: respond-async", "Idempotency-Key: crash-1"});
        QCOMPARE(accepted.status, 202);
        const QByteArray url =
            test::jsonBody(accepted).value(QStringLiteral("url")).toString().toUtf8();
        QJsonObject job;
        for (int i = 0; i < 2000; ++i) {
            job = test::jsonBody(test::call(m_server->port(), "GET", url, m_token));
            if (job.value(QStringLiteral("progress"))
                    .toObject()
                    .value(QStringLiteral("files"))
                    .toInt() > 0)
                break;
            QTest::qWait(5);
        }
        QVERIFY2(job.value(QStringLiteral("state")).toString() == QLatin1String("storing"),
                 "the deploy was stored before it could be interrupted");
        QCOMPARE(m_server->stop(SIGKILL), -1);
        QVERIFY(count(m_db, "SELECT count(*) FROM deploys WHERE status = 'pending'") > 0);

        QVERIFY2(startServer(), m_server->output().constData());
        const QJsonObject after = test::jsonBody(test::call(m_server->port(), "GET", url, m_token));
        QCOMPARE(after.value(QStringLiteral("state")).toString(), QStringLiteral("abandoned"));
        QVERIFY(after.value(QStringLiteral("error"))
                    .toObject()
                    .value(QStringLiteral("message"))
                    .toString()
                    .contains(QStringLiteral("Deploy again")));
        QCOMPARE(count(m_db, "SELECT count(*) FROM deploys WHERE status = 'pending'"), 0);
        QCOMPARE(count(m_db, "SELECT count(*) FROM blobs WHERE hash IS NULL OR NOT EXISTS "
                             "(SELECT 1 FROM files WHERE files.blob_hash = blobs.hash)"),
                 0);
        QCOMPARE(test::fetch(m_server->port(), "crash.example.com", "/").status, 404);

        // The server ended that one, not the upload: sent again with its key, it is stored.
        const HttpResponse retried = upload("crash", m_big, {"Idempotency-Key: crash-1"});
        QCOMPARE(retried.status, 201);
        QCOMPARE(test::fetch(m_server->port(), "crash.example.com", "/").status, 200);
    }

    // A reader holding an old snapshot lets the WAL grow past its bound during a big deploy;
    // once it lets go, the next writes cut the WAL back.
    void walIsCutBackAfterABigDeploy() {
        auto reader = db::Connection::open(m_db, db::OpenMode::ReadOnly);
        QVERIFY(reader);
        QVERIFY((*reader)->exec("BEGIN"));
        QVERIFY((*reader)->queryInt("SELECT count(*) FROM sites"));
        QCOMPARE(upload("wal", m_big).status, 201);
        const QString wal = m_db + QStringLiteral("-wal");
        QVERIFY2(QFileInfo(wal).size() > (32 << 20),
                 qPrintable(QStringLiteral("the WAL did not grow: %1").arg(QFileInfo(wal).size())));
        QVERIFY((*reader)->exec("COMMIT"));
        reader->reset();
        QTRY_VERIFY_WITH_TIMEOUT(
            upload("wal", m_small).status == 201 && QFileInfo(wal).size() <= (32 << 20), 20000);
    }

    // `fazt deploy --spa` turns the SPA fallback on with the deploy; the CLI shows the
    // server's side of the deploy once the upload is in.
    void cliDeploysWithSpaAndShowsTheJob() {
        const QString err =
            test::deployWithCli(m_server->port(), m_token, path(QStringLiteral("small")),
                                QStringLiteral("app"), {QStringLiteral("--spa")});
        QVERIFY2(!err.startsWith(QStringLiteral("FAILED")), qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("Server: done (deploy job ")), qPrintable(err));
        const QJsonObject site =
            test::jsonBody(test::call(m_server->port(), "GET", "/api/sites/app", m_token));
        QCOMPARE(site.value(QStringLiteral("settings")).toObject().value(QStringLiteral("spa")),
                 QJsonValue(true));
        QCOMPARE(test::fetch(m_server->port(), "app.example.com", "/some/route").body,
                 QByteArray("<h1>small</h1>"));
    }

    // The folder's .gitignore and .faztignore decide what is left out; --verbose says what
    // and why.
    void cliHonoursIgnoreFiles() {
        const QString folder = path(QStringLiteral("ignoring"));
        test::writeFile(folder + QStringLiteral("/index.html"), "home");
        test::writeFile(folder + QStringLiteral("/debug.log"), "noise");
        test::writeFile(folder + QStringLiteral("/keep.log"), "kept");
        test::writeFile(folder + QStringLiteral("/build/out.js"), "built");
        test::writeFile(folder + QStringLiteral("/notes/secret.txt"), "secret");
        test::writeFile(folder + QStringLiteral("/.gitignore"), "*.log\n!keep.log\nbuild/\n");
        test::writeFile(folder + QStringLiteral("/.faztignore"), "# not public\nsecret.txt\n");
        const QString err =
            test::deployWithCli(m_server->port(), m_token, folder, QStringLiteral("ignoring"),
                                {QStringLiteral("--verbose")});
        QVERIFY2(!err.startsWith(QStringLiteral("FAILED")), qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("Left out debug.log (.gitignore: *.log)")),
                 qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("Left out build/ (.gitignore: build/)")),
                 qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("Left out notes/secret.txt (.faztignore: "
                                             "secret.txt)")),
                 qPrintable(err));
        const quint16 port = m_server->port();
        QCOMPARE(test::fetch(port, "ignoring.example.com", "/keep.log").body, QByteArray("kept"));
        QCOMPARE(test::fetch(port, "ignoring.example.com", "/debug.log").status, 404);
        QCOMPARE(test::fetch(port, "ignoring.example.com", "/build/out.js").status, 404);
        QCOMPARE(test::fetch(port, "ignoring.example.com", "/notes/secret.txt").status, 404);
        QCOMPARE(test::fetch(port, "ignoring.example.com", "/.gitignore").status, 404);
    }

    // Qt resends a request whose reused connection closed without an answer: a deploy must
    // reach a server once. The fake server answers the first request (on a kept-alive
    // connection) and closes on the second.
    void clientNeverSendsADeployTwice() {
        QTcpServer fake;
        QVERIFY(fake.listen(QHostAddress::LocalHost, 0));
        int posts = 0;
        connect(&fake, &QTcpServer::newConnection, this, [&] {
            QTcpSocket *socket = fake.nextPendingConnection();
            connect(socket, &QTcpSocket::readyRead, socket, [socket, &posts] {
                const QByteArray data = socket->readAll();
                if (data.startsWith("GET")) {
                    socket->write("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                  "Content-Length: 2\r\n\r\n{}");
                } else if (data.startsWith("POST")) {
                    ++posts;
                    socket->close();
                }
            });
        });
        client::ApiClient api;
        QVERIFY(api.setServer(QStringLiteral("http://127.0.0.1:%1").arg(fake.serverPort())));
        api.setToken("t");
        QVERIFY(client::waitFor<QJsonObject>(
            [&](auto done) { api.call("GET", QStringLiteral("/api/sites"), {}, {}, done); }));
        const QString archivePath = path(QStringLiteral("small.tar.gz"));
        auto deployed = client::waitFor<client::Deploy>([&](auto done) {
            api.deploy(QStringLiteral("once"), archivePath, client::Activation::Activate, done);
        });
        QVERIFY(!deployed);
        QTest::qWait(300);
        QCOMPARE(posts, 1);
    }
};

QTEST_GUILESS_MAIN(TestDeployJobs)
#include "tst_deploy_jobs.moc"
