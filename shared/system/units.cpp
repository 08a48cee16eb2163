#include "system/units.h"

namespace fazt::system {

QString humanBytes(qint64 bytes, const QLocale &locale) {
    return locale.formattedDataSize(bytes, 1, QLocale::DataSizeIecFormat);
}

} // namespace fazt::system
