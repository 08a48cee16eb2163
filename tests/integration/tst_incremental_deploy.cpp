// Incremental deploys against the real server: `fazt deploy FOLDER` sends a manifest and only
// the content the server lacks (an unchanged redeploy sends under 1 % of the site); hostile
// manifests and content are refused whole with a 4xx, and nothing is visible before the
// commit.

#include "archive/archivewriter.h"
#include "crypto/sha256.h"
#include "support/faztprocess.h"
#include "support/serversetup.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>

using namespace fazt;
using fazt::test::FaztProcess;
using fazt::test::HttpResponse;
using fazt::test::jsonBody;
using fazt::test::randomBytes;

namespace {

QString hex(const QByteArray &content) {
    return QString::fromLatin1(crypto::Sha256::hash(content).toHex());
}

QJsonObject entry(const QString &path, const QByteArray &content) {
    return {{QStringLiteral("path"), path},
            {QStringLiteral("sha256"), hex(content)},
            {QStringLiteral("size"), content.size()}};
}

QByteArray manifest(const QJsonArray &files) {
    return QJsonDocument(QJsonObject{{QStringLiteral("files"), files}})
        .toJson(QJsonDocument::Compact);
}

} // namespace

class TestIncrementalDeploy : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    QByteArray m_token;
    FaztProcess m_server;

    QString path(const QString &name) const { return m_dir.filePath(name); }

    HttpResponse post(const QByteArray &target, const QByteArray &body = {}) {
        return test::call(m_server.port(), "POST", target, m_token, body);
    }

    // A tar of `contents`, each entry named by the SHA-256 of what it holds (or by `name`).
    QByteArray contentArchive(const QList<QPair<QString, QByteArray>> &contents) {
        std::vector<archive::FileToPack> files;
        for (const auto &[name, content] : contents) {
            const QString file = path(QStringLiteral("content-%1").arg(files.size()));
            test::writeFile(file, content);
            files.push_back({name.isEmpty() ? hex(content) : name, file, content.size()});
        }
        archive::PackOptions plain;
        plain.compression = archive::Compression::None;
        const QString archivePath = path(QStringLiteral("content.tar"));
        if (!archive::packFiles(files, archivePath, plain))
            return {};
        QFile tar(archivePath);
        return tar.open(QIODevice::ReadOnly) ? tar.readAll() : QByteArray();
    }

    QString deployFolder(const QString &folder, const QString &site) {
        return test::deployWithCli(m_server.port(), m_token, folder, site);
    }

    // The newest deploy job of `site`.
    QJsonObject lastJob(const QByteArray &site) {
        return jsonBody(test::call(m_server.port(), "GET", "/api/sites/" + site + "/deploy-jobs",
                                   m_token))
            .value(QStringLiteral("jobs"))
            .toArray()
            .first()
            .toObject();
    }

private Q_SLOTS:
    void initTestCase() {
        QVERIFY2(QFile::exists(qEnvironmentVariable("FAZT_BIN")),
                 "FAZT_BIN must name the fazt binary");
        const QString db = path(QStringLiteral("fazt.db"));
        QVERIFY(test::initDatabase(db, QStringLiteral("example.com")));
        m_token = test::createToken(db, "ci", "admin");
        QVERIFY2(m_server.start({QStringLiteral("server"), QStringLiteral("start"),
                                 QStringLiteral("--db"), db}),
                 m_server.output().constData());
    }

    void cleanupTestCase() { QCOMPARE(m_server.stop(), 0); }

    // The promise: an unchanged redeploy sends under 1 % of the site; a change sends
    // that change; what was removed goes.
    void redeployUploadsOnlyWhatChanged() {
        const QString folder = path(QStringLiteral("site"));
        qint64 total = 0;
        for (int i = 0; i < 60; ++i) {
            const QByteArray content = randomBytes(32 << 10, quint32(i + 1));
            test::writeFile(folder + QStringLiteral("/assets/%1.bin").arg(i), content);
            total += content.size();
        }
        test::writeFile(folder + QStringLiteral("/index.html"), "v1");
        test::writeFile(folder + QStringLiteral("/old.html"), "old");
        test::writeFile(folder + QStringLiteral("/copy.bin"),
                        randomBytes(32 << 10, 1)); // the same content as assets/0.bin

        QString err = deployFolder(folder, QStringLiteral("inc"));
        QVERIFY2(err.contains(QStringLiteral("0 of 63 files")), qPrintable(err));
        const qint64 first = lastJob("inc").value(QStringLiteral("uploadedBytes")).toInteger();
        QVERIFY2(first > total && first < total + (64 << 10), qPrintable(QString::number(first)));

        err = deployFolder(folder, QStringLiteral("inc"));
        QVERIFY2(err.contains(QStringLiteral("63 of 63 files")), qPrintable(err));
        QVERIFY2(err.contains(QStringLiteral("sending nothing else")), qPrintable(err));
        const qint64 unchanged = lastJob("inc").value(QStringLiteral("uploadedBytes")).toInteger();
        QVERIFY2(unchanged < total / 100, qPrintable(QString::number(unchanged)));

        test::writeFile(folder + QStringLiteral("/index.html"), "v2");
        QVERIFY(QFile::remove(folder + QStringLiteral("/old.html")));
        err = deployFolder(folder, QStringLiteral("inc"));
        QVERIFY2(err.contains(QStringLiteral("61 of 62 files")), qPrintable(err));
        const qint64 changed = lastJob("inc").value(QStringLiteral("uploadedBytes")).toInteger();
        QVERIFY2(changed < total / 50, qPrintable(QString::number(changed)));
        QCOMPARE(test::fetch(m_server.port(), "inc.example.com", "/").body, QByteArray("v2"));
        QCOMPARE(test::fetch(m_server.port(), "inc.example.com", "/old.html").status, 404);
        QCOMPARE(test::fetch(m_server.port(), "inc.example.com", "/copy.bin").body,
                 randomBytes(32 << 10, 1));
    }

    void hostileManifestsAreRefused_data() {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("message");
        const QByteArray a = "a";
        QTest::newRow("not json") << QByteArray("{files") << 400 << "not a JSON object";
        QTest::newRow("no files") << manifest({}) << 400 << "lists no files";
        QTest::newRow("traversal") << manifest({entry(QStringLiteral("../etc/passwd"), a)}) << 400
                                   << "'..' is not allowed";
        QTest::newRow("twice") << manifest({entry(QStringLiteral("a.html"), a),
                                            entry(QStringLiteral("./a.html"), a)})
                               << 400 << "listed twice";
        QJsonObject badHash = entry(QStringLiteral("a.html"), a);
        badHash.insert(QStringLiteral("sha256"), QStringLiteral("xyz"));
        QTest::newRow("bad hash") << manifest({badHash}) << 400 << "not 64 hex digits";
        QJsonObject negative = entry(QStringLiteral("a.html"), a);
        negative.insert(QStringLiteral("size"), -1);
        QTest::newRow("negative size") << manifest({negative}) << 400 << "whole number";
        QJsonObject huge = entry(QStringLiteral("a.html"), a);
        huge.insert(QStringLiteral("size"), double(qint64(2) << 30));
        QTest::newRow("file too large") << manifest({huge}) << 413 << "at most";
        QJsonArray many;
        for (int i = 0; i <= 20000; ++i)
            many.append(entry(QStringLiteral("f%1").arg(i), a));
        QTest::newRow("too many files") << manifest(many) << 413 << "at most 20000";
        QTest::newRow("huge body") << QByteArray(9 << 20, ' ') << 413 << "at most";
    }

    void hostileManifestsAreRefused() {
        QFETCH(QByteArray, body);
        QFETCH(int, status);
        QFETCH(QString, message);
        const HttpResponse r = post("/api/sites/hostile/deploy-jobs", body);
        QCOMPARE(r.status, status);
        QVERIFY2(r.body.contains(message.toUtf8()), r.body);
        QCOMPARE(test::fetch(m_server.port(), "hostile.example.com", "/").status, 404);
        QCOMPARE(test::call(m_server.port(), "GET", "/api/sites", m_token).status, 200);
    }

    // Content that does not hash to its name fails the deploy; nothing of it becomes visible.
    void contentMustMatchItsHash() {
        const QByteArray hello = "hello";
        const HttpResponse started = post("/api/sites/mismatch/deploy-jobs",
                                          manifest({entry(QStringLiteral("index.html"), hello)}));
        QCOMPARE(started.status, 201);
        const QJsonObject job = jsonBody(started);
        QCOMPARE(job.value(QStringLiteral("state")).toString(), QStringLiteral("receiving"));
        QCOMPARE(job.value(QStringLiteral("missing")).toArray(), QJsonArray({hex(hello)}));
        const QByteArray url = job.value(QStringLiteral("url")).toString().toUtf8();

        const HttpResponse sent = post(url + "/blobs", contentArchive({{hex(hello), "HELLO"}}));
        QCOMPARE(sent.status, 400);
        QVERIFY2(sent.body.contains("nothing of it was kept"), sent.body);
        QCOMPARE(jsonBody(test::call(m_server.port(), "GET", url, m_token))
                     .value(QStringLiteral("state"))
                     .toString(),
                 QStringLiteral("failed"));
        QCOMPARE(post(url + "/commit").status, 409);
        QCOMPARE(test::fetch(m_server.port(), "mismatch.example.com", "/").status, 404);
    }

    // Content the deploy does not need, or of another size than the manifest says.
    void unexpectedContentIsRefused() {
        const QByteArray hello = "hello";
        QJsonObject wrongSize = entry(QStringLiteral("index.html"), hello);
        wrongSize.insert(QStringLiteral("size"), 3);
        QByteArray url = jsonBody(post("/api/sites/unexpected/deploy-jobs", manifest({wrongSize})))
                             .value(QStringLiteral("url"))
                             .toString()
                             .toUtf8();
        HttpResponse sent = post(url + "/blobs", contentArchive({{QString(), hello}}));
        QCOMPARE(sent.status, 400);
        QVERIFY2(sent.body.contains("not 3 as the manifest says"), sent.body);

        url = jsonBody(post("/api/sites/unexpected/deploy-jobs",
                            manifest({entry(QStringLiteral("a"), hello)})))
                  .value(QStringLiteral("url"))
                  .toString()
                  .toUtf8();
        sent = post(url + "/blobs", contentArchive({{QString(), "not in the manifest"}}));
        QCOMPARE(sent.status, 400);
        QVERIFY2(sent.body.contains("not content this deploy still needs"), sent.body);
        QCOMPARE(test::fetch(m_server.port(), "unexpected.example.com", "/a").status, 404);
    }

    // A commit with content still missing is refused and says what; the job waits for it.
    void commitNeedsEveryContent() {
        const QByteArray one = "one";
        const QByteArray two = "two";
        const QByteArray url = jsonBody(post("/api/sites/partial/deploy-jobs",
                                             manifest({entry(QStringLiteral("one.txt"), one),
                                                       entry(QStringLiteral("two.txt"), two)})))
                                   .value(QStringLiteral("url"))
                                   .toString()
                                   .toUtf8();
        QCOMPARE(post(url + "/blobs", contentArchive({{QString(), one}})).status, 200);
        const HttpResponse early = post(url + "/commit");
        QCOMPARE(early.status, 409);
        QVERIFY2(early.body.contains("missing_content") && early.body.contains("two.txt"),
                 early.body);
        QCOMPARE(test::fetch(m_server.port(), "partial.example.com", "/one.txt").status, 404);

        QCOMPARE(post(url + "/blobs", contentArchive({{QString(), two}})).status, 200);
        const HttpResponse committed = post(url + "/commit");
        QCOMPARE(committed.status, 200);
        QCOMPARE(jsonBody(committed).value(QStringLiteral("state")).toString(),
                 QStringLiteral("done"));
        QCOMPARE(test::fetch(m_server.port(), "partial.example.com", "/two.txt").body, two);
        QCOMPARE(post(url + "/commit").status, 409); // once
    }
};

QTEST_GUILESS_MAIN(TestIncrementalDeploy)
#include "tst_incremental_deploy.moc"
