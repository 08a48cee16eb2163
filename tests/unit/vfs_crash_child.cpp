// Child process for tst_vfs's crash test: deploys a large file to site "site" of the given
// database, printing "chunk N" to stdout after each chunk it hands to the Vfs, so the parent
// can kill it (SIGKILL) between chunk writes.

#include "support/patterndevice.h"
#include "vfs/vfs.h"

#include <QCoreApplication>

#include <cstdio>

using namespace fazt;

namespace {

class ReportingDevice : public test::PatternDevice {
public:
    using PatternDevice::PatternDevice;

protected:
    qint64 readData(char *data, qint64 maxSize) override {
        const qint64 n = PatternDevice::readData(data, maxSize);
        std::printf("chunk %lld\n", static_cast<long long>(pos() / vfs::ChunkSize));
        std::fflush(stdout);
        return n;
    }
};

} // namespace

int main(int argc, char *argv[]) {
    QCoreApplication app(argc, argv);
    if (argc != 2)
        return 2;
    auto database = db::Database::open(QString::fromLocal8Bit(argv[1]));
    if (!database)
        return 1;
    vfs::Vfs vfs(**database);
    auto writer = vfs.beginDeploy(QStringLiteral("site"));
    if (!writer)
        return 1;
    (void)(*writer)->addFile(QStringLiteral("small.txt"), QByteArray("new small file"));
    ReportingDevice big(512 * vfs::ChunkSize, 42);
    (void)(*writer)->addFile(QStringLiteral("big.bin"), big);
    std::printf("done\n"); // should never be reached: the parent kills us first
    std::fflush(stdout);
    return 0;
}
