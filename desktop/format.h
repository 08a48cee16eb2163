#pragma once

#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

namespace fazt::console {

// Numbers as the console shows them, in one place.
//
// Sizes are binary and say so (KiB, MiB, GiB: IEC 80000-13): what the console shows is counted
// in powers of two (the cache and upload budgets, SQLite's cache in KiB, the simulator's RAM),
// which read as round numbers this way, and one unit system on every page means "MB" never
// stands next to "MiB" for a number 5 % away.
class Format : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON

public:
    using QObject::QObject;

    // 1536 -> "1.5 KiB", 268435456 -> "256 MiB".
    Q_INVOKABLE static QString bytes(double bytes);
    // 93784 -> "1 d 2 h", 3725 -> "1 h 2 min", 42 -> "42 s".
    Q_INVOKABLE static QString duration(double seconds);
    // 12345 -> "12,345" in the user's locale.
    Q_INVOKABLE static QString count(double value);
    // An API client's message as the console shows it: the server's address instead of the
    // URL of the request that failed ("Cannot reach http://host:8080: connection refused"),
    // since the user knows servers, not endpoints.
    static QString problem(const QString &message);
};

} // namespace fazt::console
