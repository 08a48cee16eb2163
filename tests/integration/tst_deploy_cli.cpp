// `fazt deploy`, `fazt sites` and `fazt deploys` against the real server over real sockets: a
// folder goes up, is served, is replaced and rolled back; mistakes end with the server's
// message or a hint, and the right exit code. Also client::ApiClient on its own.

#include "archive/archivewriter.h"
#include "client/apiclient.h"
#include "support/faztprocess.h"

#include <QDir>
#include <QElapsedTimer>
#include <QRandomGenerator>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace fazt;
using fazt::test::FaztProcess;
using fazt::test::fetch;

namespace {

struct Run {
    int exitCode = -1;
    QString out;
    QString err;
};

// The environment of a user who has set nothing: FAZT_SERVER and FAZT_TOKEN unset.
QProcessEnvironment cleanEnvironment() {
    QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    env.remove(QStringLiteral("FAZT_SERVER"));
    env.remove(QStringLiteral("FAZT_TOKEN"));
    return env;
}

Run runFazt(const QStringList &args, const QProcessEnvironment &env = cleanEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(qEnvironmentVariable("FAZT_BIN"), args);
    if (!p.waitForFinished(120000))
        qFatal("fazt %s did not finish", qPrintable(args.join(u' ')));
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

void write(const QString &path, const QByteArray &content) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(file.write(content), qint64(content.size()));
}

QByteArray randomBytes(qsizetype size) {
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator generator(42);
    for (char &c : bytes)
        c = char(generator.bounded(256));
    return bytes;
}

// A loopback port nothing listens on.
quint16 closedPort() {
    QTcpServer probe;
    probe.listen(QHostAddress::LocalHost, 0);
    const quint16 port = probe.serverPort();
    probe.close();
    return port;
}

} // namespace

class TestDeployCli : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    FaztProcess m_server;
    QString m_db;
    QString m_token;
    QString m_serverUrl;
    const QByteArray m_password = "correct horse battery staple";

    QString path(const QString &name) const { return m_dir.filePath(name); }

    Run remote(QStringList args) const {
        args << QStringLiteral("--server") << m_serverUrl << QStringLiteral("--token") << m_token;
        return runFazt(args);
    }

    Run deploy(const QString &source, const QString &site, const QStringList &extra = {}) const {
        return remote(
            QStringList{QStringLiteral("deploy"), source, QStringLiteral("--site"), site} + extra);
    }

    // A token from `fazt server create-token`, which prints it alone on the last line.
    QString createToken(const QString &name, const QString &scopes) const {
        const Run created = runFazt({QStringLiteral("server"), QStringLiteral("create-token"),
                                     QStringLiteral("--name"), name, QStringLiteral("--scopes"),
                                     scopes, QStringLiteral("--db"), m_db});
        if (created.exitCode != 0)
            qWarning("create-token failed: %s", qPrintable(created.err));
        return created.out.trimmed().split(u'\n').last().trimmed();
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(qEnvironmentVariable("FAZT_BIN")),
                 "FAZT_BIN must name the fazt binary");
        m_db = path(QStringLiteral("fazt.db"));
        write(path(QStringLiteral("password")), m_password + '\n');
        const Run init =
            runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                     QStringLiteral("example.com"), QStringLiteral("--db"), m_db,
                     QStringLiteral("--password-file"), path(QStringLiteral("password"))});
        QVERIFY2(init.exitCode == 0, qPrintable(init.err));
        m_token = createToken(QStringLiteral("ci"), QStringLiteral("deploy,create-sites"));
        QVERIFY2(!m_token.isEmpty(), "create-token printed no token");
        QVERIFY2(m_server.start({QStringLiteral("server"), QStringLiteral("start"),
                                 QStringLiteral("--db"), m_db}),
                 m_server.output().constData());
        m_serverUrl = QStringLiteral("http://127.0.0.1:%1").arg(m_server.port());
    }

    void cleanupTestCase() { QCOMPARE(m_server.stop(), 0); }

    // The story: deploy, serve, redeploy, serve the change, roll back, serve the old.
    void deployRedeployAndRollBack() {
        const QString site = path(QStringLiteral("blog"));
        write(site + QStringLiteral("/index.html"), "<h1>first</h1>");
        write(site + QStringLiteral("/posts/hello.html"), "<p>hello</p>");
        write(site + QStringLiteral("/old.html"), "only in the first deploy");

        const Run first = deploy(site, QStringLiteral("blog"));
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QVERIFY2(first.out.startsWith(QStringLiteral("Deployed blog: 3 files, ")),
                 qPrintable(first.out));
        QVERIFY2(first.out.contains(QStringLiteral("-> http://blog.example.com")),
                 qPrintable(first.out));
        QCOMPARE(fetch(m_server.port(), "blog.example.com", "/").body,
                 QByteArray("<h1>first</h1>"));
        QCOMPARE(fetch(m_server.port(), "blog.example.com", "/posts/hello.html").body,
                 QByteArray("<p>hello</p>"));
        QCOMPARE(fetch(m_server.port(), "blog.example.com", "/old.html").status, 200);

        write(site + QStringLiteral("/index.html"), "<h1>second</h1>");
        QVERIFY(QFile::remove(site + QStringLiteral("/old.html")));
        const Run second = deploy(site, QStringLiteral("blog"));
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
        QVERIFY2(second.out.startsWith(QStringLiteral("Deployed blog: 2 files, ")),
                 qPrintable(second.out));
        QCOMPARE(fetch(m_server.port(), "blog.example.com", "/").body,
                 QByteArray("<h1>second</h1>"));
        QCOMPARE(fetch(m_server.port(), "blog.example.com", "/old.html").status, 404);

        const Run rollback = remote({QStringLiteral("deploys"), QStringLiteral("rollback"),
                                     QStringLiteral("--site"), QStringLiteral("blog")});
        QVERIFY2(rollback.exitCode == 0, qPrintable(rollback.err));
        QVERIFY2(rollback.out.startsWith(QStringLiteral("Rolled blog back to deploy ")),
                 qPrintable(rollback.out));
        QCOMPARE(fetch(m_server.port(), "blog.example.com", "/").body,
                 QByteArray("<h1>first</h1>"));
        QCOMPARE(fetch(m_server.port(), "blog.example.com", "/old.html").body,
                 QByteArray("only in the first deploy"));

        const Run sites = remote({QStringLiteral("sites"), QStringLiteral("list")});
        QVERIFY2(sites.exitCode == 0, qPrintable(sites.err));
        QVERIFY2(sites.out.startsWith(QStringLiteral("NAME")), qPrintable(sites.out));
        const QStringList lines = sites.out.split(u'\n');
        const auto blogLine = std::find_if(lines.begin(), lines.end(), [](const QString &l) {
            return l.startsWith(QStringLiteral("blog "));
        });
        QVERIFY2(blogLine != lines.end(), qPrintable(sites.out));
        QVERIFY(blogLine->contains(QStringLiteral("http://blog.example.com")));
    }

    // Deploys listed newest first, one active; any complete one can be activated by id.
    void listAndActivateDeploys() {
        const QString site = path(QStringLiteral("docs"));
        write(site + QStringLiteral("/index.html"), "v1");
        QCOMPARE(deploy(site, QStringLiteral("docs")).exitCode, 0);
        write(site + QStringLiteral("/index.html"), "v2");
        QCOMPARE(deploy(site, QStringLiteral("docs")).exitCode, 0);

        const Run list = remote({QStringLiteral("deploys"), QStringLiteral("list"),
                                 QStringLiteral("--site"), QStringLiteral("docs")});
        QVERIFY2(list.exitCode == 0, qPrintable(list.err));
        const QStringList lines = list.out.trimmed().split(u'\n');
        QCOMPARE(lines.size(), 3); // header + two deploys
        QVERIFY(lines[0].startsWith(QStringLiteral("ID")));
        QVERIFY2(lines[1].trimmed().endsWith(QStringLiteral("yes")), qPrintable(list.out));
        QVERIFY2(!lines[2].trimmed().endsWith(QStringLiteral("yes")), qPrintable(list.out));
        const QString olderId = lines[2].section(u' ', 0, 0);

        const Run activate = remote({QStringLiteral("deploys"), QStringLiteral("activate"), olderId,
                                     QStringLiteral("--site"), QStringLiteral("docs")});
        QVERIFY2(activate.exitCode == 0, qPrintable(activate.err));
        QVERIFY(activate.out.startsWith(QStringLiteral("Activated deploy ") + olderId));
        QCOMPARE(fetch(m_server.port(), "docs.example.com", "/").body, QByteArray("v1"));

        const Run missing =
            remote({QStringLiteral("deploys"), QStringLiteral("activate"), QStringLiteral("999999"),
                    QStringLiteral("--site"), QStringLiteral("docs")});
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.startsWith(QStringLiteral("fazt: ")), qPrintable(missing.err));
        QCOMPARE(fetch(m_server.port(), "docs.example.com", "/").body, QByteArray("v1"));

        const Run unknownSite = remote({QStringLiteral("deploys"), QStringLiteral("list"),
                                        QStringLiteral("--site"), QStringLiteral("nosuchsite")});
        QCOMPARE(unknownSite.exitCode, 1);
        QVERIFY2(unknownSite.err.contains(QStringLiteral("nosuchsite")),
                 qPrintable(unknownSite.err));
    }

    void noActivateKeepsTheLiveDeploy() {
        const QString site = path(QStringLiteral("staged"));
        write(site + QStringLiteral("/index.html"), "live");
        QCOMPARE(deploy(site, QStringLiteral("staged")).exitCode, 0);
        write(site + QStringLiteral("/index.html"), "staged");
        const Run staged =
            deploy(site, QStringLiteral("staged"), {QStringLiteral("--no-activate")});
        QVERIFY2(staged.exitCode == 0, qPrintable(staged.err));
        QVERIFY2(staged.out.contains(QStringLiteral("not active")), qPrintable(staged.out));
        QCOMPARE(fetch(m_server.port(), "staged.example.com", "/").body, QByteArray("live"));
    }

    void archiveIsUploadedAsItIs() {
        const QString folder = path(QStringLiteral("packed"));
        write(folder + QStringLiteral("/index.html"), "from an archive");
        write(folder + QStringLiteral("/.hidden"), "packed on purpose");
        const QString archivePath = path(QStringLiteral("site.tar.gz"));
        archive::PackOptions withHidden;
        withHidden.includeHidden = true;
        auto packed = archive::packDirectory(folder, archivePath, withHidden);
        QVERIFY2(packed, packed ? "" : qPrintable(packed.error().message));

        const Run up = deploy(archivePath, QStringLiteral("fromtar"));
        QVERIFY2(up.exitCode == 0, qPrintable(up.err));
        QVERIFY2(up.out.startsWith(QStringLiteral("Deployed fromtar: 2 files")),
                 qPrintable(up.out));
        QCOMPARE(fetch(m_server.port(), "fromtar.example.com", "/").body,
                 QByteArray("from an archive"));
        QCOMPARE(fetch(m_server.port(), "fromtar.example.com", "/.hidden").body,
                 QByteArray("packed on purpose"));

        write(path(QStringLiteral("notes.txt")), "not an archive");
        const Run text = deploy(path(QStringLiteral("notes.txt")), QStringLiteral("fromtar"));
        QCOMPARE(text.exitCode, 1);
        QVERIFY2(text.err.contains(QStringLiteral("neither a folder nor an archive")),
                 qPrintable(text.err));

        // A file named like an archive that is not one: the server's message comes through.
        write(path(QStringLiteral("broken.tar.gz")), "this is not gzip");
        const Run broken = deploy(path(QStringLiteral("broken.tar.gz")), QStringLiteral("fromtar"));
        QCOMPARE(broken.exitCode, 1);
        QVERIFY2(broken.err.contains(QStringLiteral("fazt: This is not a zip or tar archive")),
                 qPrintable(broken.err));
        QCOMPARE(fetch(m_server.port(), "fromtar.example.com", "/").body,
                 QByteArray("from an archive"));
    }

    void gitNodeModulesAndHiddenFilesAreLeftOut() {
        const QString site = path(QStringLiteral("app"));
        write(site + QStringLiteral("/index.html"), "app");
        write(site + QStringLiteral("/.git/config"), "[core]");
        write(site + QStringLiteral("/node_modules/left-pad/index.js"), "module.exports");
        write(site + QStringLiteral("/.env"), "SECRET=1");
        write(site + QStringLiteral("/.well-known/security.txt"), "Contact: me");

        const Run plain = deploy(site, QStringLiteral("app"));
        QVERIFY2(plain.exitCode == 0, qPrintable(plain.err));
        QVERIFY2(plain.out.startsWith(QStringLiteral("Deployed app: 1 files")),
                 qPrintable(plain.out));
        QCOMPARE(fetch(m_server.port(), "app.example.com", "/").body, QByteArray("app"));
        QCOMPARE(fetch(m_server.port(), "app.example.com", "/.git/config").status, 404);
        QCOMPARE(
            fetch(m_server.port(), "app.example.com", "/node_modules/left-pad/index.js").status,
            404);
        QCOMPARE(fetch(m_server.port(), "app.example.com", "/.env").status, 404);

        const Run hidden =
            deploy(site, QStringLiteral("app"), {QStringLiteral("--include-hidden")});
        QVERIFY2(hidden.exitCode == 0, qPrintable(hidden.err));
        QCOMPARE(fetch(m_server.port(), "app.example.com", "/.well-known/security.txt").body,
                 QByteArray("Contact: me"));
        QCOMPARE(fetch(m_server.port(), "app.example.com", "/.env").status, 200);
        QCOMPARE(fetch(m_server.port(), "app.example.com", "/.git/config").status, 404);
        QCOMPARE(
            fetch(m_server.port(), "app.example.com", "/node_modules/left-pad/index.js").status,
            404);

        const QString onlyHidden = path(QStringLiteral("onlyhidden"));
        write(onlyHidden + QStringLiteral("/.env"), "x");
        const Run empty = deploy(onlyHidden, QStringLiteral("app"));
        QCOMPARE(empty.exitCode, 1);
        QVERIFY2(empty.err.contains(QStringLiteral("has no files")), qPrintable(empty.err));
    }

    // Not a terminal (a pipe here, a CI log in life): what is sent, plain progress lines at
    // 0..100 %, then a line per state of the server's side.
    void progressLinesWithoutATerminal() {
        const QString site = path(QStringLiteral("big"));
        write(site + QStringLiteral("/index.html"), "big");
        write(site + QStringLiteral("/noise.bin"), randomBytes(4 << 20));
        const Run up = deploy(site, QStringLiteral("big"));
        QVERIFY2(up.exitCode == 0, qPrintable(up.err));
        const QStringList lines = up.err.trimmed().split(u'\n');
        QVERIFY2(lines.first().startsWith(QStringLiteral("0 of 2 files (0 bytes of 4.0 MiB) are on "
                                                         "the server already; sending 2 files")),
                 qPrintable(up.err));
        const QStringList uploading =
            lines.filter(QRegularExpression(QStringLiteral("^Uploading")));
        QVERIFY2(uploading.first().startsWith(QStringLiteral("Uploading: 0% (0 bytes of 4.0 MiB)")),
                 qPrintable(up.err));
        QVERIFY2(uploading.last().startsWith(QStringLiteral("Uploading: 100% (4.0 MiB of 4.0 MiB)")),
                 qPrintable(up.err));
        QVERIFY2(uploading.size() <= 5, qPrintable(up.err));
        const QStringList server = lines.filter(QRegularExpression(QStringLiteral("^Server: ")));
        QVERIFY2(server.last().startsWith(QStringLiteral("Server: done (deploy job ")),
                 qPrintable(up.err));
        QVERIFY2(lines.last().startsWith(QStringLiteral("Uploaded 4.0 MiB for this deploy")),
                 qPrintable(up.err));
        QVERIFY(!up.err.contains(u'\r'));
        QCOMPARE(fetch(m_server.port(), "big.example.com", "/noise.bin").body.size(),
                 qsizetype(4 << 20));
    }

    void serverAndTokenFromTheEnvironment() {
        const QString site = path(QStringLiteral("envsite"));
        write(site + QStringLiteral("/index.html"), "env");
        QProcessEnvironment env = cleanEnvironment();
        env.insert(QStringLiteral("FAZT_SERVER"), m_serverUrl);
        env.insert(QStringLiteral("FAZT_TOKEN"), m_token);
        const Run up = runFazt(
            {QStringLiteral("deploy"), site, QStringLiteral("--site"), QStringLiteral("envsite")},
            env);
        QVERIFY2(up.exitCode == 0, qPrintable(up.err));
        QCOMPARE(fetch(m_server.port(), "envsite.example.com", "/").body, QByteArray("env"));

        // An option wins over the environment.
        env.insert(QStringLiteral("FAZT_TOKEN"), QStringLiteral("wrong"));
        QCOMPARE(runFazt({QStringLiteral("sites"), QStringLiteral("list"),
                          QStringLiteral("--token"), m_token},
                         env)
                     .exitCode,
                 0);
    }

    void wrongTokenGetsTheServersMessage() {
        const QString site = path(QStringLiteral("denied"));
        write(site + QStringLiteral("/index.html"), "no");
        const Run up = runFazt({QStringLiteral("deploy"), site, QStringLiteral("--site"),
                                QStringLiteral("denied"), QStringLiteral("--server"), m_serverUrl,
                                QStringLiteral("--token"), QStringLiteral("not-a-token")});
        QCOMPARE(up.exitCode, 1);
        QVERIFY2(up.err.contains(QStringLiteral("The API token is not valid")), qPrintable(up.err));
        QVERIFY2(!up.err.contains(QStringLiteral("Uploading")),
                 qPrintable(up.err)); // checked first
        QCOMPARE(fetch(m_server.port(), "denied.example.com", "/").status, 404);

        // A token without the deploy scope reads, but cannot deploy. The running server picks
        // up a token created next to it within seconds.
        const QString reader = createToken(QStringLiteral("dashboard"), QStringLiteral("read"));
        const QStringList listSites{QStringLiteral("sites"),    QStringLiteral("list"),
                                    QStringLiteral("--server"), m_serverUrl,
                                    QStringLiteral("--token"),  reader};
        QTRY_COMPARE_WITH_TIMEOUT(runFazt(listSites).exitCode, 0, 15000);
        const Run readOnly = runFazt({QStringLiteral("deploy"), site, QStringLiteral("--site"),
                                      QStringLiteral("denied"), QStringLiteral("--server"),
                                      m_serverUrl, QStringLiteral("--token"), reader});
        QCOMPARE(readOnly.exitCode, 1);
        QVERIFY2(readOnly.err.contains(QStringLiteral("lacks the 'deploy' scope")),
                 qPrintable(readOnly.err));
        QVERIFY2(!readOnly.err.contains(QStringLiteral("Uploading")), qPrintable(readOnly.err));
        QCOMPARE(fetch(m_server.port(), "denied.example.com", "/").status, 404);
    }

    void unreachableServerGetsAHint() {
        const QString site = path(QStringLiteral("nowhere"));
        write(site + QStringLiteral("/index.html"), "x");
        const QString url = QStringLiteral("http://127.0.0.1:%1").arg(closedPort());
        const Run up = runFazt({QStringLiteral("deploy"), site, QStringLiteral("--site"),
                                QStringLiteral("nowhere"), QStringLiteral("--server"), url,
                                QStringLiteral("--token"), m_token});
        QCOMPARE(up.exitCode, 1);
        QVERIFY2(up.err.contains(QStringLiteral("Cannot reach ") + url +
                                 QStringLiteral(": connection refused. Is the server running? "
                                                "Check --server / FAZT_SERVER.")),
                 qPrintable(up.err));
        const Run list =
            runFazt({QStringLiteral("sites"), QStringLiteral("list"), QStringLiteral("--server"),
                     url, QStringLiteral("--token"), m_token});
        QCOMPARE(list.exitCode, 1);
        QVERIFY2(list.err.contains(QStringLiteral("Is the server running?")), qPrintable(list.err));
    }

    void usageErrors_data() {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        const QString site = QStringLiteral("SITE_DIR");
        const QString server = QStringLiteral("--server");
        const QString token = QStringLiteral("--token");
        QTest::newRow("no --site") << QStringList{QStringLiteral("deploy"),
                                                  site,
                                                  server,
                                                  QStringLiteral("http://127.0.0.1:1"),
                                                  token,
                                                  QStringLiteral("t")}
                                   << QStringLiteral("--site");
        QTest::newRow("no server")
            << QStringList{QStringLiteral("deploy"), site,  QStringLiteral("--site"),
                           QStringLiteral("blog"),   token, QStringLiteral("t")}
            << QStringLiteral("FAZT_SERVER");
        QTest::newRow("no token")
            << QStringList{QStringLiteral("deploy"), site,   QStringLiteral("--site"),
                           QStringLiteral("blog"),   server, QStringLiteral("http://127.0.0.1:1")}
            << QStringLiteral("FAZT_TOKEN");
        QTest::newRow("no folder") << QStringList{QStringLiteral("deploy"),
                                                  QStringLiteral("--site"), QStringLiteral("blog")}
                                   << QStringLiteral("folder or archive");
        QTest::newRow("two folders")
            << QStringList{QStringLiteral("deploy"), site, site, QStringLiteral("--site"),
                           QStringLiteral("blog")}
            << QStringLiteral("one argument");
        QTest::newRow("bad site name") << QStringList{QStringLiteral("deploy"),
                                                      site,
                                                      QStringLiteral("--site"),
                                                      QStringLiteral("Not_A_Name"),
                                                      server,
                                                      QStringLiteral("http://127.0.0.1:1"),
                                                      token,
                                                      QStringLiteral("t")}
                                       << QStringLiteral("Not_A_Name");
        QTest::newRow("bad server") << QStringList{QStringLiteral("sites"),
                                                   QStringLiteral("list"),
                                                   server,
                                                   QStringLiteral("ftp://example.com"),
                                                   token,
                                                   QStringLiteral("t")}
                                    << QStringLiteral("https://example.com");
        QTest::newRow("server with a path")
            << QStringList{QStringLiteral("sites"),
                           QStringLiteral("list"),
                           server,
                           QStringLiteral("https://example.com/admin"),
                           token,
                           QStringLiteral("t")}
            << QStringLiteral("more than a server address");
        QTest::newRow("rollback without --site")
            << QStringList{QStringLiteral("deploys"),
                           QStringLiteral("rollback"),
                           server,
                           QStringLiteral("http://127.0.0.1:1"),
                           token,
                           QStringLiteral("t")}
            << QStringLiteral("--site");
        QTest::newRow("activate without id")
            << QStringList{QStringLiteral("deploys"), QStringLiteral("activate"),
                           QStringLiteral("--site"), QStringLiteral("blog")}
            << QStringLiteral("deploy's id");
        QTest::newRow("activate with a word")
            << QStringList{QStringLiteral("deploys"), QStringLiteral("activate"),
                           QStringLiteral("latest"), QStringLiteral("--site"),
                           QStringLiteral("blog")}
            << QStringLiteral("deploy's id");
        QTest::newRow("sites list with an argument")
            << QStringList{QStringLiteral("sites"), QStringLiteral("list"), QStringLiteral("extra")}
            << QStringLiteral("takes no argument");
        QTest::newRow("unknown option")
            << QStringList{QStringLiteral("deploy"), site, QStringLiteral("--force")}
            << QStringLiteral("--help");
    }

    void usageErrors() {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const QString site = path(QStringLiteral("usage"));
        write(site + QStringLiteral("/index.html"), "x");
        args.replaceInStrings(QStringLiteral("SITE_DIR"), site);
        const Run r = runFazt(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message), qPrintable(r.err));
        QVERIFY(r.out.isEmpty());
    }

    void otherFailures() {
        const Run missing = deploy(path(QStringLiteral("no/such/folder")), QStringLiteral("blog"));
        QCOMPARE(missing.exitCode, 1);
        QVERIFY2(missing.err.contains(QStringLiteral("does not exist")), qPrintable(missing.err));

        write(path(QStringLiteral("tiny.tgz")), "x");
        const Run hiddenWithArchive =
            deploy(path(QStringLiteral("tiny.tgz")), QStringLiteral("blog"),
                   {QStringLiteral("--include-hidden")});
        QCOMPARE(hiddenWithArchive.exitCode, 2);

        const Run help = runFazt({QStringLiteral("deploy"), QStringLiteral("--help")});
        QCOMPARE(help.exitCode, 0);
        for (const char *option :
             {"--site", "--server", "--token", "--no-activate", "--spa", "--include-hidden"})
            QVERIFY2(help.out.contains(QLatin1String(option)), option);
    }

    // --- client::ApiClient, the library under the commands -------------------------------

    void endpointRule_data() {
        QTest::addColumn<QString>("server");
        QTest::addColumn<QString>("url");
        QTest::addColumn<QByteArray>("host");
        QTest::newRow("ip") << QStringLiteral("http://127.0.0.1:8080")
                            << QStringLiteral("http://127.0.0.1:8080")
                            << QByteArray("admin.localhost:8080");
        QTest::newRow("ipv6") << QStringLiteral("http://[::1]:8080")
                              << QStringLiteral("http://[::1]:8080")
                              << QByteArray("admin.localhost:8080");
        QTest::newRow("localhost")
            << QStringLiteral("localhost:8080") << QStringLiteral("http://localhost:8080")
            << QByteArray("admin.localhost:8080");
        QTest::newRow("base domain") << QStringLiteral("https://example.com")
                                     << QStringLiteral("https://admin.example.com") << QByteArray();
        QTest::newRow("admin host") << QStringLiteral("https://admin.example.com/")
                                    << QStringLiteral("https://admin.example.com") << QByteArray();
        QTest::newRow("no scheme") << QStringLiteral("Example.com")
                                   << QStringLiteral("https://admin.example.com") << QByteArray();
        QTest::newRow("port kept")
            << QStringLiteral("http://example.com:8080")
            << QStringLiteral("http://admin.example.com:8080") << QByteArray();
    }

    void endpointRule() {
        QFETCH(QString, server);
        QFETCH(QString, url);
        QFETCH(QByteArray, host);
        const auto endpoint = client::ApiClient::endpointFor(server);
        QVERIFY2(endpoint, endpoint ? "" : qPrintable(endpoint.error().message));
        QCOMPARE(endpoint->url.toString(), url);
        QCOMPARE(endpoint->hostName, host);
    }

    void clientLogsInWithAPassword() {
        client::ApiClient api;
        QVERIFY(api.setServer(m_serverUrl));
        using client::waitFor;
        auto refused =
            waitFor<client::Site>([&](auto done) { api.createSite(QStringLiteral("shop"), done); });
        QVERIFY(!refused);
        QVERIFY2(refused.error().message.contains(QStringLiteral("Log in")),
                 qPrintable(refused.error().message));

        auto wrong = waitFor<client::Session>(
            [&](auto done) { api.login(QStringLiteral("admin"), QStringLiteral("nope"), done); });
        QVERIFY(!wrong);
        QCOMPARE(wrong.error().message, QStringLiteral("Wrong username or password."));

        auto session = waitFor<client::Session>([&](auto done) {
            api.login(QStringLiteral("admin"), QString::fromUtf8(m_password), done);
        });
        QVERIFY2(session, session ? "" : qPrintable(session.error().message));
        QCOMPARE(session->username, QStringLiteral("admin"));
        QVERIFY(session->expiresAt > QDateTime::currentDateTimeUtc());

        // A change needs the session cookie and the CSRF token: the client sends both.
        auto created =
            waitFor<client::Site>([&](auto done) { api.createSite(QStringLiteral("shop"), done); });
        QVERIFY2(created, created ? "" : qPrintable(created.error().message));
        QCOMPARE(created->name, QStringLiteral("shop"));
        QCOMPARE(created->activeDeployId, qint64(0));
        auto again =
            waitFor<client::Site>([&](auto done) { api.createSite(QStringLiteral("shop"), done); });
        QVERIFY(!again);
        QCOMPARE(again.error().code, Error::Code::Conflict);

        auto sites = waitFor<QList<client::Site>>([&](auto done) { api.sites(done); });
        QVERIFY(sites);
        QVERIFY(std::any_of(sites->begin(), sites->end(),
                            [](const client::Site &s) { return s.name == QLatin1String("shop"); }));

        QVERIFY(waitFor<void>([&](auto done) { api.logout(done); }));
        QVERIFY(!waitFor<QList<client::Site>>([&](auto done) { api.sites(done); }));
    }

    // A server that accepts the connection and then says nothing: the transfer timeout ends
    // the wait with a message, not a hang.
    void clientGivesUpOnASilentServer() {
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        client::ApiClient api;
        QVERIFY(api.setServer(QStringLiteral("http://127.0.0.1:%1").arg(silent.serverPort())));
        api.setToken("t");
        api.setTimeouts(std::chrono::seconds(5), std::chrono::milliseconds(1000));
        QElapsedTimer clock;
        clock.start();
        auto sites = client::waitFor<QList<client::Site>>([&](auto done) { api.sites(done); });
        QVERIFY(!sites);
        QVERIFY2(sites.error().message.contains(QStringLiteral("stopped answering")),
                 qPrintable(sites.error().message));
        QVERIFY(clock.elapsed() < 4000);
    }

    void clientReportsProgressAndCanAbort() {
        client::ApiClient api;
        QVERIFY(api.setServer(m_serverUrl));
        api.setToken(m_token.toUtf8());
        const QString folder = path(QStringLiteral("progress"));
        write(folder + QStringLiteral("/index.html"), "progress");
        write(folder + QStringLiteral("/noise.bin"), randomBytes(2 << 20));
        const QString archivePath = path(QStringLiteral("progress.tar.gz"));
        QVERIFY(archive::packDirectory(folder, archivePath, {}));
        const qint64 size = QFileInfo(archivePath).size();

        qint64 lastSent = -1;
        qint64 lastTotal = -1;
        bool isMonotonic = true;
        auto deployed = client::waitFor<client::Deploy>([&](auto done) {
            client::ApiCall *call = api.deploy(QStringLiteral("progress"), archivePath,
                                               client::Activation::Activate, done);
            connect(call, &client::ApiCall::uploadProgress, this, [&](qint64 sent, qint64 total) {
                isMonotonic = isMonotonic && sent >= lastSent;
                lastSent = sent;
                lastTotal = total;
            });
        });
        QVERIFY2(deployed, deployed ? "" : qPrintable(deployed.error().message));
        QCOMPARE(deployed->fileCount, qint64(2));
        QVERIFY(deployed->isActive);
        QVERIFY(isMonotonic);
        QCOMPARE(lastTotal, size);
        QCOMPARE(lastSent, size);

        auto aborted = client::waitFor<client::Deploy>([&](auto done) {
            api.deploy(QStringLiteral("progress"), archivePath, client::Activation::Activate, done)
                ->abort();
        });
        QVERIFY(!aborted);
        QVERIFY2(aborted.error().message.contains(QStringLiteral("cancelled")),
                 qPrintable(aborted.error().message));

        auto unreadable = client::waitFor<client::Deploy>([&](auto done) {
            api.deploy(QStringLiteral("progress"), path(QStringLiteral("missing.tar.gz")),
                       client::Activation::Activate, done);
        });
        QVERIFY(!unreadable);
        QVERIFY2(unreadable.error().message.contains(QStringLiteral("missing.tar.gz")),
                 qPrintable(unreadable.error().message));
    }
};

QTEST_GUILESS_MAIN(TestDeployCli)
#include "tst_deploy_cli.moc"
