#include "simulatormodel.h"

#include <cmath>

namespace fazt::console {

namespace {

struct Preset {
    const char *name;
    double memoryMiB;
    double cpus;
    double diskGiB;
};

constexpr Preset kPresets[] = {
    {"Tiny container: 256 MB, 0.5 CPU, 5 GB", 256, 0.5, 5},
    {"Smallest VPS: 512 MB, 1 vCPU, 10 GB", 512, 1, 10},
    {"Small VPS: 1 GB, 1 vCPU, 25 GB", 1024, 1, 25},
    {"Medium VPS: 2 GB, 2 vCPU, 50 GB", 2048, 2, 50},
    {"Large VPS: 4 GB, 2 vCPU, 80 GB", 4096, 2, 80},
    {"Dedicated: 16 GB, 8 cores, 500 GB", 16384, 8, 500},
};

constexpr qint64 kMiB = 1 << 20;
constexpr qint64 kGiB = 1 << 30;

} // namespace

SimulatorModel::SimulatorModel(QObject *parent)
    : QObject(parent) {
    applyPreset(2);
}

void SimulatorModel::setMemoryMiB(double mib) {
    const qint64 bytes = qint64(std::clamp(mib, 64.0, 1024.0 * 1024) * kMiB);
    if (bytes == m_resources.memoryBytes)
        return;
    m_resources.memoryBytes = bytes;
    recompute();
}

void SimulatorModel::setCpus(double cpus) {
    cpus = std::clamp(std::round(cpus * 4) / 4, 0.25, 256.0); // quarter CPUs, like cgroup quotas
    if (cpus == m_resources.cpus)
        return;
    m_resources.cpus = cpus;
    recompute();
}

void SimulatorModel::setDiskGiB(double gib) {
    const qint64 bytes = qint64(std::clamp(gib, 1.0, 100'000.0) * kGiB);
    if (bytes == m_resources.diskTotalBytes)
        return;
    m_resources.diskTotalBytes = bytes;
    m_resources.diskFreeBytes = bytes;
    recompute();
}

void SimulatorModel::setDatabaseMiB(double mib) {
    mib = std::clamp(mib, 0.0, 10'000'000.0);
    if (mib == m_databaseMiB)
        return;
    m_databaseMiB = mib;
    Q_EMIT resourcesChanged();
}

void SimulatorModel::recompute() {
    m_limits = system::Capacity::compute(m_resources);
    Q_EMIT resourcesChanged();
}

QVariantMap SimulatorModel::limits() const {
    return m_limits.toJson().toVariantMap();
}

bool SimulatorModel::wouldEnterMaintenance() const {
    return m_limits.maintenanceDbBytes > 0 &&
           qint64(m_databaseMiB * double(kMiB)) > m_limits.maintenanceDbBytes;
}

int SimulatorModel::presetIndex() const {
    for (int i = 0; i < int(std::size(kPresets)); ++i) {
        const Preset &p = kPresets[i];
        if (m_resources.memoryBytes == qint64(p.memoryMiB * kMiB) && m_resources.cpus == p.cpus &&
            m_resources.diskTotalBytes == qint64(p.diskGiB * kGiB))
            return i;
    }
    return -1;
}

QVariantList SimulatorModel::presets() const {
    QVariantList list;
    for (const Preset &p : kPresets)
        list.append(QVariantMap{{QStringLiteral("name"), tr(p.name)},
                                {QStringLiteral("memoryMiB"), p.memoryMiB},
                                {QStringLiteral("cpus"), p.cpus},
                                {QStringLiteral("diskGiB"), p.diskGiB}});
    return list;
}

void SimulatorModel::applyPreset(int index) {
    if (index < 0 || index >= int(std::size(kPresets)))
        return;
    const Preset &p = kPresets[index];
    m_resources.memoryBytes = qint64(p.memoryMiB * kMiB);
    m_resources.cpus = p.cpus;
    m_resources.diskTotalBytes = qint64(p.diskGiB * kGiB);
    m_resources.diskFreeBytes = m_resources.diskTotalBytes;
    recompute();
}

} // namespace fazt::console
