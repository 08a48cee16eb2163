#include "system/limitstore.h"

#include "config/config.h"
#include "config/settings.h"

#include <QJsonDocument>

namespace fazt::system {

const QString LimitStore::LimitsKey = QLatin1String(settings::SystemLimits);
const QString LimitStore::ProbeKey = QLatin1String(settings::SystemProbe);

namespace {

QJsonObject parseObject(const QString &text) {
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8());
    return document.isObject() ? document.object() : QJsonObject();
}

QString compact(const QJsonObject &object) {
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

} // namespace

std::optional<Limits> LimitStore::load(const Config &config) {
    const QJsonObject json = parseObject(config.value(LimitsKey));
    if (json.isEmpty())
        return std::nullopt;
    return Limits::fromJson(json);
}

QJsonObject LimitStore::loadProbe(const Config &config) {
    return parseObject(config.value(ProbeKey));
}

Status LimitStore::save(Config &config, const Limits &limits, const ProbeResult &probe) {
    if (Status s = config.set(ProbeKey, compact(probe.toJson())); !s)
        return s;
    return config.set(LimitsKey, compact(limits.toJson()));
}

Result<Limits> LimitStore::calibrate(Config &config, const ProbeResult &probe) {
    Limits limits = Capacity::compute(probe.resources);
    if (const auto stored = load(config); stored && stored->maintenanceRatio > 0) {
        limits.maintenanceRatio = stored->maintenanceRatio;
        limits.maintenanceDbBytes =
            qint64(double(probe.resources.memoryBytes) * limits.maintenanceRatio);
    }
    if (Status s = save(config, limits, probe); !s)
        return s.error();
    return limits;
}

Result<Limits> LimitStore::loadOrCalibrate(Config &config, const ProbeResult &probe) {
    if (auto stored = load(config))
        return *stored;
    return calibrate(config, probe);
}

} // namespace fazt::system
