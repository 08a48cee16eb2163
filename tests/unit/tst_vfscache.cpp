#include "vfs/vfscache.h"

#include <QTest>

#include <random>
#include <thread>
#include <vector>

using namespace fazt::vfs;
using namespace std::chrono_literals;
using namespace Qt::StringLiterals;

namespace {

// A file for `path` whose cost() is exactly `cost` bytes, so a test can reason about the budget.
std::shared_ptr<const CachedFile> fileCosting(const QString &path, qint64 cost) {
    auto file = std::make_shared<CachedFile>();
    file->info.path = path;
    const qint64 emptyCost = file->cost();
    if (cost < emptyCost)
        qFatal("fileCosting: %lld is below the cost of an empty file", cost);
    file->body = QByteArray(cost - emptyCost, 'x');
    file->info.size = file->body.size();
    return file;
}

std::shared_ptr<const CachedFile> fileWithBody(const QString &path, qint64 bodySize) {
    auto file = std::make_shared<CachedFile>();
    file->info.path = path;
    file->body = QByteArray(bodySize, 'x');
    file->info.size = bodySize;
    return file;
}

// A clock the test moves by hand.
struct ManualClock {
    std::shared_ptr<std::chrono::steady_clock::time_point> now =
        std::make_shared<std::chrono::steady_clock::time_point>();
    VfsCache::Clock function() const {
        return [now = now] { return *now; };
    }
    void advance(std::chrono::steady_clock::duration by) { *now += by; }
};

constexpr qint64 NoLimit = 1 << 30;

} // namespace

class TestVfsCache : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void findCountsHitsAndMisses();
    void findReturnsTheInsertedFile();
    void siteAndPathDoNotRunTogether();
    void costCountsTheBodyAndAnOverhead();
    void evictsLeastRecentlyUsedFirstUntilUnderBudget();
    void findMakesAnEntryMostRecent();
    void pinnedEntriesSurvivePressure();
    void pinnedEntriesMayKeepTheCacheOverBudget();
    void rootIndexSurvivesWhileItsSiteIsHit();
    void onlyTheRootIndexIsProtected();
    void rootIndexFloorHoldsAmongManyOtherSites();
    void largeFileIsRefused();
    void fileCostlierThanTheBudgetIsRefused();
    void nullFileIsRefused();
    void replacingKeepsTheByteCountRight();
    void removeDropsOneEntry();
    void removeSiteDropsEveryEntryOfThatSiteOnly();
    void clearDropsEverything();
    void shrinkingTheBudgetEvictsAtOnce();
    void negativeBudgetCachesNothing();
    void concurrentFindAndInsertKeepTheBooksBalanced();
};

void TestVfsCache::findCountsHitsAndMisses() {
    VfsCache cache(NoLimit, NoLimit);
    const QString site = u"blog"_s;

    QVERIFY(!cache.find(site, u"a.html"_s));
    QVERIFY(cache.insert(site, u"a.html"_s, fileWithBody(u"a.html"_s, 10)));
    QVERIFY(cache.find(site, u"a.html"_s));
    QVERIFY(cache.find(site, u"a.html"_s));
    QVERIFY(!cache.find(site, u"b.html"_s));

    const auto counters = cache.counters();
    QCOMPARE(counters.hits, 2u);
    QCOMPARE(counters.misses, 2u);
    QCOMPARE(counters.entries, 1);
    QCOMPARE(counters.evictions, 0u);
}

void TestVfsCache::findReturnsTheInsertedFile() {
    VfsCache cache(NoLimit, NoLimit);
    const auto file = fileWithBody(u"a.css"_s, 100);
    QVERIFY(cache.insert(u"blog"_s, u"a.css"_s, file));

    QCOMPARE(cache.find(u"blog"_s, u"a.css"_s), file);
    QVERIFY(!cache.find(u"shop"_s, u"a.css"_s));
}

void TestVfsCache::siteAndPathDoNotRunTogether() {
    VfsCache cache(NoLimit, NoLimit);
    const auto file = fileWithBody(u"c"_s, 1);
    QVERIFY(cache.insert(u"ab"_s, u"c"_s, file));

    QVERIFY(!cache.find(u"a"_s, u"bc"_s));
    QVERIFY(!cache.find(u"abc"_s, QString()));
    QCOMPARE(cache.find(u"ab"_s, u"c"_s), file);
}

void TestVfsCache::costCountsTheBodyAndAnOverhead() {
    const auto small = fileWithBody(u"a"_s, 1000);
    const auto large = fileWithBody(u"a"_s, 5000);
    QCOMPARE(large->cost() - small->cost(), 4000);
    QVERIFY(small->cost() > 1000);
    QVERIFY(fileWithBody(u"a"_s, 0)->cost() > 0);

    VfsCache cache(NoLimit, NoLimit);
    QVERIFY(cache.insert(u"s"_s, u"small"_s, small));
    QVERIFY(cache.insert(u"s"_s, u"large"_s, large));
    QCOMPARE(cache.counters().bytes, small->cost() + large->cost());
}

void TestVfsCache::evictsLeastRecentlyUsedFirstUntilUnderBudget() {
    VfsCache cache(1000, NoLimit);
    const QString site = u"s"_s;
    for (const QString &path : {u"a"_s, u"b"_s, u"c"_s})
        QVERIFY(cache.insert(site, path, fileCosting(path, 300)));
    QCOMPARE(cache.counters().bytes, 900);

    // 1200 > 1000: the oldest, a, goes.
    QVERIFY(cache.insert(site, u"d"_s, fileCosting(u"d"_s, 300)));
    QCOMPARE(cache.counters().bytes, 900);
    QCOMPARE(cache.counters().evictions, 1u);

    // 900 + 600 = 1500: b and c go (by bytes, not by count), d and e stay.
    QVERIFY(cache.insert(site, u"e"_s, fileCosting(u"e"_s, 600)));
    const auto counters = cache.counters();
    QCOMPARE(counters.bytes, 900);
    QCOMPARE(counters.entries, 2);
    QCOMPARE(counters.evictions, 3u);
    QVERIFY(cache.find(site, u"d"_s));
    QVERIFY(cache.find(site, u"e"_s));
    QVERIFY(!cache.find(site, u"a"_s));
    QVERIFY(!cache.find(site, u"b"_s));
    QVERIFY(!cache.find(site, u"c"_s));
}

void TestVfsCache::findMakesAnEntryMostRecent() {
    VfsCache cache(1000, NoLimit);
    const QString site = u"s"_s;
    for (const QString &path : {u"a"_s, u"b"_s, u"c"_s})
        QVERIFY(cache.insert(site, path, fileCosting(path, 300)));

    QVERIFY(cache.find(site, u"a"_s)); // a is now the most recent: b is the oldest
    QVERIFY(cache.insert(site, u"d"_s, fileCosting(u"d"_s, 300)));

    QVERIFY(!cache.find(site, u"b"_s));
    QVERIFY(cache.find(site, u"a"_s));
    QVERIFY(cache.find(site, u"c"_s));
    QVERIFY(cache.find(site, u"d"_s));
}

void TestVfsCache::pinnedEntriesSurvivePressure() {
    VfsCache cache(1000, NoLimit);
    const QString admin = u"admin"_s;
    QVERIFY(cache.insert(admin, u"app.js"_s, fileCosting(u"app.js"_s, 300), VfsCache::Pin::Yes));

    for (int i = 0; i < 50; ++i) {
        const QString path = u"page%1.html"_s.arg(i);
        QVERIFY(cache.insert(u"blog"_s, path, fileCosting(path, 300)));
    }

    QVERIFY(cache.find(admin, u"app.js"_s));
    QVERIFY(cache.counters().bytes <= 1000);
    QCOMPARE(cache.counters().entries, 3); // app.js and the two newest pages
}

void TestVfsCache::pinnedEntriesMayKeepTheCacheOverBudget() {
    VfsCache cache(500, NoLimit);
    const QString admin = u"admin"_s;
    QVERIFY(cache.insert(admin, u"a.js"_s, fileCosting(u"a.js"_s, 300), VfsCache::Pin::Yes));
    QVERIFY(cache.insert(admin, u"b.js"_s, fileCosting(u"b.js"_s, 300), VfsCache::Pin::Yes));
    QCOMPARE(cache.counters().bytes, 600);

    // No room is left for an ordinary file: it is not kept, and insert() says so.
    QVERIFY(!cache.insert(u"blog"_s, u"c"_s, fileCosting(u"c"_s, 400)));
    QVERIFY(!cache.find(u"blog"_s, u"c"_s));
    QVERIFY(cache.find(admin, u"a.js"_s));
    QVERIFY(cache.find(admin, u"b.js"_s));
    QCOMPARE(cache.counters().bytes, 600);
}

void TestVfsCache::rootIndexSurvivesWhileItsSiteIsHit() {
    ManualClock clock;
    VfsCache cache(1000, NoLimit);
    cache.setClock(clock.function());
    const QString blog = u"blog"_s;
    const QString index = u"index.html"_s;

    QVERIFY(cache.insert(blog, index, fileCosting(index, 300)));
    QVERIFY(!cache.find(blog, u"about.html"_s)); // a miss marks the site as hit too

    // A scan through another site pushes index.html to the least recent end: it stays.
    clock.advance(VfsCache::IndexFloor);
    for (int i = 0; i < 10; ++i) {
        const QString path = u"p%1"_s.arg(i);
        QVERIFY(cache.insert(u"shop"_s, path, fileCosting(path, 300)));
    }
    QVERIFY(cache.find(u"shop"_s, u"p9"_s)); // hits on other sites do not renew the floor
    QVERIFY(cache.insert(u"shop"_s, u"p10"_s, fileCosting(u"p10"_s, 300)));
    QCOMPARE(cache.counters().entries, 3);

    // Past the floor with no new visit to blog, index.html is an ordinary entry again.
    clock.advance(1s);
    QVERIFY(cache.insert(u"shop"_s, u"p11"_s, fileCosting(u"p11"_s, 300)));
    QCOMPARE(cache.counters().entries, 3);
    QVERIFY(!cache.find(blog, index));
}

void TestVfsCache::onlyTheRootIndexIsProtected() {
    ManualClock clock;
    VfsCache cache(1000, NoLimit);
    cache.setClock(clock.function());
    const QString blog = u"blog"_s;

    QVERIFY(cache.insert(blog, u"docs/index.html"_s, fileCosting(u"docs/index.html"_s, 300)));
    QVERIFY(cache.insert(u"shop"_s, u"index.html"_s, fileCosting(u"index.html"_s, 300)));
    QVERIFY(!cache.find(blog, u"missing"_s)); // blog was hit; shop never was

    for (int i = 0; i < 4; ++i) {
        const QString path = u"p%1"_s.arg(i);
        QVERIFY(cache.insert(blog, path, fileCosting(path, 300)));
    }

    QVERIFY(!cache.find(blog, u"docs/index.html"_s));
    QVERIFY(!cache.find(u"shop"_s, u"index.html"_s));
}

void TestVfsCache::rootIndexFloorHoldsAmongManyOtherSites() {
    ManualClock clock;
    VfsCache cache(1000, NoLimit);
    cache.setClock(clock.function());
    const QString index = u"index.html"_s;

    QVERIFY(cache.insert(u"blog"_s, index, fileCosting(index, 300)));
    QVERIFY(cache.find(u"blog"_s, index));

    // Requests for thousands of other site names, some time later: the cache's record of them
    // must stay bounded without forgetting that blog was visited recently.
    clock.advance(30s);
    for (int i = 0; i < 5000; ++i)
        QVERIFY(!cache.find(u"site%1"_s.arg(i), index));

    for (int i = 0; i < 10; ++i) {
        const QString path = u"p%1"_s.arg(i);
        QVERIFY(cache.insert(u"shop"_s, path, fileCosting(path, 300)));
    }
    QVERIFY(cache.find(u"blog"_s, index));
}

void TestVfsCache::largeFileIsRefused() {
    VfsCache cache(NoLimit, 1000);
    QVERIFY(cache.isCacheable(1000));
    QVERIFY(!cache.isCacheable(1001));

    QVERIFY(!cache.insert(u"s"_s, u"big.bin"_s, fileWithBody(u"big.bin"_s, 1001)));
    QVERIFY(!cache.find(u"s"_s, u"big.bin"_s));
    QCOMPARE(cache.counters().entries, 0);
    QCOMPARE(cache.counters().bytes, 0);

    QVERIFY(cache.insert(u"s"_s, u"edge.bin"_s, fileWithBody(u"edge.bin"_s, 1000)));

    cache.setLargeFileThreshold(2000);
    QCOMPARE(cache.largeFileThreshold(), 2000);
    QVERIFY(cache.insert(u"s"_s, u"big.bin"_s, fileWithBody(u"big.bin"_s, 1001)));
}

void TestVfsCache::fileCostlierThanTheBudgetIsRefused() {
    VfsCache cache(1000, NoLimit);
    QVERIFY(cache.insert(u"s"_s, u"kept"_s, fileCosting(u"kept"_s, 500)));

    QVERIFY(!cache.insert(u"s"_s, u"huge"_s, fileCosting(u"huge"_s, 1001)));
    QVERIFY(!cache.find(u"s"_s, u"huge"_s));
    QVERIFY(cache.find(u"s"_s, u"kept"_s)); // nothing was evicted to make room for it
    QCOMPARE(cache.counters().bytes, 500);
    QCOMPARE(cache.counters().evictions, 0u);

    QVERIFY(cache.insert(u"s"_s, u"exact"_s, fileCosting(u"exact"_s, 1000)));
    QCOMPARE(cache.counters().bytes, 1000);
}

void TestVfsCache::nullFileIsRefused() {
    VfsCache cache(NoLimit, NoLimit);
    QVERIFY(!cache.insert(u"s"_s, u"a"_s, nullptr));
    QCOMPARE(cache.counters().entries, 0);
}

void TestVfsCache::replacingKeepsTheByteCountRight() {
    VfsCache cache(1000, NoLimit);
    QVERIFY(cache.insert(u"s"_s, u"other"_s, fileCosting(u"other"_s, 300)));
    QVERIFY(cache.insert(u"s"_s, u"a"_s, fileCosting(u"a"_s, 300)));

    // 300 + 700 fits exactly: had the old 300 of "a" been kept in the count, "other" would go.
    const auto newer = fileCosting(u"a"_s, 700);
    QVERIFY(cache.insert(u"s"_s, u"a"_s, newer));
    auto counters = cache.counters();
    QCOMPARE(counters.entries, 2);
    QCOMPARE(counters.bytes, 1000);
    QCOMPARE(counters.evictions, 0u);
    QCOMPARE(cache.find(u"s"_s, u"a"_s), newer);
    QVERIFY(cache.find(u"s"_s, u"other"_s));

    QVERIFY(cache.insert(u"s"_s, u"a"_s, fileCosting(u"a"_s, 400)));
    counters = cache.counters();
    QCOMPARE(counters.entries, 2);
    QCOMPARE(counters.bytes, 700);
}

void TestVfsCache::removeDropsOneEntry() {
    VfsCache cache(NoLimit, NoLimit);
    QVERIFY(cache.insert(u"s"_s, u"a"_s, fileCosting(u"a"_s, 300)));
    QVERIFY(cache.insert(u"s"_s, u"b"_s, fileCosting(u"b"_s, 400)));

    cache.remove(u"s"_s, u"a"_s);
    cache.remove(u"s"_s, u"never-cached"_s);

    QVERIFY(!cache.find(u"s"_s, u"a"_s));
    QVERIFY(cache.find(u"s"_s, u"b"_s));
    QCOMPARE(cache.counters().bytes, 400);
    QCOMPARE(cache.counters().entries, 1);
    QCOMPARE(cache.counters().evictions, 0u);
}

void TestVfsCache::removeSiteDropsEveryEntryOfThatSiteOnly() {
    VfsCache cache(NoLimit, NoLimit);
    QVERIFY(cache.insert(u"blog"_s, u"index.html"_s, fileCosting(u"index.html"_s, 300)));
    QVERIFY(cache.insert(u"blog"_s, u"a.css"_s, fileCosting(u"a.css"_s, 300), VfsCache::Pin::Yes));
    QVERIFY(cache.insert(u"blogger"_s, u"a.css"_s, fileCosting(u"a.css"_s, 400)));
    QVERIFY(cache.find(u"blog"_s, u"index.html"_s)); // a fresh hit does not protect either

    cache.removeSite(u"blog"_s);

    QVERIFY(!cache.find(u"blog"_s, u"index.html"_s));
    QVERIFY(!cache.find(u"blog"_s, u"a.css"_s));
    QVERIFY(cache.find(u"blogger"_s, u"a.css"_s));
    QCOMPARE(cache.counters().bytes, 400);
    QCOMPARE(cache.counters().entries, 1);

    // The site's next deploy is cached afresh.
    QVERIFY(cache.insert(u"blog"_s, u"index.html"_s, fileCosting(u"index.html"_s, 300)));
    QVERIFY(cache.find(u"blog"_s, u"index.html"_s));
}

void TestVfsCache::clearDropsEverything() {
    VfsCache cache(NoLimit, NoLimit);
    QVERIFY(cache.insert(u"a"_s, u"x"_s, fileCosting(u"x"_s, 300), VfsCache::Pin::Yes));
    QVERIFY(cache.insert(u"b"_s, u"y"_s, fileCosting(u"y"_s, 300)));

    cache.clear();

    QCOMPARE(cache.counters().entries, 0);
    QCOMPARE(cache.counters().bytes, 0);
    QVERIFY(!cache.find(u"a"_s, u"x"_s));
    QVERIFY(!cache.find(u"b"_s, u"y"_s));
    QVERIFY(cache.insert(u"b"_s, u"y"_s, fileCosting(u"y"_s, 300)));
    QCOMPARE(cache.counters().bytes, 300);
}

void TestVfsCache::shrinkingTheBudgetEvictsAtOnce() {
    VfsCache cache(1000, NoLimit);
    for (const QString &path : {u"a"_s, u"b"_s, u"c"_s})
        QVERIFY(cache.insert(u"s"_s, path, fileCosting(path, 300)));

    cache.setBudget(2000);
    QCOMPARE(cache.budget(), 2000);
    QCOMPARE(cache.counters().entries, 3);

    cache.setBudget(650);
    QCOMPARE(cache.budget(), 650);
    const auto counters = cache.counters();
    QCOMPARE(counters.entries, 2);
    QCOMPARE(counters.bytes, 600);
    QCOMPARE(counters.evictions, 1u);
    QVERIFY(!cache.find(u"s"_s, u"a"_s));
}

void TestVfsCache::negativeBudgetCachesNothing() {
    VfsCache cache(NoLimit, NoLimit);
    QVERIFY(cache.insert(u"s"_s, u"a"_s, fileCosting(u"a"_s, 300)));

    cache.setBudget(-5);

    QCOMPARE(cache.budget(), 0);
    QCOMPARE(cache.counters().entries, 0);
    QVERIFY(!cache.insert(u"s"_s, u"a"_s, fileCosting(u"a"_s, 300)));
}

// Readers on many threads find and insert the same few keys on a budget far smaller than the
// working set. Afterwards the byte count must still be the sum of what is actually cached.
void TestVfsCache::concurrentFindAndInsertKeepTheBooksBalanced() {
    constexpr int Threads = 8;
    constexpr int OperationsPerThread = 20000;
    constexpr qint64 Budget = 64 * 1024;
    const QStringList sites = {u"a"_s, u"b"_s, u"c"_s, u"d"_s};
    QStringList paths; // no root index.html: nothing here is protected from eviction
    std::vector<std::shared_ptr<const CachedFile>> files;
    for (int i = 0; i < 64; ++i) {
        paths.append(u"dir/p%1.html"_s.arg(i));
        files.push_back(fileWithBody(paths.last(), (i * 997) % 4096));
    }

    VfsCache cache(Budget, NoLimit);
    std::vector<std::thread> workers;
    for (int t = 0; t < Threads; ++t) {
        workers.emplace_back([&, t] {
            std::mt19937 random(t + 1);
            std::uniform_int_distribution<qsizetype> pickSite(0, sites.size() - 1);
            std::uniform_int_distribution<qsizetype> pickPath(0, paths.size() - 1);
            for (int i = 0; i < OperationsPerThread; ++i) {
                const QString &site = sites.at(pickSite(random));
                const qsizetype p = pickPath(random);
                if (!cache.find(site, paths.at(p)))
                    cache.insert(site, paths.at(p), files.at(p));
            }
        });
    }
    for (auto &worker : workers)
        worker.join();

    const auto counters = cache.counters();
    QCOMPARE(counters.hits + counters.misses, quint64(Threads) * OperationsPerThread);
    QVERIFY(counters.evictions > 0);
    QVERIFY(counters.bytes <= Budget);

    qint64 cachedBytes = 0;
    qint64 cachedEntries = 0;
    for (const QString &site : sites) {
        for (const QString &path : paths) {
            if (const auto file = cache.find(site, path)) {
                QCOMPARE(file->info.path, path);
                cachedBytes += file->cost();
                ++cachedEntries;
            }
        }
    }
    QCOMPARE(counters.bytes, cachedBytes);
    QCOMPARE(counters.entries, cachedEntries);
}

QTEST_APPLESS_MAIN(TestVfsCache)
#include "tst_vfscache.moc"
