#pragma once

#include <QLocale>
#include <QString>

namespace fazt::system {

// A size as people read it, in binary units that say so (1536 -> "1.5 KiB", 268435456 ->
// "256 MiB"). The command line writes it in the C locale (what scripts parse); the console in
// the user's.
QString humanBytes(qint64 bytes, const QLocale &locale = QLocale::c());

} // namespace fazt::system
