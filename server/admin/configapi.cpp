#include "admin/configapi.h"

#include "admin/adminservice.h"
#include "config/config.h"
#include "db/database.h"
#include "http/accesslog.h"
#include "vfs/vfscache.h"

#include <QFileInfo>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>

#include <cmath>

namespace fazt::admin {

using http::Method;
using http::Response;

namespace {

// Settings that are text, not numbers: the access log's format and file.
QStringList textSettings() {
    return {QStringLiteral("log.access"), QStringLiteral("log.access_file")};
}

bool isTextSetting(const QString &key) {
    return textSettings().contains(key);
}

// The value to store for a text setting, or why it cannot be.
Result<QString> checkTextSetting(const QString &key, const QJsonValue &value,
                                 const QString &databasePath) {
    if (!value.isString())
        return Error::invalid(QStringLiteral("'%1' takes a string.").arg(key));
    const QString text = value.toString().trimmed();
    if (key == QLatin1String("log.access")) {
        auto format = http::AccessLog::parseFormat(text);
        return format ? Result<QString>(text) : Result<QString>(format.error());
    }
    // Appending log lines to the database (or its journal) would destroy it.
    if (!text.isEmpty() && QFileInfo(text).absoluteFilePath().startsWith(databasePath))
        return Error::invalid(QStringLiteral("The access log cannot be written into the database "
                                             "file %1: choose another path.")
                                  .arg(databasePath));
    if (Status s = http::AccessLog::checkDestination(text); !s)
        return s.error();
    return text;
}

// What the configuration endpoints work on: references, cheap to copy into each route.
struct ConfigEndpoints {
    AdminService &service;
    db::Database &database;
    vfs::VfsCache &cache;
    Config &config;

    Response getConfig(ApiRequest &request) const;
    Response setConfig(ApiRequest &request) const;
};

Response ConfigEndpoints::getConfig(ApiRequest &) const {
    QJsonObject values;
    const auto all = config.all();
    for (auto it = all.begin(); it != all.end(); ++it)
        values.insert(it.key(), it.value());
    values.insert(QStringLiteral("cache.bytes"), QString::number(cache.budget()));
    values.insert(QStringLiteral("cache.large_file_bytes"),
                  QString::number(cache.largeFileThreshold()));
    values.insert(QStringLiteral("upload.max_bytes"),
                  QString::number(service.options().maxUploadBytes));
    values.insert(QStringLiteral("upload.ram_bytes"), QString::number(service.uploadRamBytes()));
    return jsonResponse(200, QJsonObject{{QStringLiteral("values"), values}});
}

Response ConfigEndpoints::setConfig(ApiRequest &request) const {
    // Limits that apply live; each validated, and a warning where a value is risky.
    // Numbers, each validated, with a warning where a value is risky; most apply live, those
    // read once at start say so.
    struct Limit {
        const char *key;
        qint64 minimum;
        qint64 maximum;
        qint64 riskyAbove;
        bool isReadAtStart = false;
    };
    static const Limit limits[] = {
        {"cache.large_file_bytes", 0, qint64(1) << 30, qint64(64) << 20},
        {"stats.enabled", 0, 1, 1, true},
        {"stats.flush_interval_ms", 100, 3600 * 1000, 600 * 1000},
        {"stats.flush_threshold", 1, 1000000, 100000},
        {"stats.buffer_bytes", 65536, qint64(1) << 30, qint64(256) << 20},
        {"stats.retention_days", 1, 3650, 3650},
        {"functions.timeout_ms", 1, 30000, 30000, true},
        {"functions.queue_length", 0, 100000, 10000, true},
        {"functions.queue_wait_ms", 0, 60000, 5000, true},
        {"functions.crash_limit", 0, 1000, 1000, true},
        {"audit.retention_days", 1, 36500, 36500},
    };
    static const QString trustedProxies = QStringLiteral("http.trusted_proxies");
    QJsonArray warnings;
    QList<QPair<QString, QString>> accepted;
    QList<QPair<QString, QString>> acceptedTexts;
    for (auto it = request.json.begin(); it != request.json.end(); ++it) {
        if (it.key() == trustedProxies) {
            // Addresses, comma-separated; "" trusts no proxy. Applies to the next request.
            if (!it.value().isString())
                return apiError(400, "invalid",
                                QStringLiteral("'%1' is a text of IP addresses separated by "
                                               "commas, e.g. \"127.0.0.1,::1\" (\"\": none).")
                                    .arg(trustedProxies));
            QStringList proxies;
            for (const QString &proxy : it.value().toString().split(u',', Qt::SkipEmptyParts)) {
                if (QHostAddress(proxy.trimmed()).isNull())
                    return apiError(400, "invalid",
                                    QStringLiteral("'%1' in %2 is not an IP address.")
                                        .arg(proxy.trimmed().left(100), trustedProxies));
                proxies.append(proxy.trimmed());
            }
            accepted.append({it.key(), proxies.join(u',')});
            continue;
        }
        if (isTextSetting(it.key())) {
            auto checked = checkTextSetting(it.key(), it.value(), database.path());
            if (!checked)
                return apiError(checked.error());
            acceptedTexts.append({it.key(), *checked});
            continue;
        }
        if (it.key() == QLatin1String("cache.bytes"))
            return apiError(400, "invalid",
                            QStringLiteral("The cache budget is one of the machine's limits: set "
                                           "it with PUT /api/system/limits {\"limits\": "
                                           "{\"cacheBytes\": N}}, which knows what is safe."));
        const Limit *limit = nullptr;
        for (const Limit &l : limits)
            if (it.key() == QLatin1String(l.key))
                limit = &l;
        if (!limit) {
            QStringList settable;
            for (const Limit &l : limits)
                settable.append(QString::fromLatin1(l.key));
            settable.append(trustedProxies);
            return apiError(400, "invalid",
                            QStringLiteral("'%1' cannot be set here. Settable: %2, %3.")
                                .arg(it.key(), settable.join(QLatin1String(", ")),
                                     textSettings().join(QLatin1String(", "))));
        }
        const double number = it.value().toDouble(-1);
        if (!it.value().isDouble() || number != std::floor(number) ||
            number < double(limit->minimum) || number > double(limit->maximum))
            return apiError(400, "invalid",
                            QStringLiteral("'%1' must be a whole number from %2 to %3.")
                                .arg(it.key())
                                .arg(limit->minimum)
                                .arg(limit->maximum));
        if (qint64(number) > limit->riskyAbove)
            warnings.append(
                QStringLiteral("%1 = %2 is above %3: make sure the machine has the memory for it.")
                    .arg(it.key())
                    .arg(qint64(number))
                    .arg(limit->riskyAbove));
        if (limit->isReadAtStart)
            warnings.append(
                QStringLiteral("%1 takes effect when the server restarts.").arg(it.key()));
        accepted.append({it.key(), QString::number(qint64(number))});
    }
    for (const auto &[key, value] : acceptedTexts)
        if (Status s = config.set(key, value); !s)
            return apiError(s.error());
    for (const auto &[key, value] : accepted) {
        if (Status s = config.set(key, value); !s)
            return apiError(s.error());
        if (key == QLatin1String("cache.large_file_bytes"))
            cache.setLargeFileThreshold(value.toLongLong());
    }
    Response current = getConfig(request);
    QJsonObject body = QJsonDocument::fromJson(current.body).object();
    body.insert(QStringLiteral("warnings"), warnings);
    return jsonResponse(200, body);
}

} // namespace

void addConfigRoutes(AdminService &service, db::Database &database, vfs::VfsCache &cache,
                     Config &config) {
    const ConfigEndpoints endpoints{service, database, cache, config};
    service.addRoute({Method::Get, QStringLiteral("/api/config"), Access::Read, BodyKind::None,
                      false, [endpoints](ApiRequest &r) { return endpoints.getConfig(r); }});
    service.addRoute({Method::Put, QStringLiteral("/api/config"), Access::Admin, BodyKind::Json,
                      false, [endpoints](ApiRequest &r) { return endpoints.setConfig(r); }});
}

} // namespace fazt::admin
