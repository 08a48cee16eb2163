#pragma once

#include <QAnyStringView>
#include <QLatin1String>
#include <QList>
#include <QString>

namespace fazt {

// One setting of the server: a row of the `config` table, or a FAZT_* variable of the
// environment. Every setting has exactly one entry in Setting::all(), and everything that
// names a setting takes it from there: Config's defaults, the config API's validation and list
// of keys, `fazt config` and its completion, and the README's table (a test holds the two
// together).
struct Setting {
    // What a value is.
    enum class Type {
        Number,    // a whole number from minimum to maximum
        Addresses, // IP addresses separated by commas ("" for none)
        Choice,    // one of `choices`
        Path,      // an absolute file path ("" for none)
        Text,      // free text (a URL, an e-mail address, a domain)
        Json,      // a JSON document fazt writes itself
    };
    // Who changes it.
    enum class Owner {
        ConfigApi,     // PUT /api/config and `fazt config set`
        ServerOptions, // `fazt server init|start` options, kept in the config table
        Limits,        // a machine limit (PUT /api/system/limits); GET /api/config shows it
        Fazt,          // fazt keeps it itself; nobody sets it
        Environment,   // only the FAZT_* variable
    };
    // When a change takes effect.
    enum class Applies { Live, AtStart };

    const char *key; // the config key; nullptr for an environment-only setting
    Type type;
    const char *defaultValue; // as stored; nullptr when it has none or it is computed
    qint64 minimum = 0;       // numbers only
    qint64 maximum = 0;
    qint64 riskyAbove = 0; // numbers: a value above it earns a warning
    Applies applies = Applies::Live;
    Owner owner = Owner::ConfigApi;
    const char *environment = nullptr;   // the FAZT_* variable that sets it, if any
    const char *readmeSection = nullptr; // the README section that explains it
    const char *summary = nullptr;       // what it is, in a few words
    const char *choices = nullptr;       // Choice: the values, separated by ", "
    const char *setElsewhere = nullptr;  // why PUT /api/config refuses it, and where it is set

    QLatin1String name() const { return QLatin1String(key ? key : environment); }
    bool isSettableThroughApi() const { return owner == Owner::ConfigApi; }
    // The text a README table shows for the valid values: "100 to 3600000", "off, common…".
    QString validValues() const;

    // Every setting, in the README's order.
    static const QList<Setting> &all();
    // The setting stored under `key`, or nullptr.
    static const Setting *find(QAnyStringView key);
    // The keys `PUT /api/config` takes, in the table's order.
    static QStringList settableKeys();
};

// The keys the code reads by name, spelled once.
namespace settings {
inline constexpr const char *CacheLargeFileBytes = "cache.large_file_bytes";
inline constexpr const char *StatsEnabled = "stats.enabled";
inline constexpr const char *StatsFlushIntervalMs = "stats.flush_interval_ms";
inline constexpr const char *StatsFlushThreshold = "stats.flush_threshold";
inline constexpr const char *StatsBufferBytes = "stats.buffer_bytes";
inline constexpr const char *StatsRetentionDays = "stats.retention_days";
inline constexpr const char *FunctionsTimeoutMs = "functions.timeout_ms";
inline constexpr const char *FunctionsQueueLength = "functions.queue_length";
inline constexpr const char *FunctionsQueueWaitMs = "functions.queue_wait_ms";
inline constexpr const char *FunctionsCrashLimit = "functions.crash_limit";
inline constexpr const char *AuditRetentionDays = "audit.retention_days";
inline constexpr const char *HttpTrustedProxies = "http.trusted_proxies";
inline constexpr const char *LogAccess = "log.access";
inline constexpr const char *LogAccessFile = "log.access_file";
inline constexpr const char *CacheBytes = "cache.bytes";
inline constexpr const char *UploadMaxBytes = "upload.max_bytes";
inline constexpr const char *UploadRamBytes = "upload.ram_bytes";
inline constexpr const char *Domain = "domain";
inline constexpr const char *AcmeDirectory = "acme.directory";
inline constexpr const char *AcmeEmail = "acme.email";
inline constexpr const char *AcmeCaBundle = "acme.ca_bundle";
inline constexpr const char *TlsHstsMaxAge = "tls.hsts_max_age";
inline constexpr const char *TlsOnDemandPerHour = "tls.on_demand_per_hour";
inline constexpr const char *AdminStamp = "admin.stamp";
inline constexpr const char *SystemLimits = "system.limits";
inline constexpr const char *SystemProbe = "system.probe";

// The FAZT_* variables of the environment.
inline constexpr const char *DatabaseVariable = "FAZT_DB";
inline constexpr const char *ServerVariable = "FAZT_SERVER";
inline constexpr const char *TokenVariable = "FAZT_TOKEN";
inline constexpr const char *EncryptionKeyVariable = "FAZT_ENCRYPTION_KEY";
inline constexpr const char *ProbeRootVariable = "FAZT_PROBE_ROOT";
inline constexpr const char *TempDirVariable = "FAZT_TEMP_DIR";
inline constexpr const char *HeaderTimeoutVariable = "FAZT_HTTP_HEADER_TIMEOUT_MS";
inline constexpr const char *IdleTimeoutVariable = "FAZT_HTTP_IDLE_TIMEOUT_MS";
inline constexpr const char *BodyTimeoutVariable = "FAZT_HTTP_BODY_TIMEOUT_MS";
inline constexpr const char *SendTimeoutVariable = "FAZT_HTTP_SEND_TIMEOUT_MS";
inline constexpr const char *ShutdownGraceVariable = "FAZT_SHUTDOWN_GRACE_MS";
inline constexpr const char *TlsReconcileVariable = "FAZT_TLS_RECONCILE_MS";
inline constexpr const char *TlsBackoffVariable = "FAZT_TLS_BACKOFF_MS";
inline constexpr const char *SessionNiceVariable = "FAZT_SESSION_NICE";
} // namespace settings

} // namespace fazt
