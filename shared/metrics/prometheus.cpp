#include "metrics/prometheus.h"

namespace fazt::metrics {

QByteArray prometheusLine(QByteArrayView name, double value, QByteArrayView labels) {
    QByteArray line = name.toByteArray();
    if (!labels.isEmpty()) {
        line += '{';
        line.append(labels);
        line += '}';
    }
    line += ' ';
    line += (value == double(qint64(value))) ? QByteArray::number(qint64(value))
                                             : QByteArray::number(value, 'g', 9);
    line += '\n';
    return line;
}

} // namespace fazt::metrics
