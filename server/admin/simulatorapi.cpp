#include "admin/simulatorapi.h"

#include "admin/adminservice.h"
#include "system/capacity.h"

#include <cmath>

namespace fazt::admin {

using http::Method;
using http::Response;

namespace {

struct Bound {
    const char *name;
    double minimum;
    double maximum;
    double fallback; // when absent; NaN: required
    const char *example;
};
constexpr Bound MemoryBound{"memoryBytes", 32.0 * (1 << 20), 4.0 * (qint64(1) << 40), NAN,
                            "536870912 (512 MiB)"};
constexpr Bound CpusBound{"cpus", 0.05, 1024, NAN, "1 or 0.5"};
constexpr Bound DiskBound{"diskBytes", 0, 1024.0 * (qint64(1) << 40), 20.0 * (qint64(1) << 30),
                          "21474836480 (20 GiB)"};

Result<double> numberOf(const ApiRequest &request, const Bound &bound) {
    const QString text = request.query.queryItemValue(QString::fromLatin1(bound.name));
    if (text.isEmpty() && !std::isnan(bound.fallback))
        return bound.fallback;
    bool ok = false;
    const double value = text.left(40).toDouble(&ok);
    if (!ok || !std::isfinite(value) || value < bound.minimum || value > bound.maximum)
        return Error::invalid(QStringLiteral("'%1' must be a number from %2 to %3, e.g. %4.")
                                  .arg(QString::fromLatin1(bound.name))
                                  .arg(bound.minimum, 0, 'g', 12)
                                  .arg(bound.maximum, 0, 'g', 12)
                                  .arg(QString::fromLatin1(bound.example)));
    return value;
}

Response simulate(ApiRequest &request) {
    auto memory = numberOf(request, MemoryBound);
    auto cpus = numberOf(request, CpusBound);
    auto disk = numberOf(request, DiskBound);
    for (const Result<double> *r : {&memory, &cpus, &disk})
        if (!*r)
            return apiError(r->error());
    system::Resources resources;
    resources.memoryBytes = qint64(*memory);
    resources.cpus = *cpus;
    resources.diskTotalBytes = qint64(*disk);
    resources.diskFreeBytes = qint64(*disk);
    const system::Limits limits = system::Capacity::compute(resources);
    Response response = jsonResponse(
        200,
        QJsonObject{{QStringLiteral("resources"),
                     QJsonObject{{QStringLiteral("memoryBytes"), resources.memoryBytes},
                                 {QStringLiteral("cpus"), resources.cpus},
                                 {QStringLiteral("diskBytes"), resources.diskTotalBytes}}},
                    {QStringLiteral("limits"), limits.toJson()},
                    {QStringLiteral("worstCaseBytes"), system::Capacity::worstCaseBytes(limits)}});
    response.addHeader("Access-Control-Allow-Origin", "*");
    return response;
}

} // namespace

void addSimulatorRoutes(AdminService &service) {
    service.addRoute({Method::Get, QStringLiteral("/api/simulate"), Access::Public, BodyKind::None,
                      false, simulate});
}

} // namespace fazt::admin
