#pragma once

#include <QByteArray>
#include <QByteArrayView>

namespace fazt::metrics {

// One sample line of the Prometheus text exposition format: `name{labels} value\n` ("labels"
// without braces, may be empty). Whole numbers print as integers, others with 9 digits.
QByteArray prometheusLine(QByteArrayView name, double value, QByteArrayView labels = {});

} // namespace fazt::metrics
