// A file larger than 1 GiB goes into the Vfs and comes back out as a stream: same bytes, and
// the process's peak RSS stays far below the file's size.

#include "crypto/sha256.h"
#include "support/patterndevice.h"
#include "support/testsupport.h"
#include "vfs/vfs.h"

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
        crypto::Sha256 expected;
        {
            auto writer = vfs.beginDeploy(QStringLiteral("big"));
            QVERIFY(writer);
            QVERIFY((*writer)->addFile(QStringLiteral("disk.img"), source));
            QVERIFY((*writer)->commit());
        }
        const qint64 writeMs = timer.restart();
        source.seek(0);
        while (!source.atEnd())
            expected.addData(source.read(vfs::ChunkSize));
        const QByteArray expectedHash = expected.result();

        auto file = vfs.resolve(QStringLiteral("big"), QStringLiteral("disk.img"));
        QVERIFY(file);
        QCOMPARE(file->size, Size);
        QCOMPARE(file->hash, expectedHash);

        crypto::Sha256 actual;
        auto reader = vfs.open(*file);
        for (qint64 i = 0; i < reader->chunkCount(); ++i) {
            auto chunk = reader->chunk(i);
            QVERIFY(chunk);
            actual.addData(*chunk);
        }
        const qint64 readMs = timer.elapsed();
        QCOMPARE(actual.result(), expectedHash);

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
