// Probe: what the machine allows, read from fake /proc and /sys trees like the kernel's.

#include "system/probe.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace fazt::system;

namespace {

constexpr qint64 kMiB = qint64(1) << 20;

// A fake root: write(relative path, content) creates the file and its folders.
class FakeRoot {
public:
    FakeRoot() {
        write("/proc/meminfo", "MemTotal:        4026532 kB\nMemFree:          123456 kB\n");
        write("/sys/devices/system/cpu/online", "0-3\n");
        write("/proc/self/status", "Name:\tfazt\nVmHWM:\t  20000 kB\nVmRSS:\t   12288 kB\n");
    }
    void write(const char *relative, const QByteArray &content) {
        const QString file = m_dir.path() + QLatin1String(relative);
        QDir().mkpath(QFileInfo(file).absolutePath());
        QFile f(file);
        QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
        f.write(content);
    }
    QString path() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
};

const qint64 kMemTotal = qint64(4026532) * 1024;

} // namespace

class TestProbe : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void noCgroupUsesMeminfoAndCores() {
        FakeRoot root;
        const Probe probe(root.path());
        const auto memory = probe.memory();
        QCOMPARE(memory.bytes, kMemTotal);
        QCOMPARE(memory.physicalBytes, kMemTotal);
        QCOMPARE(memory.source, QStringLiteral("meminfo"));
        const auto cpu = probe.cpu();
        QCOMPARE(cpu.cpus, 4.0);
        QCOMPARE(cpu.onlineCpus, 4);
        QCOMPARE(cpu.source, QStringLiteral("cores"));
        QCOMPARE(probe.rssBytes(), qint64(12288) * 1024);
    }

    void cgroupV2MemoryMaxAndCpuQuota() {
        FakeRoot root;
        root.write("/proc/self/cgroup", "0::/system.slice/fazt.service\n");
        root.write("/sys/fs/cgroup/system.slice/fazt.service/memory.max", "209715200\n");
        root.write("/sys/fs/cgroup/system.slice/fazt.service/cpu.max", "150000 100000\n");
        const Probe probe(root.path());
        QCOMPARE(probe.memory().bytes, 200 * kMiB);
        QCOMPARE(probe.memory().source, QStringLiteral("cgroup2"));
        QCOMPARE(probe.cpu().cpus, 1.5);
        QCOMPARE(probe.cpu().source, QStringLiteral("cgroup2"));
    }

    void cgroupV2ParentLimitBindsTheChild() {
        FakeRoot root;
        root.write("/proc/self/cgroup", "0::/system.slice/fazt.service\n");
        root.write("/sys/fs/cgroup/system.slice/memory.max", "104857600\n");
        root.write("/sys/fs/cgroup/system.slice/fazt.service/memory.max", "max\n");
        root.write("/sys/fs/cgroup/system.slice/cpu.max", "max 100000\n");
        root.write("/sys/fs/cgroup/system.slice/fazt.service/cpu.max", "50000 100000\n");
        const Probe probe(root.path());
        QCOMPARE(probe.memory().bytes, 100 * kMiB);
        QCOMPARE(probe.cpu().cpus, 0.5);
    }

    void cgroupV2MaxMeansUnlimited() {
        FakeRoot root;
        root.write("/proc/self/cgroup", "0::/user.slice\n");
        root.write("/sys/fs/cgroup/user.slice/memory.max", "max\n");
        root.write("/sys/fs/cgroup/user.slice/cpu.max", "max 100000\n");
        const Probe probe(root.path());
        QCOMPARE(probe.memory().bytes, kMemTotal);
        QCOMPARE(probe.memory().source, QStringLiteral("meminfo"));
        QCOMPARE(probe.cpu().cpus, 4.0);
        QCOMPARE(probe.cpu().source, QStringLiteral("cores"));
    }

    void cgroupV1LimitFoundThroughProcSelfCgroup() {
        FakeRoot root;
        root.write("/proc/self/cgroup", "12:pids:/docker/abc\n"
                                        "4:memory:/docker/abc\n"
                                        "3:cpu,cpuacct:/docker/abc\n"
                                        "1:name=systemd:/docker/abc\n"
                                        "0::/\n");
        root.write("/sys/fs/cgroup/memory/docker/abc/memory.limit_in_bytes", "536870912\n");
        root.write("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_quota_us", "150000\n");
        root.write("/sys/fs/cgroup/cpu,cpuacct/docker/abc/cpu.cfs_period_us", "100000\n");
        const Probe probe(root.path());
        QCOMPARE(probe.memory().bytes, 512 * kMiB);
        QCOMPARE(probe.memory().source, QStringLiteral("cgroup1"));
        QCOMPARE(probe.cpu().cpus, 1.5);
        QCOMPARE(probe.cpu().source, QStringLiteral("cgroup1"));
    }

    void cgroupV1UnlimitedAndContainerRoot() {
        // Unlimited v1 is a page-aligned LONG_MAX and a quota of -1; inside a container the
        // named path does not exist and the mount itself is the process's cgroup.
        FakeRoot root;
        root.write("/proc/self/cgroup", "4:memory:/docker/abc\n3:cpu:/docker/abc\n");
        root.write("/sys/fs/cgroup/memory/memory.limit_in_bytes", "9223372036854771712\n");
        root.write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "-1\n");
        root.write("/sys/fs/cgroup/cpu/cpu.cfs_period_us", "100000\n");
        Probe probe(root.path());
        QCOMPARE(probe.memory().bytes, kMemTotal);
        QCOMPARE(probe.cpu().cpus, 4.0);

        root.write("/sys/fs/cgroup/memory/memory.limit_in_bytes", "268435456\n");
        root.write("/sys/fs/cgroup/cpu/cpu.cfs_quota_us", "200000\n");
        QCOMPARE(probe.memory().bytes, 256 * kMiB);
        QCOMPARE(probe.cpu().cpus, 2.0);
    }

    void limitsAboveTheMachineAreNoLimits() {
        FakeRoot root;
        root.write("/proc/self/cgroup", "0::/big\n");
        root.write("/sys/fs/cgroup/big/memory.max", QByteArray::number(kMemTotal * 8));
        root.write("/sys/fs/cgroup/big/cpu.max", "1600000 100000");
        const Probe probe(root.path());
        QCOMPARE(probe.memory().bytes, kMemTotal);
        QCOMPARE(probe.memory().source, QStringLiteral("meminfo"));
        QCOMPARE(probe.cpu().cpus, 4.0);
    }

    void garbageFilesAreIgnored() {
        FakeRoot root;
        root.write("/proc/self/cgroup", "garbage\n::\n0::/x\n");
        root.write("/sys/fs/cgroup/x/memory.max", "lots\n");
        root.write("/sys/fs/cgroup/x/cpu.max", "1 2 3\n");
        root.write("/sys/devices/system/cpu/online", "3-1\n");
        const Probe probe(root.path());
        QCOMPARE(probe.memory().bytes, kMemTotal);
        QVERIFY(probe.cpu().cpus >= 1); // the real online count
    }

    void cpuListFormat() {
        FakeRoot root;
        root.write("/sys/devices/system/cpu/online", "0-3,5,7-8\n");
        QCOMPARE(Probe(root.path()).cpu().onlineCpus, 7);
    }

    void diskOfTheDatabaseFilesystem() {
        QTemporaryDir dir;
        // The database need not exist yet: its folder's filesystem is measured.
        const DiskUsage usage = Probe::disk(dir.filePath(QStringLiteral("not/yet/fazt.db")));
        QVERIFY(usage.totalBytes > 0);
        QVERIFY(usage.freeBytes > 0 && usage.freeBytes <= usage.totalBytes);
        QVERIFY(usage.usedFraction() >= 0 && usage.usedFraction() < 1);
    }

    void realMachineAnswersSomething() {
        QTemporaryDir dir;
        const ProbeResult result = Probe().run(dir.filePath(QStringLiteral("fazt.db")));
        QVERIFY(result.resources.memoryBytes > 0);
        QVERIFY(result.resources.memoryBytes <= result.physicalMemoryBytes);
        QVERIFY(result.resources.cpus > 0);
        QVERIFY(result.rssBytes > 0);
        QVERIFY(Probe::currentRssBytes() > 0);
        QCOMPARE(result.toJson().value(QStringLiteral("memorySource")).toString(),
                 result.memorySource);
    }
};

QTEST_GUILESS_MAIN(TestProbe)
#include "tst_probe.moc"
