#include "guard/breakers.h"

#include "metrics/prometheus.h"

#include <QJsonObject>

namespace fazt::guard {

using fazt::metrics::prometheusLine;

namespace {

// A refused connection keeps the breaker reported as tripped for this long.
constexpr qint64 ConnectionTripHoldMs = 5000;

} // namespace

QString mebibytes(qint64 bytes) {
    return QString::number(double(bytes) / double(1 << 20), 'f', 1) + QStringLiteral(" MiB");
}

QString Breakers::name(Kind kind) {
    switch (kind) {
    case Kind::Connections:
        return QStringLiteral("connections");
    case Kind::Memory:
        return QStringLiteral("memory");
    case Kind::Disk:
        return QStringLiteral("disk");
    case Kind::Maintenance:
        return QStringLiteral("maintenance");
    }
    return {};
}

Breakers::Breakers(RssReader rss)
    : m_rss(std::move(rss)) {
    for (int i = 0; i < KindCount; ++i)
        m_states[size_t(i)].kind = Kind(i);
}

void Breakers::setState(Kind kind, bool isTripped, const QString &reason) {
    QMutexLocker lock(&m_mutex);
    State &state = m_states[size_t(kind)];
    state.isTripped = isTripped;
    state.reason = isTripped ? reason : QString();
}

void Breakers::setMemoryLimit(qint64 bytes) {
    m_memoryLimit = bytes;
}

void Breakers::sampleMemory() {
    const qint64 limit = memoryLimit();
    if (limit <= 0)
        return;
    const qint64 rss = m_rss();
    const bool wasTripped = isMemoryTripped();
    const double fraction = double(rss) / double(limit);
    const bool isTripped =
        wasTripped ? fraction >= MemoryResetFraction : fraction >= MemoryTripFraction;
    if (isTripped) {
        setState(Kind::Memory, true,
                 QStringLiteral("The process uses %1 of its %2 memory limit (%3 %); large uploads "
                                "and cache fills are refused until it is below %4 %.")
                     .arg(mebibytes(rss), mebibytes(limit))
                     .arg(qRound(fraction * 100))
                     .arg(qRound(MemoryResetFraction * 100)));
    } else if (wasTripped) {
        setState(Kind::Memory, false, {});
    }
    if (isTripped == wasTripped)
        return;
    m_isMemoryTripped = isTripped;
    if (m_memoryChanged)
        m_memoryChanged(isTripped);
}

void Breakers::sampleDisk() {
    if (!m_diskReader)
        return;
    const system::DiskUsage usage = m_diskReader();
    const bool isFull = usage.totalBytes > 0 && usage.usedFraction() >= DiskFullFraction;
    {
        QMutexLocker lock(&m_mutex);
        m_disk = usage;
    }
    setState(Kind::Disk, isFull,
             QStringLiteral("The disk holding the database is %1 % full (%2 free); uploads are "
                            "refused from %3 %. Free space or grow the disk.")
                 .arg(qRound(usage.usedFraction() * 100))
                 .arg(mebibytes(usage.freeBytes))
                 .arg(qRound(DiskFullFraction * 100)));
}

bool Breakers::admitDiskWrite() {
    sampleDisk();
    QMutexLocker lock(&m_mutex);
    if (!m_states[size_t(Kind::Disk)].isTripped)
        return true;
    lock.unlock();
    countTrip(Kind::Disk);
    return false;
}

system::DiskUsage Breakers::lastDiskUsage() const {
    QMutexLocker lock(&m_mutex);
    return m_disk;
}

void Breakers::sampleConnections(int open, int cap, quint64 refusedTotal, qint64 nowMs) {
    quint64 newlyRefused = 0;
    bool isRecent = false;
    {
        QMutexLocker lock(&m_mutex);
        newlyRefused = refusedTotal - std::min(refusedTotal, m_refusedSeen);
        m_refusedSeen = refusedTotal;
        if (newlyRefused > 0)
            m_lastRefusalMs = nowMs;
        isRecent = m_lastRefusalMs >= 0 && nowMs - m_lastRefusalMs < ConnectionTripHoldMs;
    }
    if (newlyRefused > 0)
        m_trips[size_t(Kind::Connections)].fetch_add(newlyRefused, std::memory_order_relaxed);
    setState(Kind::Connections, open >= cap || isRecent,
             QStringLiteral("%1 connections are open and the cap is %2; new connections get 503 "
                            "with Retry-After (%3 refused so far).")
                 .arg(open)
                 .arg(cap)
                 .arg(refusedTotal));
}

void Breakers::setMaintenance(bool isOn, const QString &reason) {
    m_isInMaintenance = isOn;
    setState(Kind::Maintenance, isOn, reason);
}

QList<Breakers::State> Breakers::states() const {
    QMutexLocker lock(&m_mutex);
    return QList<State>(m_states.begin(), m_states.end());
}

bool Breakers::isAnyTripped() const {
    QMutexLocker lock(&m_mutex);
    return std::any_of(m_states.begin(), m_states.end(),
                       [](const State &s) { return s.isTripped; });
}

QJsonArray Breakers::statesJson() const {
    QJsonArray array;
    for (const State &state : states())
        array.append(QJsonObject{{QStringLiteral("kind"), name(state.kind)},
                                 {QStringLiteral("tripped"), state.isTripped},
                                 {QStringLiteral("reason"), state.reason}});
    return array;
}

QJsonObject Breakers::tripsJson() const {
    QJsonObject trips;
    for (int i = 0; i < KindCount; ++i)
        trips.insert(name(Kind(i)), qint64(this->trips(Kind(i))));
    return trips;
}

QByteArray Breakers::prometheus() const {
    QByteArray text =
        "# HELP fazt_breaker_trips_total Requests or connections refused by a breaker.\n"
        "# TYPE fazt_breaker_trips_total counter\n";
    for (int i = 0; i < KindCount; ++i)
        text += prometheusLine("fazt_breaker_trips_total", double(trips(Kind(i))),
                               QByteArray("kind=\"" + name(Kind(i)).toLatin1() + '"'));
    text += "# HELP fazt_breaker_tripped 1 while a breaker is tripped.\n"
            "# TYPE fazt_breaker_tripped gauge\n";
    for (const State &state : states())
        text += prometheusLine("fazt_breaker_tripped", state.isTripped ? 1 : 0,
                               QByteArray("kind=\"" + name(state.kind).toLatin1() + '"'));
    return text;
}

} // namespace fazt::guard
