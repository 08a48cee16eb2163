#pragma once

#include <QJsonObject>

namespace fazt::system {

// What a machine has: from the Probe, or from the simulator's sliders.
struct Resources {
    qint64 memoryBytes = 0; // RAM limit (cgroup or physical)
    double cpus = 1;        // may be fractional (cgroup quota)
    qint64 diskTotalBytes = 0;
    qint64 diskFreeBytes = 0;
};

// What Fazt allows itself on that machine. Every field is stored in `config` and visible in
// the admin API; the JSON keys are the field names.
struct Limits {
    qint64 usableMemoryBytes = 0; // the budget everything below is carved from
    qint64 cacheBytes = 0;        // VfsCache
    qint64 uploadRamBytes = 0;    // uploads up to this stay in RAM; larger ones spill to disk
    qint64 largestUploadBytes = 0;
    int maxConnections = 0;
    int workerThreads = 0;
    int maxConcurrentJs = 0;        // function worker processes
    qint64 jsWorkerMemoryBytes = 0; // what each may allocate beyond its idle size
    int sqliteCacheKiB = 0;        // per database connection
    int concurrentVisitors = 0;    // an estimate for people
    double maintenanceRatio = 100; // DB size / RAM that triggers maintenance mode at boot
    qint64 maintenanceDbBytes = 0; // the DB size at which it would trigger on this machine

    QJsonObject toJson() const;
    // Fields missing from `json` keep their default values.
    static Limits fromJson(const QJsonObject &json);
    bool operator==(const Limits &) const = default;
};

// The one place that turns resources into limits. Pure: the server, `fazt probe`,
// `fazt simulate` and the console's simulator all call it and show the same numbers.
class Capacity {
public:
    static Limits compute(const Resources &resources);

    // What `limits` let the process's budgeted parts use at worst (cache, upload buffer, every
    // connection, every SQLite cache, every JS context, all full at once). Within
    // usableMemoryBytes for computed limits; compared with the memory for overrides.
    static qint64 worstCaseBytes(const Limits &limits);

    // What the OS and Fazt's own code, threads and SQLite need before any budget is carved.
    static qint64 osOverheadBytes(qint64 memoryBytes);
};

} // namespace fazt::system
