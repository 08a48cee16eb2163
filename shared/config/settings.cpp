#include "config/settings.h"

#include <algorithm>

namespace fazt {

namespace {

using Type = Setting::Type;
using Owner = Setting::Owner;
using Applies = Setting::Applies;

constexpr qint64 MiB = qint64(1) << 20;
constexpr qint64 GiB = qint64(1) << 30;

// A setting `PUT /api/config` takes: a whole number in [minimum, maximum].
Setting number(const char *key, const char *defaultValue, qint64 minimum, qint64 maximum,
               qint64 riskyAbove, Applies applies, const char *section, const char *summary) {
    Setting s{key, Type::Number, defaultValue};
    s.minimum = minimum;
    s.maximum = maximum;
    s.riskyAbove = riskyAbove;
    s.applies = applies;
    s.readmeSection = section;
    s.summary = summary;
    return s;
}

// Any other setting.
Setting other(const char *key, Type type, const char *defaultValue, Owner owner, Applies applies,
              const char *section, const char *summary) {
    Setting s{key, type, defaultValue};
    s.owner = owner;
    s.applies = applies;
    s.readmeSection = section;
    s.summary = summary;
    return s;
}

// A FAZT_* variable that is not stored in the config table.
Setting variable(const char *name, Type type, const char *section, const char *summary) {
    Setting s{nullptr, type, nullptr};
    s.owner = Owner::Environment;
    s.applies = Applies::AtStart;
    s.environment = name;
    s.readmeSection = section;
    s.summary = summary;
    return s;
}

QList<Setting> makeAll() {
    using namespace settings;
    const char *analytics = "Analytics";
    const char *functions = "Functions";
    const char *stayingUp = "Staying up";
    const char *vps = "Run it on a VPS";
    const char *list = "Settings";
    QList<Setting> all{
        number(CacheLargeFileBytes, "2097152", 0, GiB, 64 * MiB, Applies::Live, list,
               "files larger than this are streamed, not kept in the file cache"),
        number(StatsEnabled, "1", 0, 1, 1, Applies::AtStart, analytics,
               "0 turns the accounting of requests and events off"),
        number(StatsFlushIntervalMs, "30000", 100, 3600 * 1000, 600 * 1000, Applies::Live,
               analytics, "how often buffered analytics are written"),
        number(StatsFlushThreshold, "1000", 1, 1000000, 100000, Applies::Live, analytics,
               "records that make a write happen sooner"),
        number(StatsBufferBytes, "8388608", 65536, GiB, 256 * MiB, Applies::Live, analytics,
               "memory for buffered analytics; past it the oldest raw events are dropped"),
        number(StatsRetentionDays, "30", 1, 3650, 3650, Applies::Live, analytics,
               "days raw events are kept (the hourly rollups stay)"),
        number(FunctionsTimeoutMs, "5000", 1, 30000, 30000, Applies::AtStart, functions,
               "how long an invocation may run"),
        number(FunctionsQueueLength, nullptr, 0, 100000, 10000, Applies::AtStart, functions,
               "requests that may wait for a function slot (default: 8 per slot)"),
        number(FunctionsQueueWaitMs, "250", 0, 60000, 5000, Applies::AtStart, functions,
               "how long a request may wait for a function slot"),
        number(FunctionsCrashLimit, "5", 0, 1000, 1000, Applies::AtStart, functions,
               "worker crashes a site may cause in a minute before it is backed off"),
        number(AuditRetentionDays, "90", 1, 36500, 36500, Applies::Live, vps,
               "days audit log rows are kept"),
        other(HttpTrustedProxies, Type::Addresses, "", Owner::ConfigApi, Applies::Live, stayingUp,
              "reverse proxies whose X-Forwarded-For is believed"),
        other(LogAccess, Type::Choice, "off", Owner::ConfigApi, Applies::Live, vps,
              "the access log's format"),
        other(LogAccessFile, Type::Path, "", Owner::ConfigApi, Applies::Live, vps,
              "the access log's file (\"\": standard error)"),
        other(CacheBytes, Type::Number, nullptr, Owner::Limits, Applies::Live, list,
              "the file cache's budget, from the machine's limits"),
        other(UploadMaxBytes, Type::Number, "1140850688", Owner::Fazt, Applies::AtStart, list,
              "the largest upload a deploy may send"),
        other(UploadRamBytes, Type::Number, nullptr, Owner::Limits, Applies::Live, list,
              "memory for an upload before it goes to a temporary file, from the limits"),
        other(Domain, Type::Text, "localhost", Owner::ServerOptions, Applies::AtStart, vps,
              "the base domain (`fazt server init --domain`)"),
        other(AcmeDirectory, Type::Text, "https://acme-v02.api.letsencrypt.org/directory",
              Owner::ServerOptions, Applies::AtStart, list,
              "the ACME CA (`--acme-directory` wins over it)"),
        other(AcmeEmail, Type::Text, "", Owner::ServerOptions, Applies::AtStart, list,
              "the ACME account's contact (`--acme-email` wins over it)"),
        other(AcmeCaBundle, Type::Path, "", Owner::ServerOptions, Applies::AtStart, list,
              "CA certificates to trust for the ACME directory (`--acme-ca-bundle`)"),
        other(TlsHstsMaxAge, Type::Number, "31536000", Owner::ServerOptions, Applies::AtStart, list,
              "Strict-Transport-Security max-age, 0 for none (`--hsts-max-age`)"),
        other(TlsOnDemandPerHour, Type::Number, "60", Owner::ServerOptions, Applies::AtStart, list,
              "certificate orders handshakes may start in an hour"),
        other(AdminStamp, Type::Text, nullptr, Owner::Fazt, Applies::AtStart, list,
              "which dashboard build is deployed"),
        other(SystemLimits, Type::Json, nullptr, Owner::Fazt, Applies::Live, list,
              "the limits in force (`fazt limits`)"),
        other(SystemProbe, Type::Json, nullptr, Owner::Fazt, Applies::Live, list,
              "what the last probe of the machine measured"),
        variable(DatabaseVariable, Type::Path, "Using `fazt`",
                 "the database when `--db` is not given"),
        variable(ServerVariable, Type::Text, "Daily use",
                 "the server when `--server` is not given"),
        variable(TokenVariable, Type::Text, "Daily use",
                 "the API token when `--token` is not given"),
        variable(EncryptionKeyVariable, Type::Text, "Security",
                 "seals private keys and secrets in the database (32 characters or more)"),
        variable(ProbeRootVariable, Type::Path, stayingUp,
                 "another /proc and /sys for the probe (tests)"),
        variable(TempDirVariable, Type::Path, list, "where uploads wait while they are stored"),
        variable(HeaderTimeoutVariable, Type::Number, list,
                 "ms for a request's headers (default 10000)"),
        variable(IdleTimeoutVariable, Type::Number, list,
                 "ms an idle kept-alive connection lives (60000)"),
        variable(BodyTimeoutVariable, Type::Number, list, "ms without a body byte (30000)"),
        variable(SendTimeoutVariable, Type::Number, list, "ms a client may read nothing (60000)"),
        variable(ShutdownGraceVariable, Type::Number, list,
                 "ms requests get to finish on SIGTERM (10000)"),
        variable(TlsReconcileVariable, Type::Number, list,
                 "ms between looks for names that need certificates"),
        variable(TlsBackoffVariable, Type::Number, list,
                 "ms before a failed certificate order is retried"),
        variable(SessionNiceVariable, Type::Number, stayingUp,
                 "the autogroup nice value of a server that leads its session (-10; 0 leaves it)"),
    };
    // The values of the one choice, and why the limits are refused where the others are set.
    for (Setting &s : all) {
        if (qstrcmp(s.key, LogAccess) == 0)
            s.choices = "off, common, combined, json";
        if (qstrcmp(s.key, CacheBytes) == 0)
            s.setElsewhere = "The cache budget is one of the machine's limits: set it with PUT "
                             "/api/system/limits {\"limits\": {\"cacheBytes\": N}}, which knows "
                             "what is safe.";
    }
    return all;
}

} // namespace

QString Setting::validValues() const {
    switch (type) {
    case Type::Number:
        return maximum > minimum ? QStringLiteral("%1 to %2").arg(minimum).arg(maximum)
                                 : QStringLiteral("a whole number");
    case Type::Addresses:
        return QStringLiteral("IP addresses, comma-separated");
    case Type::Choice:
        return QLatin1String(choices);
    case Type::Path:
        return QStringLiteral("an absolute path");
    case Type::Text:
        return QStringLiteral("text");
    case Type::Json:
        return QStringLiteral("JSON");
    }
    return {};
}

const QList<Setting> &Setting::all() {
    static const QList<Setting> settings = makeAll();
    return settings;
}

const Setting *Setting::find(QAnyStringView key) {
    const QList<Setting> &settings = all();
    const auto it = std::find_if(settings.begin(), settings.end(), [key](const Setting &s) {
        return s.key && QAnyStringView::equal(key, QLatin1String(s.key));
    });
    return it == settings.end() ? nullptr : &*it;
}

QStringList Setting::settableKeys() {
    QStringList keys;
    for (const Setting &s : all())
        if (s.isSettableThroughApi())
            keys.append(QLatin1String(s.key));
    return keys;
}

} // namespace fazt
