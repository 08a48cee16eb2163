#pragma once

#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

namespace fazt::console {

// Numbers as the console shows them, in one place: sizes like the CLI prints them.
class Format : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_SINGLETON

public:
    using QObject::QObject;

    // 1536 -> "1.5 KB" (the CLI's humanBytes).
    Q_INVOKABLE static QString bytes(double bytes);
    // 93784 -> "1 d 2 h", 3725 -> "1 h 2 min", 42 -> "42 s".
    Q_INVOKABLE static QString duration(double seconds);
    // 12345 -> "12,345" in the user's locale.
    Q_INVOKABLE static QString count(double value);
};

} // namespace fazt::console
