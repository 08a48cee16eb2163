// LookupCache: a remembered miss or fallback holds while no site changes, and is forgotten
// at a change (Vfs::generation()), after MaxAge, and when MaxPaths paths are held; an answer
// read before a change is never remembered after it.

#include "hosting/lookupcache.h"
#include "vfs/vfs.h"

#include <QTemporaryDir>
#include <QTest>

#include <thread>

using namespace fazt;
using hosting::LookupCache;

class TestLookupCache : public QObject {
    Q_OBJECT

    QTemporaryDir m_dir;
    std::unique_ptr<db::Database> m_db;
    std::unique_ptr<vfs::Vfs> m_vfs;

private Q_SLOTS:
    void init() {
        m_vfs.reset();
        m_db.reset();
        auto opened = db::Database::open(m_dir.filePath(
            QStringLiteral("%1.db").arg(QString::fromLatin1(QTest::currentTestFunction()))));
        QVERIFY(opened);
        m_db = std::move(*opened);
        m_vfs = std::make_unique<vfs::Vfs>(*m_db);
        QVERIFY(m_vfs->createSite(QStringLiteral("site")));
    }

    void remembersUntilASiteChanges() {
        LookupCache cache(*m_vfs);
        const QString site = QStringLiteral("site");
        QVERIFY(!cache.isMissing(site, QStringLiteral("deep/link")));
        cache.rememberMissing(site, QStringLiteral("deep/link"), cache.generation());
        cache.rememberFallback(site, LookupCache::Fallback::SinglePageApp, cache.generation());
        QVERIFY(cache.isMissing(site, QStringLiteral("deep/link")));
        QVERIFY(!cache.isMissing(QStringLiteral("other"), QStringLiteral("deep/link")));
        QCOMPARE(cache.fallback(site), LookupCache::Fallback::SinglePageApp);
        QVERIFY(m_vfs->setSiteSettings(site, QStringLiteral("{\"spa\": false}")));
        QVERIFY(!cache.isMissing(site, QStringLiteral("deep/link")));
        QVERIFY(!cache.fallback(site));
    }

    void anAnswerReadBeforeAChangeIsNotRemembered() {
        LookupCache cache(*m_vfs);
        const quint64 seen = cache.generation();
        QVERIFY(m_vfs->setSiteSettings(QStringLiteral("site"), QStringLiteral("{}")));
        cache.rememberMissing(QStringLiteral("site"), QStringLiteral("a"), seen);
        cache.rememberFallback(QStringLiteral("site"), LookupCache::Fallback::NotFoundPage, seen);
        QVERIFY(!cache.isMissing(QStringLiteral("site"), QStringLiteral("a")));
        QVERIFY(!cache.fallback(QStringLiteral("site")));
    }

    void forgetsAfterMaxAge() {
        LookupCache cache(*m_vfs);
        cache.rememberMissing(QStringLiteral("site"), QStringLiteral("a"), cache.generation());
        QVERIFY(cache.isMissing(QStringLiteral("site"), QStringLiteral("a")));
        std::this_thread::sleep_for(LookupCache::MaxAge + std::chrono::milliseconds(50));
        QVERIFY(!cache.isMissing(QStringLiteral("site"), QStringLiteral("a")));
    }

    void aScanOfMadeUpPathsStaysBounded() {
        LookupCache cache(*m_vfs);
        const quint64 seen = cache.generation();
        for (qsizetype i = 0; i < LookupCache::MaxPaths; ++i)
            cache.rememberMissing(QStringLiteral("site"), QString::number(i), seen);
        // Full: the next look forgets everything rather than growing.
        QVERIFY(!cache.isMissing(QStringLiteral("site"), QStringLiteral("0")));
        cache.rememberMissing(QStringLiteral("site"), QStringLiteral("x"), seen);
        QVERIFY(cache.isMissing(QStringLiteral("site"), QStringLiteral("x")));
    }
};

QTEST_GUILESS_MAIN(TestLookupCache)
#include "tst_lookupcache.moc"
