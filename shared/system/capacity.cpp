#include "system/capacity.h"

#include <QJsonValue>

#include <algorithm>
#include <cmath>

namespace fazt::system {

namespace {

constexpr qint64 MiB = qint64(1) << 20;
// Below this nothing sensible runs; a probe that saw no limit at all is treated as this.
constexpr qint64 MinMemory = 64 * MiB;
// What one open connection may cost at worst: socket buffers in user space, a parsed head,
// one chunk of a streamed body in flight.
constexpr qint64 ConnectionBytes = 96 * 1024;
// A function worker: about 3 MiB of its own at rest (the ~20 MiB of Qt and engine code it maps
// are the server's pages too, counted once) and a small heap. Each worker may grow by its
// share of the JS budget, within these bounds.
constexpr qint64 JsContextBytes = 16 * MiB;
constexpr qint64 MinJsWorkerMemory = 16 * MiB;
constexpr qint64 MaxJsWorkerMemory = 256 * MiB;
constexpr qint64 MaxUploadRamBytes = 64 * MiB;
// Largest archive the deploy path accepts at all (1 GiB of content plus headers).
constexpr qint64 MaxUploadBytes = (qint64(1) << 30) + 64 * MiB;

template <typename T> T clampTo(qint64 value, T low, T high) {
    return T(std::clamp<qint64>(value, qint64(low), qint64(high)));
}

} // namespace

qint64 Capacity::osOverheadBytes(qint64 memoryBytes) {
    // A kernel, sshd and journald on a small VPS, or the process's own code and thread stacks
    // inside a cgroup: about 32 MiB at the bottom, a tenth of the RAM above it, and nothing on a
    // big machine needs more than 1 GiB of it.
    return std::clamp<qint64>(memoryBytes / 10, 32 * MiB, 1024 * MiB);
}

Limits Capacity::compute(const Resources &resources) {
    const qint64 memory = std::max(resources.memoryBytes, MinMemory);
    const double cpus = std::max(resources.cpus, 0.1);
    const int cores = std::max(1, int(std::ceil(cpus)));

    Limits limits;
    limits.usableMemoryBytes = qint64(double(memory - osOverheadBytes(memory)) * 0.7);
    const qint64 usable = limits.usableMemoryBytes;
    limits.cacheBytes = usable / 4;
    // A buffer, not a store: past 64 MiB a temporary file is as fast, and a big machine
    // taking a few large uploads at once should not hold them all in RAM.
    limits.uploadRamBytes = std::min(usable / 10, MaxUploadRamBytes);

    // Connections share a quarter of the budget; at least enough for a handful of browsers,
    // and never more than the file descriptors a default systemd unit allows.
    limits.maxConnections = clampTo<int>(usable / 4 / ConnectionBytes, 64, 16384);
    // One event loop per core; waiting is done by epoll, not threads.
    limits.workerThreads = std::clamp(cores, 1, 16);
    // A fifth of the budget for JavaScript contexts; none on a machine too small for one.
    limits.maxConcurrentJs = clampTo<int>(usable / 5 / JsContextBytes, 0, 4 * cores);
    limits.jsWorkerMemoryBytes = std::clamp<qint64>(
        usable / 5 / std::max(1, limits.maxConcurrentJs), MinJsWorkerMemory, MaxJsWorkerMemory);
    // SQLite's page cache, per connection (one per worker, the admin, the jobs thread and the
    // writer): a tenth of the budget shared among them, between 512 KiB and 64 MiB each.
    const int connections = limits.workerThreads + 3; // as in worstCaseBytes()
    limits.sqliteCacheKiB = clampTo<int>(usable / 10 / connections / 1024, 512, 64 * 1024);

    // A browser holds about two keep-alive connections open; one core answers on the order of
    // a thousand requests a second, and a visitor asks for a page every few seconds.
    limits.concurrentVisitors =
        std::min(limits.maxConnections / 2, clampTo<int>(qint64(cpus * 3000), 10, 1 << 30));

    // An upload is held in a temporary file and then written as blobs: it needs twice its size
    // on disk, and the disk guard stops writes at 90 % used.
    const qint64 diskRoom = resources.diskTotalBytes > 0
                                ? resources.diskFreeBytes - resources.diskTotalBytes / 10
                                : MaxUploadBytes * 2;
    limits.largestUploadBytes = std::clamp<qint64>(diskRoom / 2, 0, MaxUploadBytes);

    limits.maintenanceRatio = 100;
    limits.maintenanceDbBytes = qint64(double(memory) * limits.maintenanceRatio);
    return limits;
}

qint64 Capacity::worstCaseBytes(const Limits &limits) {
    return limits.cacheBytes + limits.uploadRamBytes +
           qint64(limits.maxConnections) * ConnectionBytes +
           qint64(limits.sqliteCacheKiB) * 1024 * (limits.workerThreads + 3) +
           qint64(limits.maxConcurrentJs) * limits.jsWorkerMemoryBytes;
}

QJsonObject Limits::toJson() const {
    return {
        {QStringLiteral("usableMemoryBytes"), usableMemoryBytes},
        {QStringLiteral("cacheBytes"), cacheBytes},
        {QStringLiteral("uploadRamBytes"), uploadRamBytes},
        {QStringLiteral("largestUploadBytes"), largestUploadBytes},
        {QStringLiteral("maxConnections"), maxConnections},
        {QStringLiteral("workerThreads"), workerThreads},
        {QStringLiteral("maxConcurrentJs"), maxConcurrentJs},
        {QStringLiteral("jsWorkerMemoryBytes"), jsWorkerMemoryBytes},
        {QStringLiteral("sqliteCacheKiB"), sqliteCacheKiB},
        {QStringLiteral("concurrentVisitors"), concurrentVisitors},
        {QStringLiteral("maintenanceRatio"), maintenanceRatio},
        {QStringLiteral("maintenanceDbBytes"), maintenanceDbBytes},
    };
}

Limits Limits::fromJson(const QJsonObject &json) {
    Limits limits;
    const auto int64 = [&](const char *key, qint64 &field) {
        const QJsonValue v = json.value(QLatin1String(key));
        if (v.isDouble())
            field = qint64(v.toDouble());
    };
    const auto int32 = [&](const char *key, int &field) {
        const QJsonValue v = json.value(QLatin1String(key));
        if (v.isDouble())
            field = int(std::clamp(v.toDouble(), -2147483648.0, 2147483647.0));
    };
    int64("usableMemoryBytes", limits.usableMemoryBytes);
    int64("cacheBytes", limits.cacheBytes);
    int64("uploadRamBytes", limits.uploadRamBytes);
    int64("largestUploadBytes", limits.largestUploadBytes);
    int32("maxConnections", limits.maxConnections);
    int32("workerThreads", limits.workerThreads);
    int32("maxConcurrentJs", limits.maxConcurrentJs);
    int64("jsWorkerMemoryBytes", limits.jsWorkerMemoryBytes);
    int32("sqliteCacheKiB", limits.sqliteCacheKiB);
    int32("concurrentVisitors", limits.concurrentVisitors);
    if (const QJsonValue v = json.value(QStringLiteral("maintenanceRatio")); v.isDouble())
        limits.maintenanceRatio = v.toDouble();
    int64("maintenanceDbBytes", limits.maintenanceDbBytes);
    return limits;
}

} // namespace fazt::system
