#pragma once

#include "system/capacity.h"

#include <QJsonObject>
#include <QString>

#include <functional>

namespace fazt::system {

// Space on the filesystem holding a path (statfs).
struct DiskUsage {
    qint64 totalBytes = 0;
    qint64 freeBytes = 0; // available to an unprivileged writer
    double usedFraction() const {
        return totalBytes > 0 ? 1.0 - double(freeBytes) / double(totalBytes) : 0.0;
    }
};

// What the Probe saw, and where it saw it.
struct ProbeResult {
    Resources resources;
    QString memorySource;           // "cgroup2", "cgroup1" or "meminfo"
    QString cpuSource;              // "cgroup2", "cgroup1" or "cores"
    qint64 physicalMemoryBytes = 0; // MemTotal
    int onlineCpus = 1;
    qint64 rssBytes = 0;
    QString diskPath;

    QJsonObject toJson() const;
};

// Looks at the machine the way the kernel enforces it: a cgroup limit wins over the RAM in the
// box, a CPU quota over the cores. Reads /proc and /sys under `root`, so tests can point it at a
// fake tree.
class Probe {
public:
    explicit Probe(QString root = QStringLiteral("/"));
    // "/", or $FAZT_PROBE_ROOT: lets tests (and the curious) show Fazt another machine's tree.
    static QString defaultRoot();

    // Everything at once; disk figures for the filesystem holding `dataPath` (the database).
    ProbeResult run(const QString &dataPath) const;

    struct Memory {
        qint64 bytes = 0;
        QString source;
        qint64 physicalBytes = 0;
    };
    // The cgroup v2 memory.max of the process's own cgroup (and its ancestors), then cgroup v1
    // memory.limit_in_bytes, then MemTotal; never more than MemTotal.
    Memory memory() const;

    struct Cpu {
        double cpus = 1;
        QString source;
        int onlineCpus = 1;
    };
    // The cgroup v2 cpu.max quota, then cgroup v1 cfs_quota_us / cfs_period_us, then the online
    // cores; never more than the online cores.
    Cpu cpu() const;

    // Resident set size of this process (under `root`'s /proc/self).
    qint64 rssBytes() const;

    // statfs of the filesystem holding `path` (or its nearest existing parent).
    static DiskUsage disk(const QString &path);
    // The process's RSS right now, cheaply (one read of /proc/self/statm); 0 if unknown.
    static qint64 currentRssBytes();

private:
    using LimitReader = std::function<double(const QString &dir)>;
    QString path(const QString &relative) const;
    QByteArray read(const QString &relative) const;
    // (controllers, path) pairs from /proc/self/cgroup; v2 is the entry with empty controllers.
    QList<QPair<QByteArray, QByteArray>> cgroups() const;
    // The smallest limit `limitIn(directory)` reports for the cgroup `cgroupPath` under the
    // mount `mount` and its ancestors (a child never gets more than its parents allow); -1 if
    // none of them has one. Directories that do not exist are skipped: inside a container the
    // path can name a cgroup that is mounted as the root.
    double hierarchicalLimit(const QString &mount, const QByteArray &cgroupPath,
                             const LimitReader &limitIn) const;
    // The tightest limit `v2Limit` finds in the process's cgroup v2 hierarchy, else the one
    // `v1Limit` finds in the v1 hierarchy of `controller`; -1 if none. `source` names which.
    double cgroupLimit(const QByteArray &controller, const LimitReader &v2Limit,
                       const LimitReader &v1Limit, QString &source) const;
    // Where the v1 hierarchy holding `controller` is mounted ("cpu,cpuacct" or "cpu").
    QStringList v1Mounts(const QByteArray &controllers) const;

    QString m_root;
};

} // namespace fazt::system
