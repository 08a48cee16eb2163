// Vfs: sites, deploys, files and content-addressed chunked blobs in fazt.db.

#include "support/patterndevice.h"
#include "vfs/vfs.h"
#include "vfs/vfscache.h"

#include <QBuffer>
#include <QCryptographicHash>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace fazt;
using namespace fazt::vfs;

class TestVfs : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<db::Database> m_db;
    std::unique_ptr<Vfs> m_vfs;

    Vfs &vfs() { return *m_vfs; }
    qint64 count(const char *sql) { return *m_db->reader().queryInt(sql); }

    // Deploys {path: content} to `site` and returns the deploy.
    DeployInfo deployFiles(const QString &site, const QList<QPair<QString, QByteArray>> &files,
                           Vfs::Activation activation = Vfs::Activation::Activate) {
        auto writer = vfs().beginDeploy(site);
        if (!writer)
            qFatal("%s", qPrintable(writer.error().message));
        for (const auto &[path, content] : files) {
            Status s = (*writer)->addFile(path, content);
            if (!s)
                qFatal("%s", qPrintable(s.error().message));
        }
        auto info = (*writer)->commit(activation);
        if (!info)
            qFatal("%s", qPrintable(info.error().message));
        return *info;
    }

    QByteArray contentOf(const QString &site, const QString &path) {
        auto file = vfs().resolve(site, path);
        if (!file)
            return "<" + file.error().message.toUtf8() + ">";
        return *vfs().readAll(*file);
    }

private Q_SLOTS:
    void init() {
        m_vfs.reset();
        m_db.reset();
        auto opened = db::Database::open(
            m_dir.filePath(QStringLiteral("%1.db").arg(QString::fromLatin1(QTest::currentTestFunction()))));
        QVERIFY(opened);
        m_db = std::move(*opened);
        m_vfs = std::make_unique<Vfs>(*m_db);
        QVERIFY(vfs().createSite(QStringLiteral("site")));
    }

    void siteNamesAreDnsLabels() {
        for (const char *good : {"a", "blog", "my-site-2", "0"})
            QVERIFY2(Vfs::validateSiteName(QString::fromLatin1(good)), good);
        for (const char *bad : {"", "-a", "a-", "Blog", "a.b", "a_b", "ü", "a b"})
            QVERIFY2(!Vfs::validateSiteName(QString::fromUtf8(bad)), bad);
        QVERIFY(!Vfs::validateSiteName(QString(64, u'a')));
        auto duplicate = vfs().createSite(QStringLiteral("site"));
        QVERIFY(!duplicate);
        QCOMPARE(duplicate.error().code, Error::Code::Conflict);
        QVERIFY(duplicate.error().message.contains(QStringLiteral("exists already")));
    }

    void pathsAreNormalizedOrRejected() {
        QCOMPARE(*Vfs::normalizePath(QStringLiteral("/a//b/./c.html")), QStringLiteral("a/b/c.html"));
        QCOMPARE(*Vfs::normalizePath(QStringLiteral("index.html")), QStringLiteral("index.html"));
        for (const QString &bad : QStringList{QStringLiteral("../etc/passwd"), QStringLiteral("a/../../b"),
                                   QStringLiteral("a\\b"), QStringLiteral("a\nb"),
                                   QString(QStringLiteral("a") + QChar(0) + QStringLiteral("b")),
                                   QStringLiteral("/"), QStringLiteral(""),
                                   QString(1100, u'x')}) {
            auto r = Vfs::normalizePath(bad);
            QVERIFY2(!r, qPrintable(bad.left(40)));
            QCOMPARE(r.error().code, Error::Code::Invalid);
        }
    }

    void mimeTypesByExtension() {
        QCOMPARE(Vfs::mimeTypeFor(QStringLiteral("a/index.HTML")), QStringLiteral("text/html; charset=utf-8"));
        QCOMPARE(Vfs::mimeTypeFor(QStringLiteral("app.js")), QStringLiteral("text/javascript; charset=utf-8"));
        QCOMPARE(Vfs::mimeTypeFor(QStringLiteral("font.woff2")), QStringLiteral("font/woff2"));
        QCOMPARE(Vfs::mimeTypeFor(QStringLiteral("README")), QStringLiteral("application/octet-stream"));
        QCOMPARE(Vfs::mimeTypeFor(QStringLiteral("dir.d/.env")), QStringLiteral("application/octet-stream"));
    }

    void deployResolvesAndServesContent() {
        const DeployInfo d = deployFiles(QStringLiteral("site"),
                                         {{QStringLiteral("index.html"), "<h1>hi</h1>"},
                                          {QStringLiteral("/css/site.css"), "body{}"},
                                          {QStringLiteral("empty.txt"), QByteArray()}});
        QVERIFY(d.isComplete && d.isActive);
        QCOMPARE(d.fileCount, 3);
        QCOMPARE(d.bytes, 17);
        auto file = vfs().resolve(QStringLiteral("site"), QStringLiteral("css/site.css"));
        QVERIFY(file);
        QCOMPARE(file->size, 6);
        QCOMPARE(file->mime, QStringLiteral("text/css; charset=utf-8"));
        QCOMPARE(file->hash, QCryptographicHash::hash("body{}", QCryptographicHash::Sha256));
        QCOMPARE(file->etag(), '"' + file->hash.toHex() + '"');
        QCOMPARE(file->modifiedAt, d.createdAt);
        QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("index.html")), QByteArray("<h1>hi</h1>"));
        QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("empty.txt")), QByteArray());
        auto missing = vfs().resolve(QStringLiteral("site"), QStringLiteral("nope.html"));
        QVERIFY(!missing);
        QCOMPARE(missing.error().code, Error::Code::NotFound);
        QCOMPARE(vfs().files(d.id)->size(), 3);
    }

    void deployToUnknownSiteFails() {
        auto writer = vfs().beginDeploy(QStringLiteral("ghost"));
        QVERIFY(!writer);
        QCOMPARE(writer.error().code, Error::Code::NotFound);
    }

    void rejectedFileLeavesDeployUsable() {
        auto writer = vfs().beginDeploy(QStringLiteral("site"));
        QVERIFY(writer);
        QVERIFY(!(*writer)->addFile(QStringLiteral("../escape"), QByteArray("x")));
        QVERIFY((*writer)->addFile(QStringLiteral("a.txt"), QByteArray("a")));
        const Status duplicate = (*writer)->addFile(QStringLiteral("/a.txt"), QByteArray("b"));
        QVERIFY(!duplicate);
        QVERIFY2(duplicate.error().message.contains(QStringLiteral("twice")), qPrintable(duplicate.error().message));
        auto committed = (*writer)->commit();
        QVERIFY(committed);
        QCOMPARE(committed->fileCount, 1);
        QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("a.txt")), QByteArray("a"));
    }

    void nothingIsVisibleBeforeCommitAndAbortLeavesNothing() {
        deployFiles(QStringLiteral("site"), {{QStringLiteral("index.html"), "v1"}});
        const qint64 blobs = count("SELECT count(*) FROM blobs");
        {
            auto writer = vfs().beginDeploy(QStringLiteral("site"));
            QVERIFY(writer);
            QVERIFY((*writer)->addFile(QStringLiteral("index.html"), QByteArray("v2")));
            QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("index.html")), QByteArray("v1"));
            // destroyed without commit: aborted
        }
        QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("index.html")), QByteArray("v1"));
        QCOMPARE(count("SELECT count(*) FROM deploys"), 1);
        auto gc = vfs().collectGarbage();
        QVERIFY(gc);
        QCOMPARE(gc->blobsRemoved, 1); // "v2"
        QCOMPARE(count("SELECT count(*) FROM blobs"), blobs);
    }

    void completeDeploysAreImmutable() {
        const DeployInfo d = deployFiles(QStringLiteral("site"), {{QStringLiteral("a"), "a"}});
        const Status s = m_db->writer().submitSql(
            "INSERT INTO files(deploy_id, path, blob_hash, size, mime) SELECT deploy_id, 'b', "
            "blob_hash, size, mime FROM files WHERE deploy_id = " + std::to_string(d.id)).result();
        QVERIFY(!s);
        QVERIFY(s.error().message.contains(QStringLiteral("cannot change")));
    }

    void identicalContentIsStoredOnce() {
        const QByteArray big = [] {
            test::PatternDevice p(3 * ChunkSize + 123, 7);
            return p.readAll();
        }();
        const QList<QPair<QString, QByteArray>> files = {
            {QStringLiteral("a.html"), "same"}, {QStringLiteral("b.html"), "same"},
            {QStringLiteral("big.bin"), big}};
        deployFiles(QStringLiteral("site"), files);
        const qint64 blobs = count("SELECT count(*) FROM blobs");
        const qint64 chunks = count("SELECT count(*) FROM blob_chunks");
        QCOMPARE(blobs, 2);
        QCOMPARE(chunks, 1 + 4);
        QVERIFY(vfs().createSite(QStringLiteral("other")));
        deployFiles(QStringLiteral("other"), files);
        deployFiles(QStringLiteral("site"), files);
        QCOMPARE(count("SELECT count(*) FROM blobs"), blobs);
        QCOMPARE(count("SELECT count(*) FROM blob_chunks"), chunks);
        QCOMPARE(count("SELECT count(*) FROM blobs WHERE hash IS NULL"), 0);
        QCOMPARE(contentOf(QStringLiteral("other"), QStringLiteral("big.bin")), big);
    }

    void rollbackAndActivate() {
        const DeployInfo v1 = deployFiles(QStringLiteral("site"), {{QStringLiteral("index.html"), "v1"}});
        const DeployInfo v2 = deployFiles(QStringLiteral("site"), {{QStringLiteral("index.html"), "v2"}});
        const DeployInfo v3 = deployFiles(QStringLiteral("site"), {{QStringLiteral("index.html"), "v3"}},
                                          Vfs::Activation::Keep);
        QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("index.html")), QByteArray("v2"));
        auto list = vfs().deploys(QStringLiteral("site"));
        QVERIFY(list);
        QCOMPARE(list->size(), 3);
        QCOMPARE(list->first().id, v3.id); // newest first
        QVERIFY(list->at(1).isActive);

        auto back = vfs().rollback(QStringLiteral("site"));
        QVERIFY(back);
        QCOMPARE(back->id, v1.id);
        QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("index.html")), QByteArray("v1"));
        auto further = vfs().rollback(QStringLiteral("site"));
        QVERIFY(!further);
        QVERIFY(further.error().message.contains(QStringLiteral("no earlier deploy")));

        QVERIFY(vfs().activate(QStringLiteral("site"), v3.id));
        QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("index.html")), QByteArray("v3"));
        QVERIFY(vfs().activate(QStringLiteral("site"), v2.id));

        QVERIFY(vfs().createSite(QStringLiteral("other")));
        const Status foreign = vfs().activate(QStringLiteral("other"), v1.id);
        QVERIFY(!foreign);
        QCOMPARE(foreign.error().code, Error::Code::NotFound);
        auto pending = vfs().beginDeploy(QStringLiteral("site"));
        QVERIFY(pending);
        const Status incomplete = vfs().activate(QStringLiteral("site"), (*pending)->id());
        QVERIFY(!incomplete);
        QCOMPARE(incomplete.error().code, Error::Code::Conflict);
    }

    void activationInvalidatesTheCache() {
        VfsCache cache(1 << 20, 1 << 16);
        Vfs cached(*m_db, &cache);
        deployFiles(QStringLiteral("site"), {{QStringLiteral("index.html"), "v1"}});
        auto file = cached.resolve(QStringLiteral("site"), QStringLiteral("index.html"));
        QVERIFY(file);
        auto entry = std::make_shared<CachedFile>();
        entry->info = *file;
        entry->body = "v1";
        cache.insert(QStringLiteral("site"), QStringLiteral("index.html"), entry);
        QVERIFY(cache.find(QStringLiteral("site"), QStringLiteral("index.html")));
        auto writer = cached.beginDeploy(QStringLiteral("site"));
        QVERIFY(writer && (*writer)->addFile(QStringLiteral("index.html"), QByteArray("v2")));
        QVERIFY((*writer)->commit());
        QVERIFY(!cache.find(QStringLiteral("site"), QStringLiteral("index.html")));
    }

    void readerSeeksAcrossChunks() {
        test::PatternDevice source(2 * ChunkSize + 1000, 99);
        const QByteArray all = source.readAll();
        source.seek(0);
        auto writer = vfs().beginDeploy(QStringLiteral("site"));
        QVERIFY(writer && (*writer)->addFile(QStringLiteral("f.bin"), source));
        QVERIFY((*writer)->commit());
        auto file = vfs().resolve(QStringLiteral("site"), QStringLiteral("f.bin"));
        QVERIFY(file);
        QCOMPARE(file->size, all.size());
        auto reader = vfs().open(*file);
        QCOMPARE(reader->chunkCount(), 3);
        QVERIFY(reader->seek(ChunkSize - 10));
        QCOMPARE(reader->read(20), all.mid(ChunkSize - 10, 20)); // spans a chunk boundary
        QVERIFY(reader->seek(all.size() - 5));
        QCOMPARE(reader->read(100), all.right(5));
        QVERIFY(reader->atEnd());
        QCOMPARE(reader->chunk(2)->size(), 1000);
        QVERIFY(!reader->chunk(3));
        QVERIFY(!vfs().readAll(*file, 100)); // refuses to load more than asked
    }

    void deleteSiteRemovesEverything() {
        deployFiles(QStringLiteral("site"), {{QStringLiteral("a"), "only here"}});
        QVERIFY(m_db->writer().submitSql("INSERT INTO domains(hostname, site_id, created_at) "
                                         "SELECT 'www.example.com', id, 0 FROM sites").result());
        QVERIFY(vfs().deleteSite(QStringLiteral("site")));
        QCOMPARE(count("SELECT count(*) FROM deploys"), 0);
        QCOMPARE(count("SELECT count(*) FROM files"), 0);
        QCOMPARE(count("SELECT count(*) FROM domains"), 0);
        QCOMPARE(vfs().deleteSite(QStringLiteral("site")).error().code, Error::Code::NotFound);
        auto gc = vfs().collectGarbage();
        QVERIFY(gc);
        QCOMPARE(gc->blobsRemoved, 1);
        QCOMPARE(gc->bytesFreed, 9);
        QCOMPARE(count("SELECT count(*) FROM blob_chunks"), 0);
    }

    void deployDirectoryTakesEveryFile() {
        QTemporaryDir dir;
        QDir(dir.path()).mkpath(QStringLiteral("sub/deeper"));
        for (const char *name : {"index.html", "sub/a.css", "sub/deeper/b.js"}) {
            QFile f(dir.filePath(QString::fromLatin1(name)));
            QVERIFY(f.open(QIODevice::WriteOnly));
            f.write(name);
        }
        QFile::link(dir.filePath(QStringLiteral("index.html")), dir.filePath(QStringLiteral("link.html")));
        auto deployed = vfs().deployDirectory(QStringLiteral("site"), dir.path());
        QVERIFY2(deployed, deployed ? "" : qPrintable(deployed.error().message));
        QCOMPARE(deployed->fileCount, 3); // the symlink is skipped
        QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("sub/deeper/b.js")), QByteArray("sub/deeper/b.js"));
        QVERIFY(!vfs().deployDirectory(QStringLiteral("site"), dir.filePath(QStringLiteral("nope"))));
    }

    // The writer process is killed (SIGKILL) in the middle of streaming a large file: the
    // previous deploy stays active and intact, the database passes integrity_check, and the
    // leftovers are garbage that collection removes.
    void crashMidDeployLeavesPreviousDeployActive() {
        deployFiles(QStringLiteral("site"), {{QStringLiteral("index.html"), "stable"}});
        const qint64 blobsBefore = count("SELECT count(*) FROM blobs");
        const QString dbPath = m_db->path();
        for (int killAfter : {3, 40, 150}) {
            QProcess child;
            child.start(QStringLiteral(VFS_CRASH_CHILD), {dbPath});
            QVERIFY(child.waitForStarted());
            int seen = 0;
            while (seen < killAfter) {
                if (!child.canReadLine() && !child.waitForReadyRead(30000))
                    QFAIL("the child stopped reporting chunks");
                while (child.canReadLine()) {
                    const QByteArray line = child.readLine().trimmed();
                    QVERIFY2(line != "done", "the child finished before it was killed");
                    seen = line.mid(6).toInt();
                }
            }
            ::kill(pid_t(child.processId()), SIGKILL);
            QVERIFY(child.waitForFinished());
            QCOMPARE(child.exitStatus(), QProcess::CrashExit);

            const Status integrity = db::Database::checkIntegrity(dbPath);
            QVERIFY2(integrity, integrity ? "" : qPrintable(integrity.error().message));
            QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("index.html")), QByteArray("stable"));
            QVERIFY(!vfs().resolve(QStringLiteral("site"), QStringLiteral("big.bin")));
        }
        QVERIFY(count("SELECT count(*) FROM blob_chunks") > 3); // leftovers of the killed writers
        auto gc = vfs().collectGarbage(std::chrono::seconds(-1)); // treat all pending as abandoned
        QVERIFY(gc);
        QCOMPARE(gc->deploysRemoved, 3);
        QCOMPARE(count("SELECT count(*) FROM blobs"), blobsBefore);
        QCOMPARE(count("SELECT count(*) FROM blob_chunks"), blobsBefore);
        QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("index.html")), QByteArray("stable"));
    }

    void garbageCollectionSparesRecentPendingWork() {
        auto writer = vfs().beginDeploy(QStringLiteral("site"));
        QVERIFY(writer);
        QVERIFY((*writer)->addFile(QStringLiteral("in-progress.txt"), QByteArray("wip")));
        auto gc = vfs().collectGarbage(); // default: abandoned after an hour
        QVERIFY(gc);
        QCOMPARE(gc->deploysRemoved, 0);
        QCOMPARE(gc->blobsRemoved, 0);
        QVERIFY((*writer)->commit());
        QCOMPARE(contentOf(QStringLiteral("site"), QStringLiteral("in-progress.txt")), QByteArray("wip"));
    }
};

QTEST_GUILESS_MAIN(TestVfs)
#include "tst_vfs.moc"
