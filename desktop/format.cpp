#include "format.h"

#include "system/units.h"

#include <QLocale>
#include <QRegularExpression>

namespace fazt::console {

QString Format::bytes(double bytes) {
    return system::humanBytes(qint64(bytes), QLocale());
}

QString Format::duration(double seconds) {
    const qint64 s = qint64(seconds);
    if (s >= 86400)
        return tr("%1 d %2 h").arg(s / 86400).arg(s % 86400 / 3600);
    if (s >= 3600)
        return tr("%1 h %2 min").arg(s / 3600).arg(s % 3600 / 60);
    if (s >= 60)
        return tr("%1 min %2 s").arg(s / 60).arg(s % 60);
    return tr("%1 s").arg(s);
}

QString Format::count(double value) {
    return QLocale().toString(qint64(value));
}

QString Format::problem(const QString &message) {
    static const QRegularExpression request(QStringLiteral("(https?://[^/\\s]+)/api/[^\\s:]*"));
    return QString(message).replace(request, QStringLiteral("\\1"));
}

} // namespace fazt::console
