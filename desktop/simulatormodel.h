#pragma once

#include "system/capacity.h"

#include <QObject>
#include <QVariantList>
#include <QVariantMap>
#include <QtQml/qqmlregistration.h>

namespace fazt::console {

// "What could this machine carry?": sliders for RAM, CPUs and disk (and presets for common
// VPS sizes), with the limits Capacity::compute gives for them, live. The same function as
// `fazt simulate` and the server itself, so the numbers agree. Works offline.
class SimulatorModel : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(double memoryMiB READ memoryMiB WRITE setMemoryMiB NOTIFY resourcesChanged)
    Q_PROPERTY(double cpus READ cpus WRITE setCpus NOTIFY resourcesChanged)
    Q_PROPERTY(double diskGiB READ diskGiB WRITE setDiskGiB NOTIFY resourcesChanged)
    Q_PROPERTY(double databaseMiB READ databaseMiB WRITE setDatabaseMiB NOTIFY resourcesChanged)
    Q_PROPERTY(QVariantMap limits READ limits NOTIFY resourcesChanged)
    Q_PROPERTY(bool wouldEnterMaintenance READ wouldEnterMaintenance NOTIFY resourcesChanged)
    Q_PROPERTY(int presetIndex READ presetIndex NOTIFY resourcesChanged)
    Q_PROPERTY(QVariantList presets READ presets CONSTANT)

public:
    explicit SimulatorModel(QObject *parent = nullptr);

    double memoryMiB() const { return double(m_resources.memoryBytes) / (1 << 20); }
    void setMemoryMiB(double mib);
    double cpus() const { return m_resources.cpus; }
    void setCpus(double cpus);
    // The disk is taken as empty: free = total.
    double diskGiB() const { return double(m_resources.diskTotalBytes) / (1 << 30); }
    void setDiskGiB(double gib);
    // The size of fazt.db, for when maintenance mode would start.
    double databaseMiB() const { return m_databaseMiB; }
    void setDatabaseMiB(double mib);

    system::Resources resources() const { return m_resources; }
    system::Limits computed() const { return m_limits; }
    // The limits as JSON (Limits::toJson), for QML.
    QVariantMap limits() const;
    bool wouldEnterMaintenance() const;
    // The preset matching the sliders, or -1.
    int presetIndex() const;
    // [{name, memoryMiB, cpus, diskGiB}]
    QVariantList presets() const;
    Q_INVOKABLE void applyPreset(int index);

Q_SIGNALS:
    void resourcesChanged();

private:
    void recompute();

    system::Resources m_resources;
    system::Limits m_limits;
    double m_databaseMiB = 100;
};

} // namespace fazt::console
