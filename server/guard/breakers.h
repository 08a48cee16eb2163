#pragma once

#include "system/probe.h"

#include <QJsonArray>
#include <QMutex>
#include <QString>

#include <array>
#include <atomic>
#include <functional>

namespace fazt::guard {

// "12.5 MiB": sizes in the guard's messages.
QString mebibytes(qint64 bytes);

// The four ways Fazt says "not now" instead of falling over, each with a state (tripped or not,
// and why) and a count of trips: the requests or connections it refused. Thread-safe: workers ask
// isMemoryTripped() on the request path (one atomic load); the main thread samples memory, disk and
// connections a few times a second.
class Breakers {
public:
    enum class Kind { Connections, Memory, Disk, Maintenance };
    static constexpr int KindCount = 4;
    static QString name(Kind kind);

    struct State {
        Kind kind;
        bool isTripped = false;
        QString reason;
    };

    // Memory trips when RSS reaches TripFraction of the limit and resets below ResetFraction:
    // the gap keeps it from flapping while caches shrink.
    static constexpr double MemoryTripFraction = 0.85;
    static constexpr double MemoryResetFraction = 0.70;
    // Writes of user data are refused from this share of the disk used.
    static constexpr double DiskFullFraction = 0.90;

    using RssReader = std::function<qint64()>;
    using DiskReader = std::function<system::DiskUsage()>;
    explicit Breakers(RssReader rss = &system::Probe::currentRssBytes);

    // --- memory
    void setMemoryLimit(qint64 bytes);
    qint64 memoryLimit() const { return m_memoryLimit.load(std::memory_order_relaxed); }
    bool isMemoryTripped() const { return m_isMemoryTripped.load(std::memory_order_relaxed); }
    // Reads RSS and updates the state; `changed` is called (on this thread) when it flips.
    void sampleMemory();
    void onMemoryChange(std::function<void(bool isTripped)> changed) {
        m_memoryChanged = std::move(changed);
    }

    // --- disk: the filesystem holding the database
    void setDiskReader(DiskReader reader) { m_diskReader = std::move(reader); }
    // statfs now; true if a write of user data may go ahead. A refusal counts as a trip.
    bool admitDiskWrite();
    void sampleDisk();
    system::DiskUsage lastDiskUsage() const;

    // --- connections (numbers from the HTTP server, sampled)
    void sampleConnections(int open, int cap, quint64 refusedTotal, qint64 nowMs);

    // --- maintenance
    void setMaintenance(bool isOn, const QString &reason);
    bool isInMaintenance() const { return m_isInMaintenance.load(std::memory_order_relaxed); }

    // Counts a refusal of `kind` (a 503 or 507 sent because of it).
    void countTrip(Kind kind) { m_trips[size_t(kind)].fetch_add(1, std::memory_order_relaxed); }
    quint64 trips(Kind kind) const { return m_trips[size_t(kind)].load(std::memory_order_relaxed); }

    QList<State> states() const;
    bool isAnyTripped() const;
    // [{"kind","tripped","reason"}] and {"connections": N, ...} for the API.
    QJsonArray statesJson() const;
    QJsonObject tripsJson() const;
    QByteArray prometheus() const;

private:
    void setState(Kind kind, bool isTripped, const QString &reason);

    RssReader m_rss;
    DiskReader m_diskReader;
    std::function<void(bool)> m_memoryChanged;
    std::atomic<qint64> m_memoryLimit{0};
    std::atomic<bool> m_isMemoryTripped{false};
    std::atomic<bool> m_isInMaintenance{false};
    std::array<std::atomic<quint64>, KindCount> m_trips{};
    mutable QMutex m_mutex; // guards what follows
    std::array<State, KindCount> m_states;
    system::DiskUsage m_disk;
    quint64 m_refusedSeen = 0;
    qint64 m_lastRefusalMs = -1;
};

} // namespace fazt::guard
