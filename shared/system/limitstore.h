#pragma once

#include "result.h"
#include "system/capacity.h"
#include "system/probe.h"

#include <optional>

namespace fazt {
class Config;
}

namespace fazt::system {

// The limits Fazt runs with, kept in `config`: "system.limits" (the Limits as JSON) next to
// "system.probe" (what the Probe saw when they were computed). `fazt server init` stores them,
// `fazt server start` reads them, recalibration and PUT /api/system/limits replace them.
class LimitStore {
public:
    static const QString LimitsKey;
    static const QString ProbeKey;

    // The stored limits, or nothing if none were stored (or the value is unreadable).
    static std::optional<Limits> load(const Config &config);
    // The probe stored with them (an empty object if none).
    static QJsonObject loadProbe(const Config &config);
    static Status save(Config &config, const Limits &limits, const ProbeResult &probe);

    // Computes limits for `probe` and stores them. The maintenance threshold is a choice, not a
    // measurement: a stored one is kept.
    static Result<Limits> calibrate(Config &config, const ProbeResult &probe);
    // The stored limits, calibrating first if there are none (a database from before limits).
    static Result<Limits> loadOrCalibrate(Config &config, const ProbeResult &probe);
};

} // namespace fazt::system
