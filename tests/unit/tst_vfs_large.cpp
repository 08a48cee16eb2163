// A file larger than 1 GiB goes into the Vfs and comes back out as a stream: same bytes, and
// the process's peak RSS stays far below the file's size.

#include "support/patterndevice.h"
#include "support/testsupport.h"
#include "vfs/vfs.h"

#include <QCryptographicHash>
#include <QElapsedTimer>
#include <QTemporaryDir>
#include <QTest>

using namespace fazt;

class TestVfsLarge : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void gigabyteFileRoundTripsInBoundedMemory() {
        QTemporaryDir dir(QDir::currentPath() + QStringLiteral("/large-XXXXXX"));
        QVERIFY(dir.isValid());
        auto database = db::Database::open(dir.filePath(QStringLiteral("large.db")));
        QVERIFY(database);
        vfs::Vfs vfs(**database);
        QVERIFY(vfs.createSite(QStringLiteral("big")));

        constexpr qint64 Size = (qint64(1) << 30) + 12345; // just over 1 GiB, not chunk-aligned
        test::resetPeakRss();
        const qint64 baseline = test::peakRssBytes();
        QElapsedTimer timer;
        timer.start();

        test::PatternDevice source(Size, 2026);
        QCryptographicHash expected(QCryptographicHash::Sha256);
        {
            auto writer = vfs.beginDeploy(QStringLiteral("big"));
            QVERIFY(writer);
            QVERIFY((*writer)->addFile(QStringLiteral("disk.img"), source));
            QVERIFY((*writer)->commit());
        }
        const qint64 writeMs = timer.restart();
        source.seek(0);
        expected.addData(&source);

        auto file = vfs.resolve(QStringLiteral("big"), QStringLiteral("disk.img"));
        QVERIFY(file);
        QCOMPARE(file->size, Size);
        QCOMPARE(file->hash, expected.result());

        QCryptographicHash actual(QCryptographicHash::Sha256);
        auto reader = vfs.open(*file);
        for (qint64 i = 0; i < reader->chunkCount(); ++i) {
            auto chunk = reader->chunk(i);
            QVERIFY(chunk);
            actual.addData(*chunk);
        }
        const qint64 readMs = timer.elapsed();
        QCOMPARE(actual.result(), expected.result());

        const qint64 peak = test::peakRssBytes();
        qInfo("1 GiB: write %lld ms (%.0f MB/s), read %lld ms (%.0f MB/s), peak RSS %lld MB "
              "(baseline %lld MB)",
              writeMs, Size / 1e6 / (writeMs / 1e3), readMs, Size / 1e6 / (readMs / 1e3),
              peak >> 20, baseline >> 20);
        QVERIFY2(peak < 160 * 1024 * 1024,
                 qPrintable(QStringLiteral("peak RSS %1 MB").arg(peak >> 20)));
    }
};

QTEST_GUILESS_MAIN(TestVfsLarge)
#include "tst_vfs_large.moc"
