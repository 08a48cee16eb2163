// FunctionStore: what a site's functions keep in fazt.db (KV, variables, allowlist, log),
// each site's apart from every other's, with the limits a script or an admin call can hit.

#include "db/database.h"
#include "functions/functionstore.h"
#include "vfs/vfs.h"

#include <QTemporaryDir>
#include <QTest>

#include <thread>

using namespace fazt;
using functions::EnvVar;
using functions::FunctionStore;
using functions::LogEntry;

class TestFunctionStore : public QObject {
    Q_OBJECT
    QTemporaryDir m_dir;
    std::unique_ptr<db::Database> m_db;
    std::unique_ptr<vfs::Vfs> m_vfs;
    std::unique_ptr<FunctionStore> m_store;
    qint64 m_blog = 0;
    qint64 m_shop = 0;

private Q_SLOTS:
    void initTestCase() {
        auto db = db::Database::open(m_dir.filePath(QStringLiteral("f.db")));
        QVERIFY(db);
        m_db = std::move(*db);
        m_vfs = std::make_unique<vfs::Vfs>(*m_db);
        m_store = std::make_unique<FunctionStore>(*m_db);
        auto blog = m_vfs->createSite(QStringLiteral("blog"));
        auto shop = m_vfs->createSite(QStringLiteral("shop"));
        QVERIFY(blog && shop);
        m_blog = blog->id;
        m_shop = shop->id;
    }

    void kvStoresJsonPerSite() {
        QVERIFY(
            m_store->kvSet(m_blog, QStringLiteral("user:1"), QStringLiteral("{\"n\":1}"), 0, 100));
        QVERIFY(m_store->kvSet(m_blog, QStringLiteral("user:2"), QStringLiteral("2"), 0, 100));
        QVERIFY(m_store->kvSet(m_blog, QStringLiteral("other"), QStringLiteral("true"), 0, 100));
        QCOMPARE(**m_store->kvGet(m_blog, QStringLiteral("user:1"), 100),
                 QStringLiteral("{\"n\":1}"));
        QCOMPARE(*m_store->kvList(m_blog, QStringLiteral("user:"), 100),
                 QStringList({QStringLiteral("user:1"), QStringLiteral("user:2")}));
        QCOMPARE(m_store->kvList(m_blog, QString(), 100)->size(), 3);
        // Another site sees none of it.
        QVERIFY(!m_store->kvGet(m_shop, QStringLiteral("user:1"), 100)->has_value());
        QVERIFY(m_store->kvList(m_shop, QString(), 100)->isEmpty());
        // Replace, delete.
        QVERIFY(m_store->kvSet(m_blog, QStringLiteral("user:1"), QStringLiteral("[1]"), 0, 100));
        QCOMPARE(**m_store->kvGet(m_blog, QStringLiteral("user:1"), 100), QStringLiteral("[1]"));
        QVERIFY(m_store->kvDelete(m_blog, QStringLiteral("user:1")));
        QVERIFY(!m_store->kvGet(m_blog, QStringLiteral("user:1"), 100)->has_value());
        // A prefix with LIKE/GLOB characters is taken literally.
        QVERIFY(m_store->kvList(m_blog, QStringLiteral("user%"), 100)->isEmpty());
    }

    void kvEntriesExpire() {
        QVERIFY(m_store->kvSet(m_blog, QStringLiteral("session"), QStringLiteral("1"), 60, 1000));
        QVERIFY(m_store->kvGet(m_blog, QStringLiteral("session"), 1059)->has_value());
        QVERIFY(!m_store->kvGet(m_blog, QStringLiteral("session"), 1060)->has_value());
        QVERIFY(!m_store->kvList(m_blog, QStringLiteral("sess"), 1060)
                     ->contains(QStringLiteral("session")));
    }

    // Reads are kept per thread while nothing is committed: every change, from this thread
    // or another, from fazt.kv or from deleting the site, is seen by the very next read.
    void kvReadsNeverGoStale() {
        const QString key = QStringLiteral("hot");
        QVERIFY(m_store->kvSet(m_blog, key, QStringLiteral("1"), 0, 100));
        for (int i = 0; i < 3; ++i)
            QCOMPARE(**m_store->kvGet(m_blog, key, 100), QStringLiteral("1"));
        // Written by another thread (a JS thread beside this one).
        std::thread writer(
            [&] { QVERIFY(m_store->kvSet(m_blog, key, QStringLiteral("2"), 0, 100)); });
        writer.join();
        QCOMPARE(**m_store->kvGet(m_blog, key, 100), QStringLiteral("2"));
        // Any commit ends what was kept, even one that wrote something else.
        QVERIFY(!m_store->kvGet(m_blog, QStringLiteral("absent"), 100)->has_value());
        QVERIFY(m_store->kvSet(m_blog, QStringLiteral("absent"), QStringLiteral("3"), 0, 100));
        QCOMPARE(**m_store->kvGet(m_blog, QStringLiteral("absent"), 100), QStringLiteral("3"));
        QVERIFY(m_store->kvDelete(m_blog, key));
        QVERIFY(!m_store->kvGet(m_blog, key, 100)->has_value());
        // An entry read before it expires is not served after.
        QVERIFY(m_store->kvSet(m_blog, key, QStringLiteral("4"), 10, 100));
        QCOMPARE(**m_store->kvGet(m_blog, key, 109), QStringLiteral("4"));
        QVERIFY(!m_store->kvGet(m_blog, key, 110)->has_value());
        // Two stores (two databases) on one thread never answer for each other.
        QTemporaryDir otherDir;
        auto otherDb = db::Database::open(otherDir.filePath(QStringLiteral("g.db")));
        QVERIFY(otherDb);
        vfs::Vfs otherVfs(**otherDb);
        auto otherSite = otherVfs.createSite(QStringLiteral("blog"));
        QVERIFY(otherSite);
        QCOMPARE(otherSite->id, m_blog); // the same site id, key and thread: only the store differs
        FunctionStore other(**otherDb);
        QVERIFY(m_store->kvSet(m_blog, key, QStringLiteral("5"), 0, 100));
        QCOMPARE(**m_store->kvGet(m_blog, key, 100), QStringLiteral("5"));
        QVERIFY(!other.kvGet(otherSite->id, key, 100)->has_value());
    }

    void kvRefusesWhatIsTooLarge() {
        QCOMPARE(m_store->kvSet(m_blog, QString(), QStringLiteral("1"), 0, 1).error().code,
                 Error::Code::Invalid);
        QCOMPARE(m_store->kvSet(m_blog, QString(600, u'k'), QStringLiteral("1"), 0, 1).error().code,
                 Error::Code::Invalid);
        const QString huge = u'"' + QString(FunctionStore::MaxValueBytes, u'x') + u'"';
        QCOMPARE(m_store->kvSet(m_blog, QStringLiteral("big"), huge, 0, 1).error().code,
                 Error::Code::Invalid);
        QVERIFY(!m_store->kvGet(m_blog, QStringLiteral("big"), 1)->has_value());
    }

    void envSecretsAreMasked() {
        QVERIFY(m_store->setEnv(m_blog, {QStringLiteral("GREETING"), QStringLiteral("hi"), false}));
        QVERIFY(m_store->setEnv(
            m_blog, {QStringLiteral("API_KEY"), QStringLiteral("sk_live_0123456789abcdef"), true}));
        QVERIFY(m_store->setEnv(m_blog, {QStringLiteral("PIN"), QStringLiteral("1234"), true}));
        const QList<EnvVar> vars = *m_store->env(m_blog);
        QCOMPARE(vars.size(), 3);
        QCOMPARE(vars[0].name, QStringLiteral("API_KEY"));                   // sorted by name
        QCOMPARE(vars[0].value, QStringLiteral("sk_live_0123456789abcdef")); // scripts see it
        QCOMPARE(vars[0].shownValue(), QStringLiteral("********")); // long: nothing shown either
        QCOMPARE(vars[2].shownValue(), QStringLiteral("********")); // short: nothing shown
        QCOMPARE(vars[1].shownValue(), QStringLiteral("hi"));
        QVERIFY(m_store->env(m_shop)->isEmpty());
        for (const char *bad : {"", "1X", "A-B", "A B", "É"})
            QCOMPARE(m_store->setEnv(m_blog, {QString::fromUtf8(bad), QStringLiteral("x"), false})
                         .error()
                         .code,
                     Error::Code::Invalid);
        QCOMPARE(m_store
                     ->setEnv(m_blog, {QStringLiteral("BIG"),
                                       QString(FunctionStore::MaxEnvValueBytes + 1, u'x'), false})
                     .error()
                     .code,
                 Error::Code::Invalid);
        QVERIFY(m_store->removeEnv(m_blog, QStringLiteral("PIN")));
        QCOMPARE(m_store->removeEnv(m_blog, QStringLiteral("PIN")).error().code,
                 Error::Code::NotFound);
    }

    void envHasACap() {
        for (int i = 0; i < FunctionStore::MaxEnvVars; ++i)
            QVERIFY(m_store->setEnv(m_shop,
                                    {QStringLiteral("V%1").arg(i), QStringLiteral("x"), false}));
        QCOMPARE(m_store->setEnv(m_shop, {QStringLiteral("ONE_MORE"), QStringLiteral("x"), false})
                     .error()
                     .code,
                 Error::Code::Invalid);
        // Replacing one that exists is still allowed at the cap.
        QVERIFY(m_store->setEnv(m_shop, {QStringLiteral("V0"), QStringLiteral("y"), false}));
    }

    void egressIsNormalized() {
        QVERIFY(m_store->setEgress(
            m_blog, {QStringLiteral(" API.Example.com "), QStringLiteral("127.0.0.1:8080"),
                     QStringLiteral("api.example.com"), QStringLiteral("[::1]:9000")}));
        QCOMPARE(*m_store->egress(m_blog),
                 QStringList({QStringLiteral("127.0.0.1:8080"), QStringLiteral("[::1]:9000"),
                              QStringLiteral("api.example.com")}));
        for (const char *bad : {"", "http://x.com", "x.com/path", "a b", "x.com:", "-x.com",
                                "x.com:123456", "user@x.com"})
            QVERIFY2(!m_store->setEgress(m_blog, {QString::fromUtf8(bad)}), bad);
        QCOMPARE(m_store->egress(m_blog)->size(), 3); // a refused list changes nothing
        QVERIFY(m_store->setEgress(m_blog, {}));
        QVERIFY(m_store->egress(m_blog)->isEmpty());
    }

    void logKeepsTheNewestEntries() {
        QList<LogEntry> entries;
        for (int i = 0; i < FunctionStore::KeptLogEntries + 5; ++i)
            entries.append({0, 1000 + i, QStringLiteral("info"), QStringLiteral("line %1").arg(i)});
        QVERIFY(m_store->appendLog(m_blog, entries).result());
        QVERIFY(m_store->appendLog(m_shop, {{0, 1, QStringLiteral("error"), QString(9000, u'x')}})
                    .result());
        const QList<LogEntry> newest = *m_store->logs(m_blog, -1, 10);
        QCOMPARE(newest.size(), 10);
        QCOMPARE(newest.last().message,
                 QStringLiteral("line %1").arg(FunctionStore::KeptLogEntries + 4));
        QVERIFY(newest.first().id < newest.last().id); // oldest first
        const QList<LogEntry> all = *m_store->logs(m_blog, 0, 5000);
        QCOMPARE(all.size(), FunctionStore::KeptLogEntries);
        QCOMPARE(all.first().message, QStringLiteral("line 5"));
        QVERIFY(m_store->logs(m_blog, newest.last().id, 10)->isEmpty());
        const QList<LogEntry> shop = *m_store->logs(m_shop, -1, 10);
        QCOMPARE(shop.size(), 1);
        QCOMPARE(shop.first().message.size(), FunctionStore::MaxLogMessageBytes);
    }

    void deletingASiteTakesItsData() {
        QVERIFY(m_store->kvSet(m_shop, QStringLiteral("left"), QStringLiteral("1"), 0, 100));
        QVERIFY(m_store->kvGet(m_shop, QStringLiteral("left"), 100)->has_value());
        QVERIFY(m_vfs->deleteSite(QStringLiteral("shop")));
        QVERIFY(!m_store->kvGet(m_shop, QStringLiteral("left"), 100)->has_value());
        QVERIFY(m_store->env(m_shop)->isEmpty());
        QVERIFY(m_store->logs(m_shop, -1, 10)->isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestFunctionStore)
#include "tst_functionstore.moc"
