// The logs an owner reads, from the real binary: the access log (common, combined and JSON
// lines for the requests made, hostile ones included, switched live by PUT /api/config, to a
// file or to stderr) and the audit log (a row for each kind of admin action, read back with
// GET /api/audit and `fazt audit`, old rows pruned).

#include "support/faztprocess.h"
#include "support/serversetup.h"
#include "tlstestsupport.h"

#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

using namespace fazt::test;

namespace {

const QByteArray Password = "correct horse battery staple";

// A User-Agent no log format may take as it is: quotes that would end the field, a
// backslash, a tab, a C1 control (U+0085, which a terminal obeys), bytes that are not UTF-8,
// and 20 KB of it (the parser lets each of these through in a header value).
QByteArray hostileAgent() {
    QByteArray agent = "evil\" 200 1 \"x\\ \t \xc2\x85 \xff\xfe caf\xc3\xa9 ";
    return agent + QByteArray(20000, 'A');
}

} // namespace

class TestLogs : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    FaztProcess m_server;
    QString m_db;
    QByteArray m_admin;
    QByteArray m_reader;

    HttpResponse api(const QByteArray &method, const QByteArray &path, const QByteArray &body = {},
                     const QByteArray &token = {}) {
        return callJson(m_server.port(), method, path, token.isEmpty() ? m_admin : token, body);
    }

    // Turns the access log on, in `format`, into `file` (empty: stderr).
    int logTo(const QByteArray &format, const QString &file) {
        return api("PUT", "/api/config",
                   "{\"log.access\": \"" + format + "\", \"log.access_file\": \"" +
                       QFile::encodeName(file) + "\"}")
            .status;
    }

    // The access log file's lines, once it has at least `count` of them.
    QList<QByteArray> logLines(const QString &file, qsizetype count) {
        QList<QByteArray> lines;
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 10000) {
            QFile log(file);
            if (log.open(QIODevice::ReadOnly))
                lines = log.readAll().split('\n');
            if (!lines.isEmpty() && lines.last().isEmpty())
                lines.removeLast();
            if (lines.size() >= count)
                break;
            QTest::qWait(50);
        }
        return lines;
    }

    // The audit entries the API lists for `query`, once there are at least `count`.
    QJsonArray auditEntries(const QByteArray &query, qsizetype count) {
        QJsonArray entries;
        QElapsedTimer timer;
        timer.start();
        while (timer.elapsed() < 10000) {
            entries = jsonBody(api("GET", "/api/audit?" + query))
                          .value(QLatin1String("entries"))
                          .toArray();
            if (entries.size() >= count)
                break;
            QTest::qWait(50);
        }
        return entries;
    }

private Q_SLOTS:
    void initTestCase() {
        m_db = m_dir.filePath(QStringLiteral("fazt.db"));
        QVERIFY(initDatabase(m_db, QStringLiteral("localhost")));
        writeFile(m_dir.filePath(QStringLiteral("password")), Password + '\n');
        QCOMPARE(
            runTool(qEnvironmentVariable("FAZT_BIN"),
                    {QStringLiteral("server"), QStringLiteral("set-credentials"),
                     QStringLiteral("--password-file"), m_dir.filePath(QStringLiteral("password")),
                     QStringLiteral("--db"), m_db}),
            0);
        m_admin = createToken(m_db, "owner", "admin");
        m_reader = createToken(m_db, "reader", "read");
        // An entry past the retention period (90 days by default): gone once the server runs.
        QCOMPARE(runTool(QStringLiteral("sqlite3"),
                         {m_db, QStringLiteral("INSERT INTO audit_log(at, actor, action) VALUES "
                                               "(1000, 'someone', 'ancient')")}),
                 0);
        QVERIFY(m_server.start(
            {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), m_db}));
    }

    void cleanupTestCase() { QCOMPARE(m_server.stop(), 0); }

    void accessLogIsOffByDefault() {
        QCOMPARE(fetch(m_server.port(), "localhost", "/").status, 200);
        QVERIFY(jsonBody(api("GET", "/api/config"))
                    .value(QLatin1String("values"))
                    .toObject()
                    .value(QLatin1String("log.access"))
                    .isUndefined());
        QVERIFY(!m_server.process().readAllStandardError().contains("GET / HTTP/1.1"));
    }

    void accessLogSettingsAreChecked() {
        const QString file = m_dir.filePath(QStringLiteral("access.log"));
        // Someone else's file (readable by others), and a link: never appended to.
        const QString shared = m_dir.filePath(QStringLiteral("shared.txt"));
        writeFile(shared, "keep me\n");
        QVERIFY(QFile::setPermissions(shared, QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                                                  QFileDevice::ReadOther));
        const QString link = m_dir.filePath(QStringLiteral("link.log"));
        QVERIFY(QFile::link(m_dir.filePath(QStringLiteral("password")), link));
        const QList<QByteArray> refused{
            "{\"log.access\": \"verbose\"}",
            "{\"log.access\": 1}",
            "{\"log.access_file\": \"relative/access.log\"}",
            "{\"log.access_file\": \"/no/such/folder/access.log\"}",
            QByteArray("{\"log.access_file\": \"") + QFile::encodeName(m_db) + "-wal\"}",
            QByteArray("{\"log.access_file\": \"") + QFile::encodeName(m_db) + "\"}",
            QByteArray("{\"log.access_file\": \"") + QFile::encodeName(shared) + "\"}",
            QByteArray("{\"log.access_file\": \"") + QFile::encodeName(link) + "\"}",
        };
        for (const QByteArray &body : refused) {
            const HttpResponse r = api("PUT", "/api/config", body);
            QVERIFY2(r.status == 400, body.constData());
            QVERIFY2(!jsonBody(r)
                          .value(QLatin1String("error"))
                          .toObject()
                          .value(QLatin1String("message"))
                          .toString()
                          .isEmpty(),
                     r.body.constData());
        }
        // Nothing half-applied: the log is still off, and the server still answers.
        QVERIFY(jsonBody(api("GET", "/api/config"))
                    .value(QLatin1String("values"))
                    .toObject()
                    .value(QLatin1String("log.access"))
                    .isUndefined());
        QCOMPARE(fetch(m_server.port(), "localhost", "/").status, 200);
        QVERIFY(!QFile::exists(file));
        QFile kept(shared);
        QVERIFY(kept.open(QIODevice::ReadOnly));
        QCOMPARE(kept.readAll(), QByteArray("keep me\n"));
    }

    void commonAndCombinedLines() {
        const QString file = m_dir.filePath(QStringLiteral("common.log"));
        QCOMPARE(logTo("common", file), 200);
        QCOMPARE(fetch(m_server.port(), "localhost", "/").status, 200);
        QCOMPARE(fetch(m_server.port(), "localhost", "/no/such/page?q=1").status, 404);
        QCOMPARE(fetch(m_server.port(), "localhost", "/", {"User-Agent: " + hostileAgent()}).status,
                 200);
        RawClient broken(m_server.port());
        broken.send("NOT A REQUEST\r\n\r\n");
        QCOMPARE(broken.read().status, 400);
        QCOMPARE(api("PUT", "/api/config", "{\"log.access\": \"combined\"}").status, 200);
        QCOMPARE(fetch(m_server.port(), "localhost", "/",
                       {"User-Agent: " + hostileAgent(), "Referer: http://x/\"q\""})
                     .status,
                 200);

        // One line each: the PUT that turned the log on, the four requests, the PUT that
        // switched to combined (already in it), the last request.
        const QList<QByteArray> lines = logLines(file, 7);
        QCOMPARE(lines.size(), 7);
        static const QRegularExpression common(QStringLiteral(
            "^127\\.0\\.0\\.1 - - \\[\\d\\d/[A-Z][a-z]{2}/\\d{4}:\\d\\d:\\d\\d:\\d\\d \\+0000\\] "
            "\"(-|[A-Z]+ \\S+ HTTP/1\\.[01])\" \\d{3} (\\d+|-)$"));
        // A quoted field: anything but a quote or backslash, or a backslash and what it escapes.
        static const QRegularExpression combined(QStringLiteral(
            "^127\\.0\\.0\\.1 - - \\[[^\\]]+\\] \"[A-Z]+ \\S+ HTTP/1\\.1\" \\d{3} (\\d+|-) "
            "\"(?:[^\"\\\\]|\\\\.)*\" \"(?:[^\"\\\\]|\\\\.)*\"$"));
        for (qsizetype i = 0; i < 5; ++i)
            QVERIFY2(common.match(QString::fromUtf8(lines[i])).hasMatch(), lines[i].constData());
        QVERIFY2(lines[0].contains("\"PUT /api/config HTTP/1.1\" 200 "), lines[0].constData());
        QVERIFY2(lines[1].contains("\"GET / HTTP/1.1\" 200 "), lines[1].constData());
        QVERIFY2(lines[2].contains("\"GET /no/such/page?q=1 HTTP/1.1\" 404 "),
                 lines[2].constData());
        QVERIFY2(lines[4].contains("\"-\" 400 "), lines[4].constData());
        for (const QByteArray &line : {lines[5], lines[6]})
            QVERIFY2(combined.match(QString::fromUtf8(line)).hasMatch(), line.constData());
        const QByteArray last = lines[6];
        QVERIFY2(last.contains("\"http://x/\\\"q\\\"\" \"evil\\\" 200 1 \\\"x\\\\ \\x09 "
                               "\\x85 \\xff\\xfe caf\xc3\xa9 AAA"),
                 last.constData());
        QVERIFY(last.size() < 4096 + 1024); // a field is cut at 4 KiB
        for (const QByteArray &line : lines)
            for (const char c : line)
                QVERIFY2(quint8(c) >= 0x20 && c != 0x7f, line.constData());
    }

    void jsonLinesToStderr() {
        QCOMPARE(logTo("json", QString()), 200);
        (void)m_server.process().readAllStandardError();
        QCOMPARE(fetch(m_server.port(), "demo.localhost", "/?from=json",
                       {"User-Agent: " + hostileAgent(), "Referer: https://example.org/"})
                     .status,
                 200);
        QByteArray said;
        QElapsedTimer timer;
        timer.start();
        while (!said.contains("from=json") && timer.elapsed() < 10000) {
            m_server.process().waitForReadyRead(100);
            said += m_server.process().readAllStandardError();
        }
        QJsonObject entry;
        for (const QByteArray &line : said.split('\n')) {
            if (!line.contains("from=json"))
                continue;
            QJsonParseError error{};
            entry = QJsonDocument::fromJson(line, &error).object();
            QVERIFY2(error.error == QJsonParseError::NoError, line.constData());
        }
        QCOMPARE(entry.value(QLatin1String("remote_ip")).toString(), QStringLiteral("127.0.0.1"));
        QCOMPARE(entry.value(QLatin1String("host")).toString(), QStringLiteral("demo.localhost"));
        QCOMPARE(entry.value(QLatin1String("method")).toString(), QStringLiteral("GET"));
        QCOMPARE(entry.value(QLatin1String("uri")).toString(), QStringLiteral("/?from=json"));
        QCOMPARE(entry.value(QLatin1String("proto")).toString(), QStringLiteral("HTTP/1.1"));
        QCOMPARE(entry.value(QLatin1String("status")).toInt(), 200);
        QVERIFY(entry.value(QLatin1String("size")).toInteger() > 0);
        QVERIFY(entry.value(QLatin1String("duration")).toDouble() >= 0);
        QVERIFY(entry.value(QLatin1String("time")).toString().endsWith(u'Z'));
        QCOMPARE(entry.value(QLatin1String("referer")).toString(),
                 QStringLiteral("https://example.org/"));
        // Decoded, the agent is what was sent, but for the bytes that are not UTF-8 (each
        // shown as the code point of its value) and the cut at 4 KiB.
        const QString agent = entry.value(QLatin1String("user_agent")).toString();
        QVERIFY2(agent.startsWith(QStringLiteral("evil\" 200 1 \"x\\ \t \u0085 \u00ff\u00fe "
                                                 "caf\u00e9 AAA")),
                 qPrintable(agent));
        QCOMPARE(agent.size(), 4096 - 2); // é and U+0085 are two bytes each, one character
    }

    void switchedOffLive() {
        const QString file = m_dir.filePath(QStringLiteral("again.log"));
        QCOMPARE(api("PUT", "/api/config", "{\"log.access\": \"off\"}").status, 200);
        QCOMPARE(fetch(m_server.port(), "localhost", "/while-off").status, 404);
        QCOMPARE(logTo("common", file), 200);
        QCOMPARE(fetch(m_server.port(), "localhost", "/after").status, 404);
        const QList<QByteArray> lines = logLines(file, 2);
        QVERIFY(lines.size() >= 1);
        QVERIFY(std::none_of(lines.begin(), lines.end(),
                             [](const QByteArray &l) { return l.contains("/while-off"); }));
        QCOMPARE(api("PUT", "/api/config", "{\"log.access\": \"off\"}").status, 200);
    }

    void auditRowForEachAdminAction() {
        const quint16 port = m_server.port();
        // Logins: one good, one bad; then a change made with the session.
        QCOMPARE(callJson(port, "POST", "/api/login", {},
                          "{\"username\": \"admin\", \"password\": \"not it\"}")
                     .status,
                 401);
        const HttpResponse login =
            callJson(port, "POST", "/api/login", {},
                     "{\"username\": \"admin\", \"password\": \"" + Password + "\"}");
        QCOMPARE(login.status, 200);
        const QByteArray cookie = login.header("Set-Cookie").split(';').first();
        const QByteArray csrf =
            jsonBody(login).value(QLatin1String("csrfToken")).toString().toLatin1();
        const QByteArray site = "{\"name\": \"shop\"}";
        QCOMPARE(
            call(port, "POST", "/api/sites", {}, site,
                 {"Cookie: " + cookie, "X-CSRF-Token: " + csrf, "Content-Type: application/json"})
                .status,
            201);
        // Tokens.
        const HttpResponse created =
            api("POST", "/api/tokens", "{\"name\": \"ci\", \"scopes\": \"deploy\"}");
        QCOMPARE(created.status, 201);
        const QByteArray tokenId =
            QByteArray::number(jsonBody(created).value(QLatin1String("id")).toInteger());
        const QByteArray secret =
            jsonBody(created).value(QLatin1String("token")).toString().toLatin1();
        QCOMPARE(api("DELETE", "/api/tokens/" + tokenId).status, 204);
        // Deploys, activation, rollback.
        writeFile(m_dir.filePath(QStringLiteral("site/index.html")), "<h1>one</h1>");
        const QStringList deploy{
            QStringLiteral("deploy"),   m_dir.filePath(QStringLiteral("site")),
            QStringLiteral("--site"),   QStringLiteral("blog"),
            QStringLiteral("--server"), QStringLiteral("http://127.0.0.1:%1").arg(port),
            QStringLiteral("--token"),  QString::fromLatin1(m_admin)};
        QCOMPARE(runTool(qEnvironmentVariable("FAZT_BIN"), deploy), 0);
        writeFile(m_dir.filePath(QStringLiteral("site/index.html")), "<h1>two</h1>");
        QCOMPARE(runTool(qEnvironmentVariable("FAZT_BIN"), deploy), 0);
        QCOMPARE(api("POST", "/api/sites/blog/rollback").status, 200);
        qint64 newestId = 0;
        for (const QJsonValue &d : jsonBody(api("GET", "/api/sites/blog/deploys"))
                                       .value(QLatin1String("deploys"))
                                       .toArray())
            newestId = std::max(newestId, d.toObject().value(QLatin1String("id")).toInteger());
        const QByteArray newest = QByteArray::number(newestId);
        QCOMPARE(api("POST", "/api/sites/blog/deploys/" + newest + "/activate").status, 200);
        // The site, its domains, settings; the server's limits, maintenance, config.
        QCOMPARE(api("PUT", "/api/sites/blog/settings", "{\"spa\": true}").status, 200);
        QCOMPARE(api("POST", "/api/sites/blog/domains", "{\"hostname\": \"www.blog.test\"}").status,
                 201);
        QCOMPARE(api("DELETE", "/api/sites/blog/domains/www.blog.test").status, 204);
        const qint64 cache = jsonBody(api("GET", "/api/system/limits"))
                                 .value(QLatin1String("limits"))
                                 .toObject()
                                 .value(QLatin1String("cacheBytes"))
                                 .toInteger();
        QCOMPARE(api("PUT", "/api/system/limits",
                     "{\"limits\": {\"cacheBytes\": " + QByteArray::number(cache) + "}}")
                     .status,
                 200);
        QCOMPARE(api("POST", "/api/system/maintenance", "{\"enabled\": true}").status, 200);
        QCOMPARE(api("POST", "/api/system/maintenance", "{\"enabled\": false}").status, 200);
        QCOMPARE(api("POST", "/api/system/recalibrate").status, 200);
        QCOMPARE(api("PUT", "/api/config", "{\"audit.retention_days\": 120}").status, 200);
        QCOMPARE(api("PUT", "/api/sites/blog/env/API_KEY",
                     "{\"value\": \"s3cr3t-value\", \"secret\": true}")
                     .status,
                 200);
        QCOMPARE(api("DELETE", "/api/sites/blog/env/API_KEY").status, 204);
        QCOMPARE(api("PUT", "/api/sites/blog/egress", "{\"hosts\": [\"api.example.com\"]}").status,
                 200);
        QCOMPARE(call(port, "POST", "/api/logout", {}, {},
                      {"Cookie: " + cookie, "X-CSRF-Token: " + csrf})
                     .status,
                 204);
        QCOMPARE(api("DELETE", "/api/sites/shop").status, 204);
        // A token refused for lack of rights; reads are not audited.
        QCOMPARE(api("POST", "/api/sites", "{\"name\": \"nope\"}", m_reader).status, 403);
        QCOMPARE(api("GET", "/api/sites").status, 200);

        struct Expected {
            const char *action;
            const char *actor;
            const char *site;
            QByteArray target;
            int status;
        };
        const QList<Expected> expected{
            {"login.failed", "password login", "", "admin", 401},
            {"login", "password login", "", "admin", 200},
            {"site.create", "password login", "shop", "", 201},
            {"token.create", "token owner", "", tokenId, 201},
            {"token.revoke", "token owner", "", tokenId, 204},
            {"deploy", "token owner", "blog", "", 200}, // the commit of an incremental deploy
            {"deploy.rollback", "token owner", "blog", "", 200},
            {"deploy.activate", "token owner", "blog", newest, 200},
            {"site.settings", "token owner", "blog", "", 200},
            {"domain.add", "token owner", "blog", "", 201},
            {"domain.remove", "token owner", "blog", "www.blog.test", 204},
            {"limits.set", "token owner", "", "", 200},
            {"maintenance.on", "token owner", "", "", 200},
            {"maintenance.off", "token owner", "", "", 200},
            {"recalibrate", "token owner", "", "", 200},
            {"config.set", "token owner", "", "", 200},
            {"env.set", "token owner", "blog", "API_KEY", 200},
            {"env.unset", "token owner", "blog", "API_KEY", 204},
            {"egress.set", "token owner", "blog", "", 200},
            {"logout", "password login", "", "", 204},
            {"site.delete", "token owner", "shop", "", 204},
            {"site.create", "token reader", "", "", 403}, // refused before its body is read
            // Done to the database by the command line (initTestCase), not through the API.
            {"credentials.set", "command line", "", "admin", 0},
            {"token.create", "command line", "", "", 0},
        };
        // config.set appears once more per access-log test above; deploy twice; a second
        // token made on the command line.
        const QJsonArray entries = auditEntries("limit=1000", expected.size() + 8);
        QByteArray all;
        for (const Expected &e : expected) {
            const auto found =
                std::find_if(entries.begin(), entries.end(), [&](const QJsonValue &v) {
                    const QJsonObject o = v.toObject();
                    return o.value(QLatin1String("action")).toString() == QLatin1String(e.action) &&
                           o.value(QLatin1String("actor")).toString() == QLatin1String(e.actor) &&
                           o.value(QLatin1String("site")).toString() == QLatin1String(e.site) &&
                           o.value(QLatin1String("status")).toInt() == e.status &&
                           (e.target.isEmpty() ||
                            o.value(QLatin1String("target")).toString().toLatin1() == e.target);
                });
            QVERIFY2(found != entries.end(),
                     qPrintable(QStringLiteral("no audit row for %1 by %2: %3")
                                    .arg(QLatin1String(e.action), QLatin1String(e.actor),
                                         QString::fromUtf8(QJsonDocument(entries).toJson()))));
            QCOMPARE(found->toObject().value(QLatin1String("client")).toString(),
                     e.status ? QStringLiteral("127.0.0.1") : QString());
        }
        for (const QJsonValue &v : entries) {
            const QJsonObject o = v.toObject();
            all += QJsonDocument(o).toJson();
            QVERIFY2(o.value(QLatin1String("action")).toString() != QLatin1String("ancient"),
                     "pruned at start");
        }
        // What changed is described; secrets are not.
        QVERIFY2(all.contains("{\\\"enabled\\\":true}"), all.constData());
        QVERIFY(all.contains("2 files") || all.contains("1 files"));
        QVERIFY(!all.contains(Password));
        QVERIFY(!all.contains("s3cr3t-value"));
        QVERIFY2(all.contains("api.example.com"), all.constData());
        QVERIFY(!all.contains(secret));
        QVERIFY(!all.contains(m_admin));
    }

    void auditIsReadWithFiltersAndPages() {
        const QJsonArray tokens = auditEntries("action=token.", 4);
        QCOMPARE(tokens.size(), 4); // two made on the command line, one made and revoked
        for (const QJsonValue &v : tokens)
            QVERIFY(v.toObject()
                        .value(QLatin1String("action"))
                        .toString()
                        .startsWith(QLatin1String("token.")));
        for (const QJsonValue &v : auditEntries("site=blog", 1))
            QCOMPARE(v.toObject().value(QLatin1String("site")).toString(), QStringLiteral("blog"));
        const QJsonObject first = jsonBody(api("GET", "/api/audit?limit=2"));
        QCOMPARE(first.value(QLatin1String("entries")).toArray().size(), 2);
        const qint64 next = first.value(QLatin1String("next")).toInteger();
        QCOMPARE(next, first.value(QLatin1String("entries"))
                           .toArray()
                           .last()
                           .toObject()
                           .value(QLatin1String("id"))
                           .toInteger());
        const QJsonArray second =
            jsonBody(api("GET", "/api/audit?limit=2&before=" + QByteArray::number(next)))
                .value(QLatin1String("entries"))
                .toArray();
        QCOMPARE(second.size(), 2);
        QVERIFY(second.first().toObject().value(QLatin1String("id")).toInteger() < next);
        QCOMPARE(auditEntries("since=2000-01-01T00:00:00Z&until=2001-01-01", 0).size(), 0);
        for (const QByteArray query : {"limit=0", "limit=5000", "before=x", "since=yesterday"}) {
            const HttpResponse r = api("GET", "/api/audit?" + query);
            QVERIFY2(r.status == 400, query.constData());
            QVERIFY(!jsonBody(r)
                         .value(QLatin1String("error"))
                         .toObject()
                         .value(QLatin1String("message"))
                         .toString()
                         .isEmpty());
        }
        QCOMPARE(api("GET", "/api/audit", {}, m_reader).status, 403); // admin only
    }

    void auditCommand() {
        const QStringList connection{QStringLiteral("--server"),
                                     QStringLiteral("http://127.0.0.1:%1").arg(m_server.port()),
                                     QStringLiteral("--token"), QString::fromLatin1(m_admin)};
        QByteArray out;
        QCOMPARE(runTool(qEnvironmentVariable("FAZT_BIN"),
                         QStringList{QStringLiteral("audit"), QStringLiteral("--action"),
                                     QStringLiteral("deploy")} +
                             connection,
                         &out),
                 0);
        const QList<QByteArray> lines = out.trimmed().split('\n');
        QVERIFY2(lines.first().startsWith("TIME (UTC)"), out.constData());
        QCOMPARE(lines.size(), 3); // the header and two deploys
        QVERIFY2(lines[1].contains("token owner") && lines[1].contains("blog"), out.constData());
        QCOMPARE(runTool(qEnvironmentVariable("FAZT_BIN"),
                         QStringList{QStringLiteral("audit"), QStringLiteral("--json"),
                                     QStringLiteral("--limit"), QStringLiteral("1")} +
                             connection,
                         &out),
                 0);
        QCOMPARE(
            QJsonDocument::fromJson(out).object().value(QLatin1String("entries")).toArray().size(),
            1);
        QByteArray err;
        QCOMPARE(runTool(qEnvironmentVariable("FAZT_BIN"),
                         QStringList{QStringLiteral("audit"), QStringLiteral("--limit"),
                                     QStringLiteral("lots")} +
                             connection,
                         &out, &err),
                 1);
        QVERIFY2(err.contains("limit"), err.constData());
    }

    // Certificates are issued by the server itself ("system"); the local CA's are enough to
    // see the rows.
    void certificatesAreAudited() {
        const QString db = m_dir.filePath(QStringLiteral("tls.db"));
        QVERIFY(initDatabase(db, QStringLiteral("example.test")));
        const QByteArray token = createToken(db, "tls", "admin");
        HttpsFazt server;
        const quint16 port = freePort();
        QVERIFY(server.start(db, port, freePort(), {QStringLiteral("--self-signed")}));
        QJsonArray entries;
        QElapsedTimer timer;
        timer.start();
        while (entries.isEmpty() && timer.elapsed() < 20000) {
            entries = jsonBody(server.api("GET", "/api/audit?action=certificate.issued", token))
                          .value(QLatin1String("entries"))
                          .toArray();
            QTest::qWait(100);
        }
        QVERIFY(!entries.isEmpty());
        QCOMPARE(entries.first().toObject().value(QLatin1String("actor")).toString(),
                 QStringLiteral("system"));
        QVERIFY(entries.first()
                    .toObject()
                    .value(QLatin1String("target"))
                    .toString()
                    .endsWith(QLatin1String("example.test")));
        QCOMPARE(server.stop(), 0);
    }
};

QTEST_GUILESS_MAIN(TestLogs)
#include "tst_logs.moc"
