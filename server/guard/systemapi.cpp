#include "guard/systemapi.h"

#include "admin/adminservice.h"
#include "guard/guard.h"
#include "system/limitstore.h"

#include <QCoreApplication>
#include <QJsonArray>

#include <cmath>

namespace fazt::guard {

using admin::Access;
using admin::apiError;
using admin::ApiRequest;
using admin::BodyKind;
using admin::jsonResponse;
using http::Method;
using http::Response;

namespace {

// A limit an admin may set, its range, and where it lives in Limits.
struct Settable {
    const char *key;
    double minimum;
    double maximum;
    bool isWhole;
};
constexpr Settable Settables[] = {
    {"cacheBytes", 0, double(qint64(1) << 40), true},
    {"uploadRamBytes", 0, double(qint64(1) << 40), true},
    {"largestUploadBytes", 0, double(qint64(1) << 44), true},
    {"maxConnections", 1, 1'000'000, true},
    {"workerThreads", 1, 256, true},
    {"maxConcurrentJs", 0, 4096, true},
    {"jsWorkerMemoryBytes", double(16 << 20), double(qint64(1) << 40), true},
    {"sqliteCacheKiB", 64, 16 * 1024 * 1024, true},
    {"maintenanceRatio", 1, 1'000'000, false},
};

QString settableList() {
    QStringList keys;
    for (const Settable &s : Settables)
        keys.append(QString::fromLatin1(s.key));
    return keys.join(QStringLiteral(", "));
}

Response health(Guard &guard) {
    const bool ready = !guard.breakers().isAnyTripped();
    return jsonResponse(
        ready ? 200 : 503,
        QJsonObject{{QStringLiteral("ready"), ready},
                    {QStringLiteral("version"), QCoreApplication::applicationVersion()},
                    {QStringLiteral("maintenance"), guard.isInMaintenance()},
                    {QStringLiteral("uptimeSeconds"), guard.metrics().uptimeSeconds()},
                    {QStringLiteral("breakers"), guard.breakers().statesJson()}});
}

Response getLimits(Guard &guard) {
    const system::ProbeResult probe = guard.probeNow();
    return jsonResponse(200, QJsonObject{{QStringLiteral("limits"), guard.limits().toJson()},
                                         {QStringLiteral("safe"),
                                          system::Capacity::compute(probe.resources).toJson()},
                                         {QStringLiteral("probe"), probe.toJson()}});
}

Response putLimits(Guard &guard, ApiRequest &request) {
    const QJsonValue changes = request.json.value(QStringLiteral("limits"));
    const QJsonValue force = request.json.value(QStringLiteral("force"));
    if (!changes.isObject() || changes.toObject().isEmpty())
        return apiError(400, "invalid",
                        QStringLiteral("Send {\"limits\": {NAME: VALUE, ...}, \"force\": false}; "
                                       "settable: %1.")
                            .arg(settableList()));
    if (!force.isUndefined() && !force.isBool())
        return apiError(400, "invalid", QStringLiteral("'force' must be true or false."));
    for (auto it = request.json.begin(); it != request.json.end(); ++it) {
        if (it.key() != QLatin1String("limits") && it.key() != QLatin1String("force"))
            return apiError(400, "invalid",
                            QStringLiteral("Unknown field '%1': send 'limits' and 'force'.")
                                .arg(it.key().left(100)));
    }

    const system::ProbeResult probe = guard.probeNow();
    const system::Limits safe = system::Capacity::compute(probe.resources);
    const QJsonObject safeJson = safe.toJson();
    QJsonObject merged = guard.limits().toJson();
    QStringList aboveSafe;
    const QJsonObject given = changes.toObject();
    for (auto it = given.begin(); it != given.end(); ++it) {
        const Settable *settable = nullptr;
        for (const Settable &s : Settables)
            if (it.key() == QLatin1String(s.key))
                settable = &s;
        if (!settable)
            return apiError(400, "invalid",
                            QStringLiteral("'%1' cannot be set; settable: %2.")
                                .arg(it.key().left(100), settableList()));
        const double value = it.value().toDouble(std::nan(""));
        if (!it.value().isDouble() || !std::isfinite(value) || value < settable->minimum ||
            value > settable->maximum || (settable->isWhole && value != std::floor(value)))
            return apiError(400, "invalid",
                            QStringLiteral("'%1' must be a %2 from %3 to %4.")
                                .arg(it.key(), settable->isWhole ? QStringLiteral("whole number")
                                                                 : QStringLiteral("number"))
                                .arg(qint64(settable->minimum))
                                .arg(qint64(settable->maximum)));
        if (value > safeJson.value(it.key()).toDouble())
            aboveSafe.append(
                QStringLiteral("%1 = %2 is above the safe %3")
                    .arg(it.key())
                    .arg(value, 0, 'f', settable->isWhole ? 0 : 1)
                    .arg(safeJson.value(it.key()).toDouble(), 0, 'f', settable->isWhole ? 0 : 1));
        merged.insert(it.key(), value);
    }
    system::Limits limits = system::Limits::fromJson(merged);
    limits.maintenanceDbBytes =
        qint64(double(probe.resources.memoryBytes) * limits.maintenanceRatio);

    QJsonArray warnings;
    if (!aboveSafe.isEmpty()) {
        const qint64 worst = system::Capacity::worstCaseBytes(limits);
        const qint64 memory = probe.resources.memoryBytes;
        const QString risk =
            QStringLiteral("%1 for this machine. With these limits Fazt's caches, buffers and "
                           "connections may need up to %2 of its %3 memory (%4 %)%5.")
                .arg(aboveSafe.join(QStringLiteral("; ")), mebibytes(worst), mebibytes(memory))
                .arg(memory > 0 ? qRound(100.0 * double(worst) / double(memory)) : 0)
                .arg(worst > limits.usableMemoryBytes
                         ? QStringLiteral(": more than the budget, so the memory breaker will "
                                          "refuse work sooner, and past the limit the kernel "
                                          "kills the process")
                         : QString());
        if (!force.toBool())
            return apiError(409, "above_safe",
                            risk + QStringLiteral(" Pass \"force\": true to set it anyway."));
        warnings.append(risk);
    }
    if (given.contains(QStringLiteral("workerThreads")))
        warnings.append(QStringLiteral("workerThreads takes effect when the server restarts."));
    if (Status s = system::LimitStore::save(guard.config(), limits, probe); !s)
        return apiError(s.error());
    guard.apply(limits);
    return jsonResponse(200, QJsonObject{{QStringLiteral("limits"), limits.toJson()},
                                         {QStringLiteral("warnings"), warnings}});
}

Response recalibrate(Guard &guard) {
    system::ProbeResult probe;
    auto limits = guard.recalibrate(probe);
    if (!limits)
        return apiError(limits.error());
    return jsonResponse(200, QJsonObject{{QStringLiteral("limits"), limits->toJson()},
                                         {QStringLiteral("probe"), probe.toJson()}});
}

Response maintenance(Guard &guard, ApiRequest &request) {
    const QJsonValue enabled = request.json.value(QStringLiteral("enabled"));
    if (!enabled.isBool())
        return apiError(400, "invalid",
                        QStringLiteral("Send {\"enabled\": true} or {\"enabled\": false}."));
    QString who = request.caller.isSession
                      ? request.caller.username
                      : QStringLiteral("token '%1'").arg(request.caller.tokenName);
    guard.setMaintenance(enabled.toBool(),
                         QStringLiteral("Maintenance mode was turned on by %1: only the admin is "
                                        "served.")
                             .arg(who));
    return jsonResponse(200, QJsonObject{{QStringLiteral("maintenance"), guard.isInMaintenance()}});
}

} // namespace

void SystemApi::addRoutes(admin::AdminService &admin, Guard &guard) {
    Guard *g = &guard;
    admin.addRoute({Method::Get, QStringLiteral("/api/system/health"), Access::Read, BodyKind::None,
                    false, [g](ApiRequest &) { return health(*g); }});
    admin.addRoute({Method::Get, QStringLiteral("/api/system/metrics"), Access::Read,
                    BodyKind::None, false,
                    [g](ApiRequest &) { return jsonResponse(200, g->metrics().json()); }});
    admin.addRoute({Method::Get, QStringLiteral("/api/system/limits"), Access::Read, BodyKind::None,
                    false, [g](ApiRequest &) { return getLimits(*g); }});
    admin.addRoute({Method::Put, QStringLiteral("/api/system/limits"), Access::Admin,
                    BodyKind::Json, false, [g](ApiRequest &r) { return putLimits(*g, r); }});
    admin.addRoute({Method::Post, QStringLiteral("/api/system/recalibrate"), Access::Admin,
                    BodyKind::None, false, [g](ApiRequest &) { return recalibrate(*g); }});
    admin.addRoute({Method::Post, QStringLiteral("/api/system/maintenance"), Access::Admin,
                    BodyKind::Json, false, [g](ApiRequest &r) { return maintenance(*g, r); }});
}

} // namespace fazt::guard
