// bench_vfs: writes and reads a generated 10,000-file site through the Vfs, next to the
// filesystem doing the same work in the same run (tar -x, QFile, cat), and prints a table of
// medians and ratios. Everything runs with a warm page cache; neither side syncs beyond what it
// does as shipped (fazt: fdatasync at WAL checkpoints; tar: none).

#include "db/database.h"
#include "support/patterndevice.h"
#include "support/testsupport.h"
#include "vfs/vfs.h"

#include <QCoreApplication>
#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStorageInfo>
#include <QTemporaryDir>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <vector>

namespace {

using fazt::Error;
using fazt::Result;
using fazt::Status;

constexpr int FileCount = 10000;
constexpr int Repetitions = 3;
constexpr quint64 Seed = 0x66617a74; // "fazt": the same site on every run

QString siteName() {
    return QStringLiteral("bench");
}

struct SiteFile {
    QString path; // relative to the site root, '/'-separated
    qint64 size = 0;
};

struct Site {
    std::vector<SiteFile> files;
    qint64 bytes = 0;
};

// splitmix64: small and deterministic, the same sequence with every compiler and library.
class Random {
public:
    explicit Random(quint64 seed)
        : m_state(seed) {}

    quint64 next() {
        quint64 z = (m_state += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    // Uniform in [0, 1).
    double unit() { return double(next() >> 11) * 0x1.0p-53; }
    // Log-uniform in [low, high): each octave is as likely as the next, as file sizes are.
    qint64 logUniform(qint64 low, qint64 high) {
        return qint64(double(low) * std::pow(double(high) / double(low), unit()));
    }
    const QString &pick(const QStringList &items) {
        return items[qsizetype(next() % items.size())];
    }

private:
    quint64 m_state;
};

double secondsSince(const QElapsedTimer &timer) {
    return double(timer.nsecsElapsed()) / 1e9;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    return values[values.size() / 2];
}

double megabytes(qint64 bytes) {
    return double(bytes) / 1e6;
}

// Runs a program to completion, its output discarded; fails unless it exits with 0.
Status run(const QString &program, const QStringList &arguments) {
    QProcess process;
    process.setStandardOutputFile(QProcess::nullDevice());
    process.start(program, arguments);
    if (process.waitForFinished(-1) && process.exitStatus() == QProcess::NormalExit &&
        process.exitCode() == 0)
        return {};
    return Error::io(QStringLiteral("%1 %2 failed: %3 %4")
                         .arg(program, arguments.join(u' '), process.errorString(),
                              QString::fromLocal8Bit(process.readAllStandardError())));
}

// A site shaped like a real one: mostly 1-20 KiB HTML, JS and CSS, some 50-500 KiB images and
// a few 1-4 MiB media files, in folders one to three levels deep. Every file's bytes are
// pseudo-random and distinct, so neither compression nor content-addressed deduplication has
// anything to exploit.
Result<Site> generateSite(const QString &root) {
    const QStringList sections = {QStringLiteral("blog"),   QStringLiteral("docs"),
                                  QStringLiteral("guides"), QStringLiteral("api"),
                                  QStringLiteral("assets"), QStringLiteral("news"),
                                  QStringLiteral("shop"),   QStringLiteral("help")};
    const QStringList textTypes = {QStringLiteral("html"), QStringLiteral("html"),
                                   QStringLiteral("html"), QStringLiteral("js"),
                                   QStringLiteral("js"),   QStringLiteral("css")};
    const QStringList imageTypes = {QStringLiteral("jpg"), QStringLiteral("png"),
                                    QStringLiteral("webp")};
    const QStringList mediaTypes = {QStringLiteral("mp4"), QStringLiteral("pdf"),
                                    QStringLiteral("zip")};
    Random random(Seed);
    Site site;
    site.files.reserve(FileCount);
    for (int i = 0; i < FileCount; ++i) {
        const double kind = random.unit();
        QString folder = random.pick(sections);
        QString name;
        qint64 size = 0;
        if (kind < 0.002) {
            folder = QStringLiteral("media");
            name = QStringLiteral("video-%1.%2").arg(i).arg(random.pick(mediaTypes));
            size = random.logUniform(1 << 20, 4 << 20);
        } else if (kind < 0.032) {
            name = QStringLiteral("image-%1.%2").arg(i).arg(random.pick(imageTypes));
            size = random.logUniform(50 << 10, 500 << 10);
        } else {
            name = QStringLiteral("page-%1.%2").arg(i).arg(random.pick(textTypes));
            size = random.logUniform(1 << 10, 20 << 10);
        }
        for (quint64 depth = random.next() % 3; depth > 0; --depth)
            folder += QStringLiteral("/d%1").arg(random.next() % 12);
        site.files.push_back({folder + u'/' + name, size});
        site.bytes += size;

        const QString path = root + u'/' + site.files.back().path;
        if (!QDir().mkpath(QFileInfo(path).path()))
            return Error::io(QStringLiteral("Cannot create the folder for %1.").arg(path));
        QFile file(path);
        fazt::test::PatternDevice content(size, Seed + quint64(i) + 1);
        if (!file.open(QIODevice::WriteOnly) || file.write(content.readAll()) != size)
            return Error::io(QStringLiteral("Cannot write %1: %2").arg(path, file.errorString()));
    }
    return site;
}

// One fazt write: deployDirectory into a fresh database, then close it (which checkpoints
// what is left in the WAL: that is part of the write).
Result<double> writeThroughVfs(const QString &databasePath, const QString &siteDir) {
    auto opened = fazt::db::Database::open(databasePath);
    if (!opened)
        return opened.error();
    std::unique_ptr<fazt::db::Database> database = std::move(*opened);
    QElapsedTimer timer;
    {
        fazt::vfs::Vfs vfs(*database);
        if (auto created = vfs.createSite(siteName()); !created)
            return created.error();
        timer.start();
        auto deploy = vfs.deployDirectory(siteName(), siteDir);
        if (!deploy)
            return deploy.error();
        if (deploy->fileCount != FileCount)
            return Error::internal(QStringLiteral("The deploy has %1 files, not %2.")
                                       .arg(deploy->fileCount)
                                       .arg(FileCount));
    }
    database.reset();
    return secondsSince(timer);
}

// The peer's write: unpack the same files from a tar into a fresh folder.
Result<double> writeThroughTar(const QString &tarPath, const QString &target) {
    if (!QDir().mkpath(target))
        return Error::io(QStringLiteral("Cannot create %1.").arg(target));
    QElapsedTimer timer;
    timer.start();
    if (Status unpacked = run(QStringLiteral("tar"),
                              {QStringLiteral("-xf"), tarPath, QStringLiteral("-C"), target});
        !unpacked)
        return unpacked.error();
    return secondsSince(timer);
}

Status checkBytesRead(const char *reader, qint64 bytes, const Site &site) {
    if (bytes == site.bytes)
        return {};
    return Error::internal(QStringLiteral("%1 read %2 bytes, the site has %3.")
                               .arg(QString::fromLatin1(reader))
                               .arg(bytes)
                               .arg(site.bytes));
}

// One fazt read pass: resolve and read every file, one thread.
Result<double> readThroughVfs(fazt::vfs::Vfs &vfs, const Site &site) {
    QElapsedTimer timer;
    timer.start();
    qint64 bytes = 0;
    for (const SiteFile &file : site.files) {
        auto info = vfs.resolve(siteName(), file.path);
        if (!info)
            return info.error();
        auto content = vfs.readAll(*info);
        if (!content)
            return content.error();
        bytes += content->size();
    }
    const double seconds = secondsSince(timer);
    if (Status s = checkBytesRead("fazt", bytes, site); !s)
        return s.error();
    return seconds;
}

struct PassTimes {
    double first = 0;
    double second = 0;
};

// One fazt read repetition: a fresh Database (its SQLite page cache empty, so the first pass
// is "cold-ish"), then two passes over every file.
Result<PassTimes> readTwiceThroughVfs(const QString &databasePath, const Site &site) {
    auto database = fazt::db::Database::open(databasePath);
    if (!database)
        return database.error();
    fazt::vfs::Vfs vfs(**database);
    auto first = readThroughVfs(vfs, site);
    if (!first)
        return first.error();
    auto second = readThroughVfs(vfs, site);
    if (!second)
        return second.error();
    return PassTimes{*first, *second};
}

// The peer's read pass: open and read every file from the unpacked folder, one thread.
Result<double> readThroughQFile(const QString &root, const Site &site) {
    QElapsedTimer timer;
    timer.start();
    qint64 bytes = 0;
    for (const SiteFile &file : site.files) {
        QFile f(root + u'/' + file.path);
        if (!f.open(QIODevice::ReadOnly))
            return Error::io(
                QStringLiteral("Cannot read %1: %2").arg(f.fileName(), f.errorString()));
        bytes += f.readAll().size();
    }
    const double seconds = secondsSince(timer);
    if (Status s = checkBytesRead("QFile", bytes, site); !s)
        return s.error();
    return seconds;
}

Result<double> readThroughCat(const QString &root) {
    QElapsedTimer timer;
    timer.start();
    if (Status s = run(QStringLiteral("find"),
                       {root, QStringLiteral("-type"), QStringLiteral("f"), QStringLiteral("-exec"),
                        QStringLiteral("cat"), QStringLiteral("{}"), QStringLiteral("+")});
        !s)
        return s.error();
    return secondsSince(timer);
}

// Untimed: every file read back through the Vfs is byte for byte the file on disk, so the
// timed passes measure the right work.
Status verifyContent(const QString &databasePath, const QString &siteDir, const Site &site) {
    auto database = fazt::db::Database::open(databasePath);
    if (!database)
        return database.error();
    fazt::vfs::Vfs vfs(**database);
    for (const SiteFile &file : site.files) {
        auto info = vfs.resolve(siteName(), file.path);
        if (!info)
            return info.error();
        auto content = vfs.readAll(*info);
        if (!content)
            return content.error();
        QFile original(siteDir + u'/' + file.path);
        if (!original.open(QIODevice::ReadOnly) || original.readAll() != *content)
            return Error::internal(
                QStringLiteral("%1 reads back different from the original.").arg(file.path));
    }
    return {};
}

qint64 databaseSize(const QString &databasePath) {
    qint64 size = 0;
    for (const QString &suffix : {QString(), QStringLiteral("-wal"), QStringLiteral("-shm")})
        size += QFileInfo(databasePath + suffix).size();
    return size;
}

void progress(const QString &step) {
    std::fprintf(stderr, "bench_vfs: %s\n", qPrintable(step));
    std::fflush(stderr);
}

// Flushes what earlier steps left dirty, outside the timed work, so that neither side pays
// for the other's writeback.
Status settle() {
    return run(QStringLiteral("sync"), {});
}

// The seconds of each repetition of one measurement, for fazt and its peer.
struct Measurement {
    const char *operation;
    const char *peer;
    std::vector<double> fazt;
    std::vector<double> peerSeconds;
};

void printRows(const Measurement &m, const Site &site) {
    const double fazt = median(m.fazt);
    const double peer = median(m.peerSeconds);
    const double files = double(site.files.size());
    std::printf("%-22s files/s %10.0f %10.0f %8.2f     %s\n", m.operation, files / fazt,
                files / peer, peer / fazt, m.peer);
    std::printf("%-22s MB/s    %10.1f %10.1f %8.2f\n", m.operation, megabytes(site.bytes) / fazt,
                megabytes(site.bytes) / peer, peer / fazt);
}

Status runBenchmark(const QString &work) {
    const QString siteDir = work + QStringLiteral("/site");
    const QString tarPath = work + QStringLiteral("/site.tar");
    progress(QStringLiteral("generating the site"));
    auto site = generateSite(siteDir);
    if (!site)
        return site.error();
    if (Status s = run(QStringLiteral("tar"), {QStringLiteral("-cf"), tarPath, QStringLiteral("-C"),
                                               siteDir, QStringLiteral(".")});
        !s)
        return s;

    // Write: fazt and tar take turns, each into a fresh database or folder and after a sync.
    // Nothing is deleted until the end (deleting 10,000 files slows the creates that follow on
    // ext4); the reads use the last database and folder.
    Measurement write{"write", "tar -xf", {}, {}};
    QString databasePath;
    QString unpacked;
    for (int rep = 0; rep < Repetitions; ++rep) {
        databasePath = work + QStringLiteral("/fazt-%1.db").arg(rep);
        unpacked = work + QStringLiteral("/unpacked-%1").arg(rep);
        if (Status s = settle(); !s)
            return s;
        auto fazt = writeThroughVfs(databasePath, siteDir);
        if (!fazt)
            return fazt.error();
        if (Status s = settle(); !s)
            return s;
        auto peer = writeThroughTar(tarPath, unpacked);
        if (!peer)
            return peer.error();
        write.fazt.push_back(*fazt);
        write.peerSeconds.push_back(*peer);
        progress(QStringLiteral("write %1/%2: fazt %3 s, tar %4 s")
                     .arg(rep + 1)
                     .arg(Repetitions)
                     .arg(*fazt, 0, 'f', 2)
                     .arg(*peer, 0, 'f', 2));
    }
    if (Status s = settle(); !s)
        return s;

    progress(QStringLiteral("verifying what fazt stored"));
    if (Status s = verifyContent(databasePath, siteDir, *site); !s)
        return s;

    // Read: fazt reads every file twice from a fresh Database, then the peers read the
    // unpacked folder.
    Measurement firstRead{"read, fresh Database", "QFile::readAll", {}, {}};
    Measurement secondRead{"read, second pass", "QFile::readAll", {}, {}};
    Measurement catRead{"read, second pass", "find -exec cat {} +", {}, {}};
    for (int rep = 0; rep < Repetitions; ++rep) {
        auto fazt = readTwiceThroughVfs(databasePath, *site);
        if (!fazt)
            return fazt.error();
        auto qfile = readThroughQFile(unpacked, *site);
        if (!qfile)
            return qfile.error();
        auto cat = readThroughCat(unpacked);
        if (!cat)
            return cat.error();
        firstRead.fazt.push_back(fazt->first);
        firstRead.peerSeconds.push_back(*qfile);
        secondRead.fazt.push_back(fazt->second);
        secondRead.peerSeconds.push_back(*qfile);
        catRead.fazt.push_back(fazt->second);
        catRead.peerSeconds.push_back(*cat);
        progress(QStringLiteral("read %1/%2: fazt %3 s then %4 s, QFile %5 s, cat %6 s")
                     .arg(rep + 1)
                     .arg(Repetitions)
                     .arg(fazt->first, 0, 'f', 2)
                     .arg(fazt->second, 0, 'f', 2)
                     .arg(*qfile, 0, 'f', 2)
                     .arg(*cat, 0, 'f', 2));
    }

    const QString filesystem = QString::fromUtf8(QStorageInfo(work).fileSystemType());
    std::printf("bench_vfs: %d files, %.1f MB, warm page cache, median of %d, on %s\n", FileCount,
                megabytes(site->bytes), Repetitions, qPrintable(filesystem));
    std::printf("  writes as shipped: fazt WAL + synchronous=NORMAL (fdatasync at checkpoints "
                "only),\n  tar -x without sync; an untimed sync runs before each write\n"
                "  ratio = fazt throughput / peer throughput (>1: fazt is faster)\n");
    std::printf("%-30s %10s %10s %8s     %s\n", "", "fazt", "peer", "ratio", "peer");
    for (const Measurement *m : {&write, &firstRead, &secondRead, &catRead})
        printRows(*m, *site);
    std::printf("peak RSS: %.0f MB   fazt.db: %.1f MB for %.1f MB of files\n",
                megabytes(fazt::test::peakRssBytes()), megabytes(databaseSize(databasePath)),
                megabytes(site->bytes));
    return {};
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    // Next to the executable, in the build tree: a real disk, not a tmpfs /tmp.
    QTemporaryDir work(QCoreApplication::applicationDirPath() +
                       QStringLiteral("/bench_vfs-XXXXXX"));
    if (!work.isValid()) {
        std::fprintf(stderr, "bench_vfs: cannot create a work folder: %s\n",
                     qPrintable(work.errorString()));
        return 1;
    }
    if (Status s = runBenchmark(work.path()); !s) {
        std::fprintf(stderr, "bench_vfs: %s\n", qPrintable(s.error().message));
        return 1;
    }
    return 0;
}
