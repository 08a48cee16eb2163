#pragma once

// Small helpers shared by the tests: temporary databases and memory measurement.

#include <QFile>
#include <QString>
#include <QTemporaryDir>

#include <sys/resource.h>

namespace fazt::test {

// Peak resident set size of this process so far, in bytes (VmHWM).
inline qint64 peakRssBytes() {
    QFile status(QStringLiteral("/proc/self/status"));
    if (status.open(QIODevice::ReadOnly)) {
        for (const QByteArray &line : status.readAll().split('\n')) {
            if (line.startsWith("VmHWM:"))
                return line.mid(6).trimmed().split(' ').first().toLongLong() * 1024;
        }
    }
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    return qint64(usage.ru_maxrss) * 1024;
}

// Resets the peak so a test can measure one phase (Linux ≥ 4.0: write 5 to clear_refs).
inline void resetPeakRss() {
    QFile refs(QStringLiteral("/proc/self/clear_refs"));
    if (refs.open(QIODevice::WriteOnly))
        refs.write("5");
}

} // namespace fazt::test
