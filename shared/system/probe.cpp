#include "system/probe.h"

#include "config/settings.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sys/statvfs.h>
#include <unistd.h>

namespace fazt::system {

namespace {

// A cgroup v1 "no limit" is a page-aligned LONG_MAX, a v2 one is "max": anything this large is
// no limit at all.
constexpr qint64 Unlimited = qint64(1) << 60;

qint64 parseBytes(const QByteArray &text) {
    const QByteArray t = text.trimmed();
    if (t.isEmpty() || t == "max")
        return -1;
    bool ok = false;
    const qint64 value = t.toLongLong(&ok);
    return ok && value > 0 && value < Unlimited ? value : -1;
}

// "0-3,5,7-8" (the kernel's cpu list format) → 7.
int countCpuList(const QByteArray &text) {
    int count = 0;
    for (const QByteArray &range : text.trimmed().split(',')) {
        if (range.isEmpty())
            continue;
        const int dash = range.indexOf('-');
        bool okLow = false;
        bool okHigh = false;
        const int low = range.left(dash < 0 ? range.size() : dash).toInt(&okLow);
        const int high = dash < 0 ? low : range.mid(dash + 1).toInt(&okHigh);
        if (!okLow || (dash >= 0 && !okHigh) || high < low)
            return 0;
        count += high - low + 1;
    }
    return count;
}

} // namespace

Probe::Probe(QString root)
    : m_root(std::move(root)) {
    if (m_root.endsWith(QLatin1Char('/')))
        m_root.chop(1);
}

QString Probe::defaultRoot() {
    const QString root = qEnvironmentVariable(settings::ProbeRootVariable);
    return root.isEmpty() ? QStringLiteral("/") : root;
}

QString Probe::path(const QString &relative) const {
    return m_root + relative;
}

QByteArray Probe::read(const QString &relative) const {
    QFile file(path(relative));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return file.readAll();
}

QList<QPair<QByteArray, QByteArray>> Probe::cgroups() const {
    // Each line: "hierarchy-ID:controller-list:cgroup-path"; v2's has ID 0 and no controllers.
    QList<QPair<QByteArray, QByteArray>> entries;
    for (const QByteArray &line : read(QStringLiteral("/proc/self/cgroup")).split('\n')) {
        const int first = line.indexOf(':');
        const int second = first < 0 ? -1 : line.indexOf(':', first + 1);
        if (second < 0)
            continue;
        entries.append({line.mid(first + 1, second - first - 1), line.mid(second + 1).trimmed()});
    }
    return entries;
}

double Probe::hierarchicalLimit(const QString &mount, const QByteArray &cgroupPath,
                                const std::function<double(const QString &)> &limitIn) const {
    double smallest = -1;
    QString relative = QString::fromUtf8(cgroupPath);
    while (true) {
        const QString dir = QDir::cleanPath(path(mount + QLatin1Char('/') + relative));
        if (QFileInfo(dir).isDir()) {
            const double limit = limitIn(dir);
            if (limit > 0 && (smallest < 0 || limit < smallest))
                smallest = limit;
        }
        const int slash = relative.lastIndexOf(QLatin1Char('/'));
        if (relative.isEmpty() || relative == QLatin1String("/") || slash < 0)
            break;
        relative = slash == 0 ? QStringLiteral("/") : relative.left(slash);
    }
    return smallest;
}

QStringList Probe::v1Mounts(const QByteArray &controllers) const {
    // systemd mounts co-mounted controllers under their joined name ("cpu,cpuacct") and links
    // each single name to it; other setups mount each on its own.
    QStringList mounts{QStringLiteral("/sys/fs/cgroup/") + QString::fromUtf8(controllers)};
    for (const QByteArray &name : controllers.split(','))
        mounts.append(QStringLiteral("/sys/fs/cgroup/") + QString::fromUtf8(name));
    return mounts;
}

static double readFileLimit(const QString &file) {
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly))
        return -1;
    return double(parseBytes(f.readAll()));
}

double Probe::cgroupLimit(const QByteArray &controller, const LimitReader &v2Limit,
                          const LimitReader &v1Limit, QString &source) const {
    const auto entries = cgroups();
    for (const auto &[controllers, cgroupPath] : entries) {
        if (!controllers.isEmpty())
            continue;
        const double limit =
            hierarchicalLimit(QStringLiteral("/sys/fs/cgroup"), cgroupPath, v2Limit);
        if (limit > 0) {
            source = QStringLiteral("cgroup2");
            return limit;
        }
    }
    for (const auto &[controllers, cgroupPath] : entries) {
        if (!controllers.split(',').contains(controller))
            continue;
        for (const QString &mount : v1Mounts(controllers)) {
            const double limit = hierarchicalLimit(mount, cgroupPath, v1Limit);
            if (limit > 0) {
                source = QStringLiteral("cgroup1");
                return limit;
            }
        }
    }
    return -1;
}

Probe::Memory Probe::memory() const {
    Memory memory;
    for (const QByteArray &line : read(QStringLiteral("/proc/meminfo")).split('\n')) {
        if (line.startsWith("MemTotal:")) {
            memory.physicalBytes = line.mid(9).trimmed().split(' ').first().toLongLong() * 1024;
            break;
        }
    }
    if (memory.physicalBytes <= 0)
        memory.physicalBytes = qint64(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGESIZE);
    memory.bytes = memory.physicalBytes;
    memory.source = QStringLiteral("meminfo");
    QString source;
    const double limit = cgroupLimit(
        "memory",
        [](const QString &dir) { return readFileLimit(dir + QStringLiteral("/memory.max")); },
        [](const QString &dir) {
            return readFileLimit(dir + QStringLiteral("/memory.limit_in_bytes"));
        },
        source);
    if (limit > 0 && qint64(limit) < memory.bytes) { // a cgroup limit above the RAM is no limit
        memory.bytes = qint64(limit);
        memory.source = source;
    }
    return memory;
}

Probe::Cpu Probe::cpu() const {
    Cpu cpu;
    cpu.onlineCpus = countCpuList(read(QStringLiteral("/sys/devices/system/cpu/online")));
    if (cpu.onlineCpus <= 0)
        cpu.onlineCpus = std::max(1, int(sysconf(_SC_NPROCESSORS_ONLN)));
    cpu.cpus = cpu.onlineCpus;
    cpu.source = QStringLiteral("cores");
    QString source;
    const double quota = cgroupLimit(
        "cpu",
        [](const QString &dir) {
            // cpu.max: "$QUOTA $PERIOD" in microseconds, QUOTA "max" when unlimited.
            QFile f(dir + QStringLiteral("/cpu.max"));
            if (!f.open(QIODevice::ReadOnly))
                return -1.0;
            const QList<QByteArray> fields = f.readAll().simplified().split(' ');
            if (fields.size() != 2)
                return -1.0;
            const double q = double(parseBytes(fields[0]));
            const double period = double(parseBytes(fields[1]));
            return q > 0 && period > 0 ? q / period : -1.0;
        },
        [](const QString &dir) {
            const double q = readFileLimit(dir + QStringLiteral("/cpu.cfs_quota_us"));
            const double period = readFileLimit(dir + QStringLiteral("/cpu.cfs_period_us"));
            return q > 0 && period > 0 ? q / period : -1.0;
        },
        source);
    if (quota > 0 && quota < cpu.cpus) { // a quota above the cores is no limit
        cpu.cpus = quota;
        cpu.source = source;
    }
    return cpu;
}

qint64 Probe::rssBytes() const {
    for (const QByteArray &line : read(QStringLiteral("/proc/self/status")).split('\n')) {
        if (line.startsWith("VmRSS:"))
            return line.mid(6).trimmed().split(' ').first().toLongLong() * 1024;
    }
    return currentRssBytes(); // a fake tree without a status file: this process's own
}

qint64 Probe::currentRssBytes() {
    // statm: "size resident shared ..." in pages. One small read, fine on a hot path.
    static const long pageSize = sysconf(_SC_PAGESIZE);
    char buffer[128];
    FILE *file = std::fopen("/proc/self/statm", "re");
    if (!file)
        return 0;
    const size_t n = std::fread(buffer, 1, sizeof buffer - 1, file);
    std::fclose(file);
    buffer[n] = '\0';
    long size = 0;
    long resident = 0;
    if (std::sscanf(buffer, "%ld %ld", &size, &resident) != 2)
        return 0;
    return qint64(resident) * pageSize;
}

DiskUsage Probe::disk(const QString &path) {
    // The database file may not exist yet (`fazt server init`): ask about its directory.
    QString existing = QFileInfo(path).absoluteFilePath();
    while (!QFileInfo::exists(existing)) {
        const QString parent = QFileInfo(existing).absolutePath();
        if (parent == existing)
            return {};
        existing = parent;
    }
    struct statvfs fs {};
    if (statvfs(QFile::encodeName(existing).constData(), &fs) != 0)
        return {};
    DiskUsage usage;
    usage.totalBytes = qint64(fs.f_blocks) * qint64(fs.f_frsize);
    usage.freeBytes = qint64(fs.f_bavail) * qint64(fs.f_frsize);
    return usage;
}

ProbeResult Probe::run(const QString &dataPath) const {
    ProbeResult result;
    const Memory mem = memory();
    const Cpu processor = cpu();
    result.resources.memoryBytes = mem.bytes;
    result.memorySource = mem.source;
    result.physicalMemoryBytes = mem.physicalBytes;
    result.resources.cpus = processor.cpus;
    result.cpuSource = processor.source;
    result.onlineCpus = processor.onlineCpus;
    result.diskPath = QFileInfo(dataPath).absoluteFilePath();
    const DiskUsage usage = disk(dataPath);
    result.resources.diskTotalBytes = usage.totalBytes;
    result.resources.diskFreeBytes = usage.freeBytes;
    result.rssBytes = rssBytes();
    return result;
}

QJsonObject ProbeResult::toJson() const {
    return {
        {QStringLiteral("memoryBytes"), resources.memoryBytes},
        {QStringLiteral("memorySource"), memorySource},
        {QStringLiteral("physicalMemoryBytes"), physicalMemoryBytes},
        {QStringLiteral("cpus"), resources.cpus},
        {QStringLiteral("cpuSource"), cpuSource},
        {QStringLiteral("onlineCpus"), onlineCpus},
        {QStringLiteral("diskPath"), diskPath},
        {QStringLiteral("diskTotalBytes"), resources.diskTotalBytes},
        {QStringLiteral("diskFreeBytes"), resources.diskFreeBytes},
        {QStringLiteral("rssBytes"), rssBytes},
    };
}

} // namespace fazt::system
