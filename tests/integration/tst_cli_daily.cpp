// Daily use of `fazt` against real servers, through the real binary: log in once (a private
// file of saved servers; two servers by name; logout revokes), then every admin task without
// --server or --token: sites, domains, tokens, config, limits, maintenance, stats,
// certificates; --json that parses, --quiet, confirmation before a delete, completion scripts.

#include "support/faztprocess.h"
#include "support/faztrun.h"
#include "support/serversetup.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>

#include <sys/stat.h>

using namespace fazt;
using fazt::test::FaztProcess;

namespace {

int modeOf(const QString &path) {
    struct stat info {};
    return ::stat(QFile::encodeName(path).constData(), &info) == 0 ? int(info.st_mode & 07777) : -1;
}

struct Run : test::Run {
    QJsonObject json() const { return QJsonDocument::fromJson(out.toUtf8()).object(); }
};

} // namespace

class TestCliDaily : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QProcessEnvironment m_env; // HOME and XDG_CONFIG_HOME in m_dir; no FAZT_SERVER/FAZT_TOKEN
    FaztProcess m_first;
    FaztProcess m_second;
    QString m_firstDb;

    QString path(const QString &name) const { return m_dir.filePath(name); }
    QString urlOf(const FaztProcess &server) const {
        return QStringLiteral("http://127.0.0.1:%1").arg(server.port());
    }
    QString savedServers() const { return path(QStringLiteral("config/fazt/servers.json")); }

    Run fazt(const QStringList &args, const QProcessEnvironment &env) const {
        return {test::runFazt(args, env)};
    }
    Run fazt(const QStringList &args) const { return fazt(args, m_env); }

    // Runs a command that must succeed, and returns what it printed.
    Run ok(const QStringList &args) const {
        const Run run = fazt(args);
        if (run.exitCode != 0)
            qWarning("fazt %s: exit %d: %s", qPrintable(args.join(u' ')), run.exitCode,
                     qPrintable(run.err));
        return run;
    }

    void startServer(FaztProcess &server, const QString &db) {
        QVERIFY(test::initDatabase(db, QStringLiteral("localhost")));
        const Run password = fazt({QStringLiteral("server"), QStringLiteral("set-credentials"),
                                   QStringLiteral("--db"), db, QStringLiteral("--password-file"),
                                   path(QStringLiteral("password"))});
        QCOMPARE(password.exitCode, 0);
        QVERIFY(server.start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db}));
    }

    QJsonArray tokensNamed(const QString &name) const {
        QJsonArray named;
        for (const QJsonValue &t :
             ok({QStringLiteral("tokens"), QStringLiteral("list"), QStringLiteral("--json")})
                 .json()
                 .value(QLatin1String("tokens"))
                 .toArray())
            if (t.toObject().value(QLatin1String("name")).toString() == name)
                named.append(t);
        return named;
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(qEnvironmentVariable("FAZT_BIN")),
                 "FAZT_BIN must name the fazt binary");
        m_env = QProcessEnvironment::systemEnvironment();
        m_env.remove(QStringLiteral("FAZT_SERVER"));
        m_env.remove(QStringLiteral("FAZT_TOKEN"));
        m_env.insert(QStringLiteral("HOME"), path(QStringLiteral("home")));
        m_env.insert(QStringLiteral("XDG_CONFIG_HOME"), path(QStringLiteral("config")));
        test::writeFile(path(QStringLiteral("password")), "correct horse battery\n");
        m_firstDb = path(QStringLiteral("first.db"));
        startServer(m_first, m_firstDb);
        startServer(m_second, path(QStringLiteral("second.db")));
    }

    void cleanupTestCase() {
        QCOMPARE(m_first.stop(), 0);
        QCOMPARE(m_second.stop(), 0);
    }

    void loginSavesAPrivateFileAndLaterCommandsNeedNoFlags() {
        const Run none = fazt({QStringLiteral("sites"), QStringLiteral("list")});
        QCOMPARE(none.exitCode, 2);
        QVERIFY2(none.err.contains(QStringLiteral("fazt login")), qPrintable(none.err));

        const QStringList login{QStringLiteral("login"), urlOf(m_first),
                                QStringLiteral("--password-file"),
                                path(QStringLiteral("password"))};
        const Run first = fazt(login);
        QVERIFY2(first.exitCode == 0, qPrintable(first.err));
        QVERIFY(QFile::exists(savedServers()));
        QCOMPARE(modeOf(savedServers()), 0600);
        QCOMPARE(modeOf(path(QStringLiteral("config/fazt"))), 0700);

        const Run sites = fazt({QStringLiteral("sites"), QStringLiteral("list")});
        QVERIFY2(sites.exitCode == 0, qPrintable(sites.err));
        QVERIFY2(sites.out.contains(QStringLiteral("demo")), qPrintable(sites.out));
        QVERIFY(!sites.out.contains(u'\x1b')); // no colour into a pipe

        // Logging in again replaces this machine's token instead of adding one.
        const QString tokenName = QStringLiteral("cli@") + QSysInfo::machineHostName();
        QCOMPARE(tokensNamed(tokenName).size(), 1);
        const qint64 before =
            tokensNamed(tokenName)[0].toObject().value(QLatin1String("id")).toInteger();
        QCOMPARE(fazt(login).exitCode, 0);
        const QJsonArray after = tokensNamed(tokenName);
        QCOMPARE(after.size(), 1);
        QVERIFY(after[0].toObject().value(QLatin1String("id")).toInteger() != before);

        // Mistakes: no password to read, a wrong one.
        QCOMPARE(fazt({QStringLiteral("login"), urlOf(m_first), QStringLiteral("--name"),
                       QStringLiteral("../etc"), QStringLiteral("--password-file"),
                       path(QStringLiteral("password"))})
                     .exitCode,
                 2);
        const Run noTerminal = fazt({QStringLiteral("login"), urlOf(m_first)});
        QCOMPARE(noTerminal.exitCode, 2);
        QVERIFY2(noTerminal.err.contains(QStringLiteral("--password-file")),
                 qPrintable(noTerminal.err));
        test::writeFile(path(QStringLiteral("wrong")), "not the password\n");
        const Run wrong = fazt({QStringLiteral("login"), urlOf(m_first),
                                QStringLiteral("--password-file"), path(QStringLiteral("wrong"))});
        QCOMPARE(wrong.exitCode, 1);
        QVERIFY2(wrong.err.contains(QStringLiteral("Wrong username or password")),
                 qPrintable(wrong.err));
        QCOMPARE(fazt({QStringLiteral("sites"), QStringLiteral("list")}).exitCode, 0);

        // Flags and the environment still win over what is saved.
        QProcessEnvironment bogus = m_env;
        bogus.insert(QStringLiteral("FAZT_TOKEN"), QStringLiteral("fazt_") + QString(43, u'x'));
        const Run refused = fazt({QStringLiteral("sites"), QStringLiteral("list")}, bogus);
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains(QStringLiteral("not valid")), qPrintable(refused.err));
    }

    void twoServersByNameAndLogout() {
        const Run second = fazt({QStringLiteral("login"), urlOf(m_second), QStringLiteral("--name"),
                                 QStringLiteral("second"), QStringLiteral("--password-file"),
                                 path(QStringLiteral("password"))});
        QVERIFY2(second.exitCode == 0, qPrintable(second.err));
        const QJsonArray servers =
            ok({QStringLiteral("servers"), QStringLiteral("list"), QStringLiteral("--json")})
                .json()
                .value(QLatin1String("servers"))
                .toArray();
        QCOMPARE(servers.size(), 2);
        QVERIFY(!ok({QStringLiteral("servers"), QStringLiteral("list"), QStringLiteral("--json")})
                     .out.contains(QStringLiteral("fazt_"))); // never the tokens themselves

        // The newest login is the default; --server NAME picks the other.
        QCOMPARE(ok({QStringLiteral("sites"), QStringLiteral("create"), QStringLiteral("only-two")})
                     .exitCode,
                 0);
        const QString firstName = QStringLiteral("127.0.0.1:%1").arg(m_first.port());
        const Run onFirst = ok({QStringLiteral("sites"), QStringLiteral("list"),
                                QStringLiteral("--server"), firstName});
        QVERIFY2(!onFirst.out.contains(QStringLiteral("only-two")), qPrintable(onFirst.out));
        QVERIFY(ok({QStringLiteral("sites"), QStringLiteral("list")})
                    .out.contains(QStringLiteral("only-two")));

        // Logging out revokes the token on that server and forgets it here.
        const QByteArray saved = [&] {
            QFile f(savedServers());
            return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
        }();
        QByteArray secondToken;
        for (const QJsonValue &s :
             QJsonDocument::fromJson(saved).object().value(QLatin1String("servers")).toArray())
            if (s.toObject().value(QLatin1String("name")).toString() == QLatin1String("second"))
                secondToken = s.toObject().value(QLatin1String("token")).toString().toLatin1();
        QVERIFY(secondToken.startsWith("fazt_"));
        QCOMPARE(test::call(m_second.port(), "GET", "/api/sites", secondToken).status, 200);
        const Run logout = fazt({QStringLiteral("logout"), QStringLiteral("second")});
        QVERIFY2(logout.exitCode == 0, qPrintable(logout.err));
        QCOMPARE(test::call(m_second.port(), "GET", "/api/sites", secondToken).status, 401);
        QCOMPARE(ok({QStringLiteral("servers"), QStringLiteral("list"), QStringLiteral("--json")})
                     .json()
                     .value(QLatin1String("servers"))
                     .toArray()
                     .size(),
                 1);
        // The one left is used without --server.
        QVERIFY(!ok({QStringLiteral("sites"), QStringLiteral("list")})
                     .out.contains(QStringLiteral("only-two")));
        QCOMPARE(fazt({QStringLiteral("servers"), QStringLiteral("use"), QStringLiteral("second")})
                     .exitCode,
                 1);
    }

    void sitesAndDomainsRoundTrip() {
        QCOMPARE(ok({QStringLiteral("sites"), QStringLiteral("create"), QStringLiteral("blog")})
                     .exitCode,
                 0);
        const QJsonArray sites =
            ok({QStringLiteral("sites"), QStringLiteral("list"), QStringLiteral("--json")})
                .json()
                .value(QLatin1String("sites"))
                .toArray();
        QVERIFY(std::any_of(sites.begin(), sites.end(), [](const QJsonValue &s) {
            return s.toObject().value(QLatin1String("name")).toString() == QLatin1String("blog");
        }));
        QCOMPARE(ok({QStringLiteral("domains"), QStringLiteral("add"), QStringLiteral("blog"),
                     QStringLiteral("www.example.org")})
                     .exitCode,
                 0);
        const QJsonObject shown = ok({QStringLiteral("sites"), QStringLiteral("show"),
                                      QStringLiteral("blog"), QStringLiteral("--json")})
                                      .json();
        QCOMPARE(shown.value(QLatin1String("domains"))
                     .toArray()
                     .first()
                     .toObject()
                     .value(QLatin1String("hostname"))
                     .toString(),
                 QStringLiteral("www.example.org"));
        QCOMPARE(test::fetch(m_first.port(), "www.example.org", "/").status, 404); // no deploy
        QCOMPARE(ok({QStringLiteral("domains"), QStringLiteral("remove"), QStringLiteral("blog"),
                     QStringLiteral("www.example.org")})
                     .exitCode,
                 0);
        QVERIFY(ok({QStringLiteral("domains"), QStringLiteral("list"), QStringLiteral("blog"),
                    QStringLiteral("--json")})
                    .json()
                    .value(QLatin1String("domains"))
                    .toArray()
                    .isEmpty());
        const Run badHost = fazt({QStringLiteral("domains"), QStringLiteral("add"),
                                  QStringLiteral("blog"), QStringLiteral("10.0.0.1")});
        QCOMPARE(badHost.exitCode, 1);
        QVERIFY2(badHost.err.contains(QStringLiteral("IP address")), qPrintable(badHost.err));

        const Run spa =
            ok({QStringLiteral("sites"), QStringLiteral("settings"), QStringLiteral("blog"),
                QStringLiteral("--spa"), QStringLiteral("on"), QStringLiteral("--json")});
        QCOMPARE(spa.json().value(QLatin1String("spa")).toBool(), true);
        QCOMPARE(fazt({QStringLiteral("sites"), QStringLiteral("settings"), QStringLiteral("blog"),
                       QStringLiteral("--spa"), QStringLiteral("maybe")})
                     .exitCode,
                 2);

        // Deleting asks for the name; with no terminal to ask on, only --yes deletes.
        const Run refused =
            fazt({QStringLiteral("sites"), QStringLiteral("delete"), QStringLiteral("blog")});
        QCOMPARE(refused.exitCode, 2);
        QVERIFY2(refused.err.contains(QStringLiteral("--yes")), qPrintable(refused.err));
        QCOMPARE(
            ok({QStringLiteral("sites"), QStringLiteral("show"), QStringLiteral("blog")}).exitCode,
            0);
        const Run deleted =
            fazt({QStringLiteral("sites"), QStringLiteral("delete"), QStringLiteral("blog"),
                  QStringLiteral("--yes"), QStringLiteral("--quiet")});
        QCOMPARE(deleted.exitCode, 0);
        QVERIFY(deleted.out.isEmpty());
        QCOMPARE(fazt({QStringLiteral("sites"), QStringLiteral("show"), QStringLiteral("blog")})
                     .exitCode,
                 1);
        QCOMPARE(fazt({QStringLiteral("sites"), QStringLiteral("delete")}).exitCode, 2);
        const Run hostile =
            fazt({QStringLiteral("sites"), QStringLiteral("create"), QStringLiteral("../etc")});
        QCOMPARE(hostile.exitCode, 2);
        QVERIFY(!hostile.err.isEmpty());
    }

    // A token works at its first use, whoever made it: the admin API, or `fazt server
    // create-token` writing to the running server's database.
    void newTokensWorkAtOnceAndRevokedOnesStop() {
        const Run created =
            ok({QStringLiteral("tokens"), QStringLiteral("create"), QStringLiteral("--name"),
                QStringLiteral("ci"), QStringLiteral("--scopes"), QStringLiteral("read")});
        const QString token = created.out.trimmed();
        QVERIFY2(token.startsWith(QStringLiteral("fazt_")), qPrintable(created.out));
        const QStringList listWith{QStringLiteral("sites"), QStringLiteral("list"),
                                   QStringLiteral("--token"), token};
        QCOMPARE(ok(listWith).exitCode, 0);
        QCOMPARE(fazt({QStringLiteral("sites"), QStringLiteral("create"), QStringLiteral("nope"),
                       QStringLiteral("--token"), token})
                     .exitCode,
                 1); // read only
        QCOMPARE(
            ok({QStringLiteral("tokens"), QStringLiteral("revoke"), QStringLiteral("ci")}).exitCode,
            0);
        QCOMPARE(fazt(listWith).exitCode, 1);

        const QByteArray offline = test::createToken(m_firstDb, "offline", "read");
        QVERIFY(offline.startsWith("fazt_"));
        QCOMPARE(test::call(m_first.port(), "GET", "/api/sites", offline).status, 200);

        const Run badScope =
            fazt({QStringLiteral("tokens"), QStringLiteral("create"), QStringLiteral("--name"),
                  QStringLiteral("x"), QStringLiteral("--scopes"), QStringLiteral("root")});
        QCOMPARE(badScope.exitCode, 2);
        QCOMPARE(fazt({QStringLiteral("tokens"), QStringLiteral("revoke"),
                       QStringLiteral("no-such-token")})
                     .exitCode,
                 1);
    }

    void configOfEveryDocumentedKey() {
        const Run timeout = ok({QStringLiteral("config"), QStringLiteral("set"),
                                QStringLiteral("functions.timeout_ms"), QStringLiteral("2000"),
                                QStringLiteral("functions.queue_length"), QStringLiteral("4"),
                                QStringLiteral("functions.queue_wait_ms"), QStringLiteral("100"),
                                QStringLiteral("functions.crash_limit"), QStringLiteral("3")});
        QCOMPARE(timeout.exitCode, 0);
        QVERIFY2(timeout.err.contains(QStringLiteral("restarts")), qPrintable(timeout.err));
        QCOMPARE(ok({QStringLiteral("config"), QStringLiteral("get"),
                     QStringLiteral("functions.timeout_ms")})
                     .out.trimmed(),
                 QStringLiteral("2000"));
        QCOMPARE(ok({QStringLiteral("config"), QStringLiteral("set"),
                     QStringLiteral("http.trusted_proxies"), QStringLiteral("127.0.0.2, ::1")})
                     .exitCode,
                 0);
        const QJsonObject values =
            ok({QStringLiteral("config"), QStringLiteral("get"), QStringLiteral("--json")})
                .json()
                .value(QLatin1String("values"))
                .toObject();
        QCOMPARE(values.value(QLatin1String("http.trusted_proxies")).toString(),
                 QStringLiteral("127.0.0.2,::1"));
        QCOMPARE(values.value(QLatin1String("functions.crash_limit")).toString(),
                 QStringLiteral("3"));
        QCOMPARE(ok({QStringLiteral("config"), QStringLiteral("set"),
                     QStringLiteral("stats.retention_days"), QStringLiteral("90")})
                     .exitCode,
                 0);

        for (const QStringList &bad :
             {QStringList{QStringLiteral("http.trusted_proxies"), QStringLiteral("proxy.local")},
              QStringList{QStringLiteral("functions.timeout_ms"), QStringLiteral("0")},
              QStringList{QStringLiteral("functions.queue_length"), QStringLiteral("many")},
              QStringList{QStringLiteral("no.such.key"), QStringLiteral("1")}}) {
            const Run refused =
                fazt(QStringList{QStringLiteral("config"), QStringLiteral("set")} + bad);
            QCOMPARE(refused.exitCode, 1);
            QVERIFY(!refused.err.isEmpty());
        }
        QCOMPARE(ok({QStringLiteral("config"), QStringLiteral("get"),
                     QStringLiteral("functions.timeout_ms")})
                     .out.trimmed(),
                 QStringLiteral("2000")); // nothing half-written
        QCOMPARE(
            fazt({QStringLiteral("config"), QStringLiteral("set"), QStringLiteral("x")}).exitCode,
            2);
        // A setting not stored says which default applies.
        const Run unset = fazt({QStringLiteral("config"), QStringLiteral("get"),
                                QStringLiteral("audit.retention_days")});
        QCOMPARE(unset.exitCode, 1);
        QVERIFY2(unset.err.contains(QStringLiteral("default applies: 90")), qPrintable(unset.err));
    }

    void limitsMaintenanceStatsAndCertificates() {
        const QJsonObject limits =
            ok({QStringLiteral("limits"), QStringLiteral("show"), QStringLiteral("--json")}).json();
        const qint64 safe = limits.value(QLatin1String("safe"))
                                .toObject()
                                .value(QLatin1String("maxConnections"))
                                .toInteger();
        QVERIFY(safe > 0);
        const QString tooMany = QStringLiteral("maxConnections=%1").arg(safe * 10);
        const Run refused = fazt({QStringLiteral("limits"), QStringLiteral("set"), tooMany});
        QCOMPARE(refused.exitCode, 1);
        QVERIFY2(refused.err.contains(QStringLiteral("--force")), qPrintable(refused.err));
        const Run forced = fazt({QStringLiteral("limits"), QStringLiteral("set"), tooMany,
                                 QStringLiteral("--force"), QStringLiteral("--json")});
        QVERIFY2(forced.exitCode == 0, qPrintable(forced.err));
        QCOMPARE(forced.json()
                     .value(QLatin1String("limits"))
                     .toObject()
                     .value(QLatin1String("maxConnections"))
                     .toInteger(),
                 safe * 10);
        QCOMPARE(fazt({QStringLiteral("limits"), QStringLiteral("set"),
                       QStringLiteral("cacheBytes=lots")})
                     .exitCode,
                 2);
        const QJsonObject recalibrated =
            ok({QStringLiteral("limits"), QStringLiteral("recalibrate"), QStringLiteral("--json")})
                .json();
        QVERIFY(recalibrated.value(QLatin1String("limits"))
                    .toObject()
                    .value(QLatin1String("maxConnections"))
                    .toInteger() > 0);

        QCOMPARE(ok({QStringLiteral("maintenance"), QStringLiteral("on")}).exitCode, 0);
        QCOMPARE(test::fetch(m_first.port(), "demo.localhost", "/").status, 503);
        QCOMPARE(ok({QStringLiteral("maintenance"), QStringLiteral("off")}).exitCode, 0);
        QCOMPARE(test::fetch(m_first.port(), "demo.localhost", "/").status, 200);

        const QJsonObject stats = ok({QStringLiteral("stats"), QStringLiteral("--json")}).json();
        QVERIFY(stats.contains(QLatin1String("totals")));
        const Run table =
            ok({QStringLiteral("stats"), QStringLiteral("--site"), QStringLiteral("demo")});
        QVERIFY2(table.out.contains(QStringLiteral("HOUR (UTC)")), qPrintable(table.out));
        QCOMPARE(table.out.count(u'\n') >= 24, true);

        const Run certificates = fazt({QStringLiteral("certificates"), QStringLiteral("list")});
        QCOMPARE(certificates.exitCode, 1);
        QVERIFY2(certificates.err.contains(QStringLiteral("HTTPS")), qPrintable(certificates.err));
    }

    void completionScriptsComeFromTheCommandTable() {
        const Run bash = ok({QStringLiteral("completion"), QStringLiteral("bash")});
        QVERIFY(bash.out.contains(QStringLiteral("complete -o default -F _fazt fazt")));
        const QString script = path(QStringLiteral("fazt.bash"));
        test::writeFile(script, bash.out.toUtf8());
        QProcess check;
        check.start(QStringLiteral("bash"), {QStringLiteral("-n"), script});
        QVERIFY(check.waitForFinished(10000));
        QCOMPARE(check.exitCode(), 0);
        // What bash offers after "fazt sites de" and "fazt sites delete --y".
        const auto complete = [&](const QString &line) {
            QProcess shell;
            shell.start(
                QStringLiteral("bash"),
                {QStringLiteral("-c"),
                 QStringLiteral(
                     "source '%1'; COMP_WORDS=(%2); COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 )); "
                     "_fazt; echo \"${COMPREPLY[*]}\"")
                     .arg(script, line)});
            shell.waitForFinished(10000);
            return QString::fromUtf8(shell.readAllStandardOutput()).trimmed();
        };
        QCOMPARE(complete(QStringLiteral("fazt sites de")), QStringLiteral("delete"));
        QCOMPARE(complete(QStringLiteral("fazt sites delete --y")), QStringLiteral("--yes"));
        QVERIFY(complete(QStringLiteral("fazt lo")).contains(QStringLiteral("login")));
        // A KEY argument offers the settings `fazt config set` takes (the settings registry).
        QCOMPARE(complete(QStringLiteral("fazt config set stats.ret")),
                 QStringLiteral("stats.retention_days"));
        QVERIFY(complete(QStringLiteral("fazt config get log."))
                    .contains(QStringLiteral("log.access_file")));

        const Run zsh = ok({QStringLiteral("completion"), QStringLiteral("zsh")});
        QVERIFY(zsh.out.startsWith(QStringLiteral("#compdef fazt")));
        QVERIFY(zsh.out.contains(QStringLiteral("--function-timeout")));
        QCOMPARE(fazt({QStringLiteral("completion"), QStringLiteral("fish")}).exitCode, 2);
    }

    void everyListAnswersJsonAndColourIsForTerminalsOnly() {
        for (const QStringList &list :
             {QStringList{QStringLiteral("deploys"), QStringLiteral("list"),
                          QStringLiteral("--site"), QStringLiteral("demo")},
              QStringList{QStringLiteral("env"), QStringLiteral("list"), QStringLiteral("demo")},
              QStringList{QStringLiteral("egress"), QStringLiteral("list"), QStringLiteral("demo")},
              QStringList{QStringLiteral("probe")}}) {
            const Run run = ok(list + QStringList{QStringLiteral("--json")});
            QVERIFY2(!run.json().isEmpty(), qPrintable(list.join(u' ') + u'\n' + run.out));
        }
        if (QStandardPaths::findExecutable(QStringLiteral("script")).isEmpty())
            QSKIP("no 'script' to run fazt on a terminal");
        const auto onTerminal = [&](const QProcessEnvironment &env) {
            QProcess p;
            p.setProcessEnvironment(env);
            p.start(QStringLiteral("script"),
                    {QStringLiteral("-qec"),
                     qEnvironmentVariable("FAZT_BIN") + QStringLiteral(" sites list"),
                     QStringLiteral("/dev/null")});
            p.closeWriteChannel();
            p.waitForFinished(30000);
            return p.readAllStandardOutput();
        };
        QVERIFY(onTerminal(m_env).contains("\x1b[1mNAME"));
        QProcessEnvironment noColour = m_env;
        noColour.insert(QStringLiteral("NO_COLOR"), QStringLiteral("1"));
        const QByteArray plain = onTerminal(noColour);
        QVERIFY(plain.contains("NAME"));
        QVERIFY(!plain.contains('\x1b'));
    }

    void logsWithoutASiteIsAUsageError() {
        const Run logs = fazt({QStringLiteral("logs")});
        QCOMPARE(logs.exitCode, 2);
        QVERIFY2(logs.err.contains(QStringLiteral("fazt logs SITE")), qPrintable(logs.err));
    }

    // Last: it stops the second server.
    void logoutFromAServerThatIsGoneForgetsAndSaysWhatToRevoke() {
        QCOMPARE(ok({QStringLiteral("login"), urlOf(m_second), QStringLiteral("--name"),
                     QStringLiteral("gone"), QStringLiteral("--password-file"),
                     path(QStringLiteral("password"))})
                     .exitCode,
                 0);
        QCOMPARE(m_second.stop(), 0);
        const Run logout = fazt({QStringLiteral("logout"), QStringLiteral("gone")});
        QCOMPARE(logout.exitCode, 1);
        QVERIFY2(logout.err.contains(QStringLiteral("fazt tokens revoke")), qPrintable(logout.err));
        QCOMPARE(fazt({QStringLiteral("logout"), QStringLiteral("gone")}).exitCode, 2);
        QCOMPARE(fazt({QStringLiteral("certificates"), QStringLiteral("renew")}).exitCode, 2);
    }

    void aBrokenFileOfSavedServersIsSaidToBe() {
        test::writeFile(savedServers(), "{ not json");
        const Run broken = fazt({QStringLiteral("sites"), QStringLiteral("list")});
        QCOMPARE(broken.exitCode, 2);
        QVERIFY2(broken.err.contains(savedServers()), qPrintable(broken.err));
        test::writeFile(savedServers(), "{\"servers\": [" + QByteArray(2 << 20, ' ') + "]}");
        const Run huge = fazt({QStringLiteral("sites"), QStringLiteral("list")});
        QCOMPARE(huge.exitCode, 2);
        QVERIFY2(huge.err.contains(QStringLiteral("larger than 1 MiB")), qPrintable(huge.err));
        QVERIFY(QFile::remove(savedServers()));
    }
};

QTEST_GUILESS_MAIN(TestCliDaily)
#include "tst_cli_daily.moc"
