#include "admin/configapi.h"

#include "admin/adminservice.h"
#include "config/config.h"
#include "config/settings.h"
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

// The value to store for an access log setting (its format or its file), or why it cannot be.
Result<QString> checkAccessLogSetting(const Setting &setting, const QJsonValue &value,
                                      const QString &databasePath) {
    if (!value.isString())
        return Error::invalid(QStringLiteral("'%1' takes a string.").arg(setting.name()));
    const QString text = value.toString().trimmed();
    if (setting.type == Setting::Type::Choice) {
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

// The trusted proxies as stored: addresses, comma-separated; "" trusts no proxy.
Result<QString> checkAddresses(const Setting &setting, const QJsonValue &value) {
    if (!value.isString())
        return Error::invalid(QStringLiteral("'%1' is a text of IP addresses separated by "
                                             "commas, e.g. \"127.0.0.1,::1\" (\"\": none).")
                                  .arg(setting.name()));
    QStringList addresses;
    for (const QString &address : value.toString().split(u',', Qt::SkipEmptyParts)) {
        if (QHostAddress(address.trimmed()).isNull())
            return Error::invalid(QStringLiteral("'%1' in %2 is not an IP address.")
                                      .arg(address.trimmed().left(100), setting.name()));
        addresses.append(address.trimmed());
    }
    return addresses.join(u',');
}

// A number as stored, within the setting's bounds.
Result<QString> checkNumber(const Setting &setting, const QJsonValue &value) {
    const double number = value.toDouble(-1);
    if (!value.isDouble() || number != std::floor(number) || number < double(setting.minimum) ||
        number > double(setting.maximum))
        return Error::invalid(QStringLiteral("'%1' must be a whole number from %2 to %3.")
                                  .arg(setting.name())
                                  .arg(setting.minimum)
                                  .arg(setting.maximum));
    return QString::number(qint64(number));
}

// What a change is worth a word about: a risky number, or one read only at start.
QStringList warningsFor(const Setting &setting, const QString &value) {
    QStringList warnings;
    if (setting.type == Setting::Type::Number && value.toLongLong() > setting.riskyAbove)
        warnings.append(
            QStringLiteral("%1 = %2 is above %3: make sure the machine has the memory for it.")
                .arg(setting.name(), value)
                .arg(setting.riskyAbove));
    if (setting.applies == Setting::Applies::AtStart)
        warnings.append(
            QStringLiteral("%1 takes effect when the server restarts.").arg(setting.name()));
    return warnings;
}

// The setting `key` names if PUT /api/config may change it, or why not.
Result<const Setting *> settableSetting(const QString &key) {
    const Setting *setting = Setting::find(key);
    if (setting && setting->setElsewhere)
        return Error::invalid(QLatin1String(setting->setElsewhere));
    if (!setting || !setting->isSettableThroughApi())
        return Error::invalid(QStringLiteral("'%1' cannot be set here. Settable: %2.")
                                  .arg(key, Setting::settableKeys().join(QLatin1String(", "))));
    return setting;
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
    values.insert(QLatin1String(settings::CacheBytes), QString::number(cache.budget()));
    values.insert(QLatin1String(settings::CacheLargeFileBytes),
                  QString::number(cache.largeFileThreshold()));
    values.insert(QLatin1String(settings::UploadMaxBytes),
                  QString::number(service.options().maxUploadBytes));
    values.insert(QLatin1String(settings::UploadRamBytes),
                  QString::number(service.uploadRamBytes()));
    return jsonResponse(200, QJsonObject{{QStringLiteral("values"), values}});
}

Response ConfigEndpoints::setConfig(ApiRequest &request) const {
    // Every value is checked before any is stored; the access log's go first.
    QJsonArray warnings;
    QList<QPair<QString, QString>> accepted;
    QList<QPair<QString, QString>> acceptedAccessLog;
    for (auto it = request.json.begin(); it != request.json.end(); ++it) {
        auto setting = settableSetting(it.key());
        if (!setting)
            return apiError(setting.error());
        const Setting &s = **setting;
        if (s.type == Setting::Type::Choice || s.type == Setting::Type::Path) {
            auto checked = checkAccessLogSetting(s, it.value(), database.path());
            if (!checked)
                return apiError(checked.error());
            acceptedAccessLog.append({it.key(), *checked});
            continue;
        }
        auto checked = s.type == Setting::Type::Addresses ? checkAddresses(s, it.value())
                                                          : checkNumber(s, it.value());
        if (!checked)
            return apiError(checked.error());
        for (const QString &warning : warningsFor(s, *checked))
            warnings.append(warning);
        accepted.append({it.key(), *checked});
    }
    for (const auto &[key, value] : acceptedAccessLog)
        if (Status s = config.set(key, value); !s)
            return apiError(s.error());
    for (const auto &[key, value] : accepted) {
        if (Status s = config.set(key, value); !s)
            return apiError(s.error());
        if (key == QLatin1String(settings::CacheLargeFileBytes))
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
