// A server's settings over the admin API: `fazt config get|set`, `fazt limits
// show|set|recalibrate` and `fazt maintenance on|off`.

#include "cli/cli.h"
#include "cli/command.h"
#include "client/apiclient.h"
#include "config/settings.h"
#include "system/units.h"

#include <QJsonArray>
#include <QJsonDocument>

#include <algorithm>
#include <cmath>

namespace fazt::cli {

namespace {

const QCommandLineOption forceOption(
    QStringList{QStringLiteral("force")},
    QStringLiteral("Set limits above the safe values for the machine anyway (\"break glass\")."));

// Prints the server's warnings, which say what a change risks or when it takes effect.
void printWarnings(const QJsonObject &answer) {
    for (const QJsonValue &w : answer.value(QLatin1String("warnings")).toArray())
        err() << coloured(QStringLiteral("warning: "), Colour::Yellow) << w.toString() << Qt::endl;
}

QString configText(const QString &value) {
    const QJsonDocument json = QJsonDocument::fromJson(value.toUtf8());
    return json.isObject() ? QString::fromUtf8(json.toJson(QJsonDocument::Compact)) : value;
}

// Why `fazt config get KEY` shows nothing, and what applies instead.
QString notSetText(const QString &key) {
    const Setting *setting = Setting::find(key);
    if (!setting)
        return QStringLiteral("'%1' is not a setting. Settings: %2.")
            .arg(key.left(100), Setting::settableKeys().join(QLatin1String(", ")));
    if (setting->defaultValue)
        return QStringLiteral("'%1' is not set on this server (its default applies: %2).")
            .arg(key, QLatin1String(setting->defaultValue));
    return QStringLiteral("'%1' is not set on this server (its default applies).").arg(key);
}

// A value as the API takes it: a number for a numeric setting (and for an unknown key, which
// the server then refuses), text for the others.
QJsonValue configValue(const QString &key, const QString &text) {
    const Setting *setting = Setting::find(key);
    if (setting && setting->type != Setting::Type::Number)
        return text;
    bool isNumber = false;
    const qint64 number = text.toLongLong(&isNumber);
    return isNumber ? QJsonValue(number) : QJsonValue(text);
}

int configGet(const QCommandLineParser &p) {
    const QStringList args = p.positionalArguments();
    if (args.size() > 1)
        return usageError(QStringLiteral("Usage: fazt config get [KEY]"));
    auto api = clientFor(p);
    if (!api)
        return usageError(api.error().message);
    auto answer = callApi(**api, "GET", QStringLiteral("/api/config"));
    if (!answer)
        return fail(answer.error().message);
    const QJsonObject values = answer->value(QLatin1String("values")).toObject();
    if (!args.isEmpty()) {
        if (!values.contains(args[0]))
            return fail(notSetText(args[0]));
        if (p.isSet(jsonOption()))
            printJson({{args[0], values.value(args[0])}});
        else
            out() << values.value(args[0]).toString() << Qt::endl;
        return Ok;
    }
    if (p.isSet(jsonOption())) {
        printJson(*answer);
        return Ok;
    }
    QStringList keys = values.keys();
    std::sort(keys.begin(), keys.end());
    QList<QStringList> rows{{QStringLiteral("KEY"), QStringLiteral("VALUE")}};
    for (const QString &key : keys)
        rows.append({key, configText(values.value(key).toString())});
    printTable(rows);
    return Ok;
}

int configSet(const QCommandLineParser &p) {
    const QStringList args = p.positionalArguments();
    if (args.isEmpty() || args.size() % 2 != 0)
        return usageError(QStringLiteral("Usage: fazt config set KEY VALUE [KEY VALUE...], e.g. "
                                         "fazt config set functions.timeout_ms 2000"));
    QJsonObject changes;
    for (qsizetype i = 0; i < args.size(); i += 2)
        changes.insert(args[i], configValue(args[i], args[i + 1]));
    auto api = clientFor(p);
    if (!api)
        return usageError(api.error().message);
    auto answer = callApi(**api, "PUT", QStringLiteral("/api/config"), changes);
    if (!answer)
        return fail(answer.error().message);
    printWarnings(*answer);
    const QJsonObject values = answer->value(QLatin1String("values")).toObject();
    for (auto it = changes.begin(); it != changes.end(); ++it)
        note() << it.key() << " = " << values.value(it.key()).toString() << Qt::endl;
    return Ok;
}

// A limit as people read it: sizes for the byte counts.
QString limitText(const QString &key, const QJsonValue &value) {
    if (value.isUndefined() || value.isNull())
        return QStringLiteral("-");
    if (key.endsWith(QLatin1String("Bytes")))
        return system::humanBytes(value.toInteger());
    if (key.endsWith(QLatin1String("KiB")))
        return system::humanBytes(value.toInteger() * 1024);
    const double number = value.toDouble();
    return number == std::floor(number) ? QString::number(qint64(number))
                                        : QString::number(number, 'f', 1);
}

void printLimitTable(const QJsonObject &limits, const QJsonObject &safe) {
    QList<QStringList> rows{{QStringLiteral("LIMIT"), QStringLiteral("VALUE"),
                             safe.isEmpty() ? QString() : QStringLiteral("SAFE FOR THIS MACHINE")}};
    for (auto it = limits.begin(); it != limits.end(); ++it) {
        const bool isAbove =
            safe.contains(it.key()) && it.value().toDouble() > safe.value(it.key()).toDouble();
        rows.append({it.key(),
                     isAbove ? coloured(limitText(it.key(), it.value()), Colour::Yellow)
                             : limitText(it.key(), it.value()),
                     safe.isEmpty() ? QString() : limitText(it.key(), safe.value(it.key()))});
    }
    printTable(rows);
}

int limitsSet(const QCommandLineParser &p) {
    const QStringList args = p.positionalArguments();
    if (args.isEmpty())
        return usageError(QStringLiteral("Usage: fazt limits set NAME=VALUE... [--force], e.g. "
                                         "fazt limits set cacheBytes=256M maxConnections=2000"));
    QJsonObject changes;
    for (const QString &arg : args) {
        const qsizetype equals = arg.indexOf(u'=');
        if (equals <= 0)
            return usageError(
                QStringLiteral("'%1' is not NAME=VALUE, e.g. cacheBytes=256M.").arg(arg.left(100)));
        const QString name = arg.left(equals);
        const QString value = arg.mid(equals + 1);
        if (name.endsWith(QLatin1String("Bytes"))) {
            auto bytes = parseSize(value, name);
            if (!bytes)
                return usageError(bytes.error().message);
            changes.insert(name, double(*bytes));
            continue;
        }
        bool isNumber = false;
        const double number = value.toDouble(&isNumber);
        if (!isNumber)
            return usageError(
                QStringLiteral("%1 takes a number, not '%2'.").arg(name, value.left(50)));
        changes.insert(name, number);
    }
    auto api = clientFor(p);
    if (!api)
        return usageError(api.error().message);
    auto answer = callApi(
        **api, "PUT", QStringLiteral("/api/system/limits"),
        {{QStringLiteral("limits"), changes}, {QStringLiteral("force"), p.isSet(forceOption)}});
    if (!answer && answer.error().code == Error::Code::Conflict)
        return fail(answer.error().message +
                    QStringLiteral(" Run it again with --force to set it anyway."));
    if (!answer)
        return fail(answer.error().message);
    printWarnings(*answer);
    if (p.isSet(jsonOption()))
        printJson(*answer);
    else if (!isQuiet())
        printLimitTable(answer->value(QLatin1String("limits")).toObject(), {});
    return Ok;
}

void printRecalibrated(const QJsonObject &answer) {
    const QJsonObject resources = answer.value(QLatin1String("probe"))
                                      .toObject()
                                      .value(QLatin1String("resources"))
                                      .toObject();
    note() << "Measured again: "
           << system::humanBytes(resources.value(QLatin1String("memoryBytes")).toInteger())
           << " of memory, " << resources.value(QLatin1String("cpus")).toDouble()
           << " CPUs. The new limits apply now:" << Qt::endl;
    if (!isQuiet())
        printLimitTable(answer.value(QLatin1String("limits")).toObject(), {});
}

int maintenance(const QCommandLineParser &p, bool isOn) {
    auto api = clientFor(p);
    if (!api)
        return usageError(api.error().message);
    auto answer = callApi(**api, "POST", QStringLiteral("/api/system/maintenance"),
                          {{QStringLiteral("enabled"), isOn}});
    if (!answer)
        return fail(answer.error().message);
    note() << (answer->value(QLatin1String("maintenance")).toBool()
                   ? "Maintenance mode is on: every site answers 503; the admin still works."
                   : "Maintenance mode is off: the sites are served again.")
           << Qt::endl;
    return Ok;
}

void withJson(QCommandLineParser &p) {
    addConnectionOptions(p);
    p.addOption(jsonOption());
}

} // namespace

QList<Command> settingsCommands() {
    return {
        {QStringLiteral("config"), QStringLiteral("get"),
         QStringLiteral("Show the server's settings, or the value of one."),
         QStringLiteral("[KEY]"),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("KEY"),
                                     QStringLiteral("e.g. stats.retention_days."),
                                     QStringLiteral("[KEY]"));
             withJson(p);
         },
         configGet},
        {QStringLiteral("config"), QStringLiteral("set"),
         QStringLiteral("Change settings (stats.*, functions.*, http.trusted_proxies, ...)."),
         QStringLiteral("KEY VALUE..."),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("KEY"),
                                     QStringLiteral("One of: %1.")
                                         .arg(Setting::settableKeys().join(QLatin1String(", "))));
             p.addPositionalArgument(QStringLiteral("VALUE"), QStringLiteral("e.g. 2000."));
             addConnectionOptions(p);
         },
         configSet},
        {QStringLiteral("limits"), QStringLiteral("show"),
         QStringLiteral("Show the server's limits next to the safe values for its machine."),
         QString(), withJson,
         [](const QCommandLineParser &p) {
             return showRemote(p, "GET", QStringLiteral("/api/system/limits"),
                               [](const QJsonObject &answer) {
                                   printLimitTable(answer.value(QLatin1String("limits")).toObject(),
                                                   answer.value(QLatin1String("safe")).toObject());
                               });
         }},
        {QStringLiteral("limits"), QStringLiteral("set"),
         QStringLiteral("Override limits (above the safe values only with --force)."),
         QStringLiteral("NAME=VALUE..."),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("NAME=VALUE"),
                                     QStringLiteral("e.g. cacheBytes=256M, maxConnections=2000."));
             p.addOption(forceOption);
             withJson(p);
         },
         limitsSet},
        {QStringLiteral("limits"), QStringLiteral("recalibrate"),
         QStringLiteral("Measure the machine again and apply the limits it gives, live."),
         QString(), withJson,
         [](const QCommandLineParser &p) {
             return showRemote(p, "POST", QStringLiteral("/api/system/recalibrate"),
                               printRecalibrated);
         }},
        {QStringLiteral("maintenance"), QStringLiteral("on"),
         QStringLiteral("Answer 503 on every site (the admin keeps working)."), QString(),
         addConnectionOptions, [](const QCommandLineParser &p) { return maintenance(p, true); }},
        {QStringLiteral("maintenance"), QStringLiteral("off"),
         QStringLiteral("Serve the sites again."), QString(), addConnectionOptions,
         [](const QCommandLineParser &p) { return maintenance(p, false); }},
    };
}

} // namespace fazt::cli
