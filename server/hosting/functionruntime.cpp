#include "hosting/functionruntime.h"

#include "guard/metrics.h"
#include "http/responses.h"
#include "system/spin.h"
#include "vfs/vfs.h"

#include <QCryptographicHash>
#include <QDateTime>
#include <QDir>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJSEngine>
#include <QJSManagedValue>
#include <QJSValueIterator>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QRandomGenerator>
#include <QThread>
#include <QTimer>
#include <QUrl>
#include <QUrlQuery>

#include <cmath>
#include <fcntl.h>
#include <pthread.h>
#include <unistd.h>

namespace fazt::hosting {

using http::Response;

namespace {

constexpr auto LatencyBounds = guard::Metrics::LatencyBounds;
constexpr qint64 MaxSourceBytes = 8 << 20; // all of a deploy's api/*.js together
constexpr int WatchIntervalMs = 5;
// A JS thread counts as held up, so that a parked one may run beside it, while its script
// waits on the host (fazt.fetch), or once one invocation has kept it this long: longer than
// a normal handler takes even while the cores are shared, so that a busy machine does not
// wake every thread at once and then spend its time switching between them.
constexpr qint64 HeldUpMs = 50;
// A JS thread that finds no job looks again for this long, yielding the core, before it parks:
// under load the next job usually comes within it, and taking it costs no futex wake-up and no
// context switch (about 0.4 fewer futex calls per request). Idle, it costs 50 µs once.
constexpr auto IdleSpin = std::chrono::microseconds(50);

enum class Stop { None = 0, Timeout = 1, Memory = 2 };

qint64 steadyMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
}

// Resident set size from /proc/self/statm (pages), read with plain syscalls: it is sampled
// every few milliseconds while scripts run.
qint64 residentBytes() {
    const int fd = ::open("/proc/self/statm", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    char buffer[128];
    const ssize_t n = ::read(fd, buffer, sizeof buffer - 1);
    ::close(fd);
    if (n <= 0)
        return 0;
    buffer[n] = '\0';
    const QByteArrayView text(buffer, n);
    const qsizetype space = text.indexOf(' ');
    if (space < 0)
        return 0;
    const QByteArrayView rest = text.sliced(space + 1);
    return rest.first(std::max<qsizetype>(0, rest.indexOf(' '))).toLongLong() *
           ::sysconf(_SC_PAGESIZE);
}

// Without analytics (which has its daily-salted visitor hash): the address hashed with a salt
// drawn once per process, so scripts can tell clients apart but never see an address.
QString anonymousClient(const http::Request &request) {
    static const QByteArray salt = [] {
        QByteArray bytes(16, Qt::Uninitialized);
        QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(bytes.data()), 4);
        return bytes;
    }();
    const Q_IPV6ADDR address = request.peer().toIPv6Address();
    QCryptographicHash hash(QCryptographicHash::Sha256);
    hash.addData(salt);
    hash.addData(QByteArrayView(reinterpret_cast<const char *>(address.c), 16));
    return QString::fromLatin1(hash.result().first(8).toHex());
}

Response jsonError(int status, const QString &message, bool isHead = false) {
    QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("error"), message}})
                          .toJson(QJsonDocument::Compact);
    body.append('\n');
    return http::makeResponse(status, "application/json", std::move(body), isHead);
}

// 429: every slot is busy (the body is made once: under a crowd most answers are this one).
Response busyResponse(bool isHead) {
    static const QByteArray body =
        QJsonDocument(
            QJsonObject{{QStringLiteral("error"),
                         QStringLiteral("Every function slot is busy. Retry in a second.")}})
            .toJson(QJsonDocument::Compact) +
        '\n';
    Response busy = http::makeResponse(429, "application/json", body, isHead);
    busy.head.append("Retry-After: 1\r\n");
    return busy;
}

bool isToken(QByteArrayView name) {
    if (name.isEmpty() || name.size() > 256)
        return false;
    for (const char c : name)
        if (!(std::isalnum(static_cast<unsigned char>(c)) ||
              QByteArrayView("!#$%&'*+-.^_`|~").contains(c)))
            return false;
    return true;
}

// Headers a script may not set: the connection owns framing and connection management.
bool isReservedHeader(QByteArrayView name) {
    for (const char *reserved : {"content-length", "transfer-encoding", "connection", "date",
                                 "keep-alive", "upgrade", "trailer"})
        if (name.compare(reserved, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

// The glue evaluated once per engine: builds `fazt` from the host object, the CommonJS
// loader, and the function that runs one request and normalizes what the handler returned.
// Errors are caught here so that `throw "text"` is told apart from returning "text".
constexpr char Bootstrap[] = R"JS((function (host, env, global) {
    'use strict';
    const fazt = Object.freeze({
        kv: Object.freeze({
            get(key) {
                const value = host.kvGet(String(key));
                return value === undefined ? undefined : JSON.parse(value);
            },
            set(key, value, options) {
                const json = JSON.stringify(value);
                if (json === undefined)
                    throw new TypeError('fazt.kv.set: the value must be JSON (not undefined or a function)');
                host.kvSet(String(key), json, options && options.ttl ? Number(options.ttl) : 0);
            },
            delete(key) { host.kvDelete(String(key)); },
            list(prefix) { return host.kvList(prefix === undefined ? '' : String(prefix)); }
        }),
        log(...args) {
            host.log('info', args.map(a => typeof a === 'string' ? a : JSON.stringify(a)).join(' '));
        },
        env: Object.freeze(env),
        fetch(url, options) {
            const o = options || {};
            const body = o.body === undefined ? '' : (typeof o.body === 'string' ? o.body : JSON.stringify(o.body));
            const response = host.fetch(String(url), String(o.method || 'GET'), JSON.stringify(o.headers || {}), body);
            response.json = function () { return JSON.parse(this.body); };
            return response;
        }
    });
    global.console = Object.freeze({ log: fazt.log, info: fazt.log, warn: fazt.log,
        error(...args) { host.log('error', args.map(a => typeof a === 'string' ? a : JSON.stringify(a)).join(' ')); } });
    // Builtins run to the end once started (an interrupt is seen between JS steps), so the
    // ones that can allocate gigabytes in one call refuse sizes no function needs.
    const MaxElements = 1 << 23, MaxChars = 1 << 25;
    const refuse = what => { throw new RangeError(what + ' is more than a function may allocate'); };
    const guardLength = (object, name, limit, what) => {
        const native = object[name];
        object[name] = function (...args) {
            if (this !== undefined && this !== null && this.length > limit) refuse(what);
            return native.apply(this, args);
        };
    };
    guardLength(Array.prototype, 'fill', MaxElements, 'Filling so large an array');
    guardLength(Array.prototype, 'join', MaxElements, 'Joining so large an array');
    // Typed arrays and buffers are allocated and zeroed whole by their constructor.
    const MaxBytes = 1 << 26, NativeBuffer = ArrayBuffer;
    const guardBytes = (name, bytesPerElement) => {
        const native = global[name];
        const guarded = function (...args) {
            const first = args[0];
            const count = typeof first === 'number' ? first
                : first !== null && typeof first === 'object' && !(first instanceof NativeBuffer)
                    ? first.length : 0;
            if (count * bytesPerElement > MaxBytes)
                refuse('A buffer of ' + count * bytesPerElement + ' bytes');
            return Reflect.construct(native, args, new.target === guarded ? native : new.target);
        };
        guarded.prototype = native.prototype; // instanceof and subclasses keep working
        Object.setPrototypeOf(guarded, native); // and the statics (from, of, isView, ...)
        global[name] = guarded;
    };
    guardBytes('ArrayBuffer', 1);
    for (const name of ['Int8Array', 'Uint8Array', 'Uint8ClampedArray', 'Int16Array',
                        'Uint16Array', 'Int32Array', 'Uint32Array', 'Float32Array',
                        'Float64Array'])
        guardBytes(name, global[name].BYTES_PER_ELEMENT);
    const nativeFrom = Array.from;
    Array.from = function (items, ...rest) {
        if (items !== undefined && items !== null && items.length > MaxElements)
            refuse('An array of ' + items.length + ' elements');
        return nativeFrom.call(this, items, ...rest);
    };
    const guardString = name => {
        const native = String.prototype[name];
        String.prototype[name] = function (count, ...rest) {
            const length = name === 'repeat' ? String(this).length * count : count;
            if (length > MaxChars) refuse('A string of ' + length + ' characters');
            return native.call(this, count, ...rest);
        };
    };
    ['repeat', 'padStart', 'padEnd'].forEach(guardString);
    const modules = Object.create(null);
    function load(path) {
        const cached = modules[path];
        if (cached)
            return cached.exports;
        const module = { exports: {} };
        modules[path] = module;
        try {
            host.compile(path).call(module.exports, module, module.exports,
                name => load(host.resolve(path, String(name))), fazt);
        } catch (e) {
            delete modules[path];
            throw e;
        }
        return module.exports;
    }
    function describe(e) {
        if (!(e instanceof Error))
            return 'Uncaught ' + String(e);
        const where = e.fileName ? ' (' + String(e.fileName).replace(/^file:/, '') + (e.lineNumber ? ':' + e.lineNumber : '') + ')' : '';
        return e.name + ': ' + e.message + where;
    }
    // What the host reads back, most often one string (one value is much cheaper for the
    // host to read than an object's properties):
    //  - a value answered as JSON with status 200 (the usual case): its JSON text, as is;
    //  - other answers: "#", three digits of status, the kind (n: no body, t: text, j: JSON)
    //    and the body. JSON text never starts with "#", so the two cannot be confused;
    //  - bytes, headers or an odd status: [status, kind, body, headers];
    //  - "!" and a message: the error that stopped the handler.
    function compact(status, kind, body) {
        return '#' + (status === 200 ? '200' : String(status)) + kind + body;
    }
    function normalize(r) {
        if (r === undefined || r === null)
            return '#204n';
        if (typeof r === 'string')
            return compact(200, 't', r);
        if (typeof r !== 'object' || !('status' in r || 'body' in r || 'headers' in r)) {
            const json = JSON.stringify(r);
            return json === undefined ? '#204n' : json; // undefined: a function, a symbol
        }
        const status = r.status === undefined ? 200 : Number(r.status);
        let body = r.body, kind;
        if (body === undefined || body === null) { kind = 'n'; body = ''; }
        else if (typeof body === 'string') kind = 't';
        else if (body instanceof ArrayBuffer) kind = 'b';
        else if (ArrayBuffer.isView(body)) {
            kind = 'b';
            body = body.buffer.slice(body.byteOffset, body.byteOffset + body.byteLength);
        } else { kind = 'j'; body = JSON.stringify(body); }
        const names = Object.keys(r.headers || {});
        if (names.length === 0 && kind !== 'b' && Number.isInteger(status) && status >= 100 && status <= 999)
            return compact(status, kind, body);
        const headers = {};
        for (const k of names)
            headers[k] = String(r.headers[k]);
        return [status, kind, body, headers];
    }
    // The request handed to the handler: built here from plain values (one object literal's
    // shape, not a property set per call from the host); `json` parses the body on use.
    function Request(method, path, query, headers, body, bytes, client) {
        this.method = method;
        this.path = path;
        this.query = query;
        this.headers = headers;
        this.body = body;
        this.bytes = bytes;
        this.client = client;
    }
    Request.prototype = Object.create(Object.prototype, {
        json: { get() { return JSON.parse(this.body); } }
    });
    // An empty body's bytes: one for all requests, frozen so that none can leave anything on it.
    const NoBytes = Object.freeze(new NativeBuffer(0));
    // headerText: "name\nvalue\nname\nvalue..." in arrival order, names in lower case (a
    // field never holds a line break: the HTTP parser refuses them); repeats are joined.
    // The host passes the very same string while a client's headers stay the same, so the
    // last one parsed is kept (frozen) and each request gets its own copy.
    let lastHeaderText = '', lastHeaders = Object.freeze({});
    function headersOf(headerText) {
        if (headerText !== lastHeaderText) {
            const headers = {};
            const list = headerText.split('\n');
            for (let i = 0; i + 1 < list.length; i += 2) {
                const name = list[i];
                headers[name] = Object.prototype.hasOwnProperty.call(headers, name)
                    ? headers[name] + ', ' + list[i + 1] : list[i + 1];
            }
            lastHeaderText = headerText;
            lastHeaders = Object.freeze(headers);
        }
        return Object.assign({}, lastHeaders);
    }
    // body and bytes: undefined for an empty body.
    return function invoke(method, path, query, headerText, body, bytes, client) {
        try {
            const headers = headersOf(headerText || '');
            const request = new Request(method, path, query || {}, headers,
                body === undefined ? '' : body, bytes === undefined ? NoBytes : bytes, client);
            const main = load('api/main.js');
            const handler = typeof main === 'function' ? main : main && main.handler;
            if (typeof handler !== 'function')
                throw new Error('api/main.js must export a function: module.exports = function (request) { ... }');
            return normalize(handler(request));
        } catch (e) {
            return '!' + describe(e);
        }
    };
}))JS";

} // namespace

struct FunctionRuntime::Bundle {
    QString site;
    qint64 siteId = 0;
    qint64 deployId = 0;
    quint64 version = 0;
    QString settings;
    bool hasMain = false;
    bool isDevelopment = false;
    int timeoutMs = 5000;
    QHash<QString, QByteArray> sources; // api/... -> source
    QList<functions::EnvVar> env;
    QStringList egress;
};

struct FunctionRuntime::Job {
    std::shared_ptr<const Bundle> bundle;
    // The request's head (its bytes are shared, not copied); read on the JS thread, which must
    // not touch its peer (the connection may be gone by then).
    http::Request request;
    QString path; // decoded
    QByteArray body;
    QString client;
    bool isHead = false;
    http::Responder responder;
    Counter counter;
    QElapsedTimer started;
};

struct FunctionRuntime::Slot {
    std::condition_variable wake;             // its thread parks here
    bool isWoken = false;                     // under m_queueMutex
    std::atomic<qint64> busySinceMs{0};       // steadyMs() when its thread took its job; 0: idle
    std::atomic<bool> isWaitingOnHost{false}; // inside fazt.fetch
    std::mutex mutex;
    QJSEngine *engine = nullptr; // while an invocation runs
    qint64 deadlineMs = 0;
    qint64 startRss = 0;
    Stop stop = Stop::None;
};

// What scripts reach of the host: one per engine (so per site and JS thread). Methods run on
// the JS thread, inside an invocation.
class ScriptHost : public QObject {
    Q_OBJECT
public:
    ScriptHost(QJSEngine &engine, functions::FunctionStore &store,
               std::shared_ptr<const FunctionRuntime::Bundle> bundle,
               const FunctionRuntime::Options &options, QNetworkAccessManager &network)
        : m_engine(engine)
        , m_store(store)
        , m_bundle(std::move(bundle))
        , m_options(options)
        , m_network(network) {}

    void begin(qint64 deadlineMs) {
        m_deadlineMs = deadlineMs;
        m_log.clear();
        m_droppedLines = 0;
    }
    // The invocation's log lines, handed over once.
    QList<functions::LogEntry> takeLog() {
        if (m_droppedLines > 0)
            m_log.append({0, QDateTime::currentMSecsSinceEpoch(), QStringLiteral("info"),
                          QStringLiteral("(%1 more lines dropped: at most %2 per request)")
                              .arg(m_droppedLines)
                              .arg(m_options.maxLogLinesPerCall)});
        return std::exchange(m_log, {});
    }
    // A line from the runtime itself (an error, a timeout), after the script's own.
    void note(const QString &level, const QString &message) { addLog(level, message); }

    Q_INVOKABLE QJSValue compile(const QString &path) {
        const auto source = m_bundle->sources.constFind(path);
        if (source == m_bundle->sources.constEnd()) {
            m_engine.throwError(QJSValue::ReferenceError,
                                QStringLiteral("Cannot find module '%1'").arg(path));
            return {};
        }
        // The wrapper shares the first line with the module, so line numbers stay true.
        QJSValue function =
            m_engine.evaluate(QStringLiteral("(function (module, exports, require, fazt) {") +
                                  QString::fromUtf8(*source) + QStringLiteral("\n})"),
                              path, 1);
        if (function.isError()) {
            m_engine.throwError(function);
            return {};
        }
        return function;
    }

    Q_INVOKABLE QString resolve(const QString &from, const QString &name) {
        if (!name.startsWith(QLatin1String("./")) && !name.startsWith(QLatin1String("../"))) {
            m_engine.throwError(QStringLiteral("require('%1'): only modules of this site's api/ "
                                               "folder can be loaded, as './name.js'")
                                    .arg(name.left(200)));
            return {};
        }
        QString path = QDir::cleanPath(from.section(u'/', 0, -2) + u'/' + name);
        if (!path.endsWith(QLatin1String(".js")))
            path += QLatin1String(".js");
        if (!path.startsWith(QLatin1String("api/"))) {
            m_engine.throwError(
                QStringLiteral("require('%1'): outside the api/ folder").arg(name.left(200)));
            return {};
        }
        return path;
    }

    Q_INVOKABLE QJSValue kvGet(const QString &key) {
        auto value = m_store.kvGet(m_bundle->siteId, key, QDateTime::currentSecsSinceEpoch());
        if (!value) {
            m_engine.throwError(QStringLiteral("fazt.kv.get: ") + value.error().message);
            return {};
        }
        return *value ? QJSValue(**value) : QJSValue();
    }
    Q_INVOKABLE void kvSet(const QString &key, const QString &json, double ttlSeconds) {
        if (Status s = m_store.kvSet(m_bundle->siteId, key, json, qint64(ttlSeconds),
                                     QDateTime::currentSecsSinceEpoch());
            !s)
            m_engine.throwError(QStringLiteral("fazt.kv.set: ") + s.error().message);
    }
    Q_INVOKABLE void kvDelete(const QString &key) {
        if (Status s = m_store.kvDelete(m_bundle->siteId, key); !s)
            m_engine.throwError(QStringLiteral("fazt.kv.delete: ") + s.error().message);
    }
    Q_INVOKABLE QJSValue kvList(const QString &prefix) {
        auto keys = m_store.kvList(m_bundle->siteId, prefix, QDateTime::currentSecsSinceEpoch());
        if (!keys) {
            m_engine.throwError(QStringLiteral("fazt.kv.list: ") + keys.error().message);
            return {};
        }
        return m_engine.toScriptValue(*keys);
    }
    Q_INVOKABLE void log(const QString &level, const QJSValue &message) {
        addLog(level == QLatin1String("error") ? level : QStringLiteral("info"),
               message.toString());
    }
    Q_INVOKABLE QJSValue fetch(const QString &url, const QString &method,
                               const QString &headersJson, const QString &body);

private:
    void addLog(const QString &level, const QString &message) {
        if (m_log.size() >= m_options.maxLogLinesPerCall) {
            ++m_droppedLines;
            return;
        }
        m_log.append({0, QDateTime::currentMSecsSinceEpoch(), level, message});
    }
    bool isAllowed(const QUrl &url) const {
        QString host = url.host().toLower();
        if (host.contains(u':'))
            host = u'[' + host + u']';
        const int port = url.port(url.scheme() == QLatin1String("https") ? 443 : 80);
        const QString withPort = host + u':' + QString::number(port);
        return m_bundle->egress.contains(host) || m_bundle->egress.contains(withPort);
    }

    QJSEngine &m_engine;
    functions::FunctionStore &m_store;
    const std::shared_ptr<const FunctionRuntime::Bundle> m_bundle;
    const FunctionRuntime::Options &m_options;
    QNetworkAccessManager &m_network;
    qint64 m_deadlineMs = 0;
    QList<functions::LogEntry> m_log;
    int m_droppedLines = 0;
};

QJSValue ScriptHost::fetch(const QString &url, const QString &method, const QString &headersJson,
                           const QString &body) {
    const QUrl target(url, QUrl::StrictMode);
    if (!target.isValid() ||
        (target.scheme() != QLatin1String("http") && target.scheme() != QLatin1String("https"))) {
        m_engine.throwError(
            QJSValue::TypeError,
            QStringLiteral("fazt.fetch: '%1' is not an http(s) URL").arg(url.left(200)));
        return {};
    }
    if (!isAllowed(target)) {
        m_engine.throwError(QStringLiteral("fazt.fetch: '%1' is not on this site's egress "
                                           "allowlist (fazt egress %2 HOST adds it)")
                                .arg(target.host(), m_bundle->site));
        return {};
    }
    const qint64 remaining = m_deadlineMs - steadyMs();
    if (remaining <= 0) {
        m_engine.throwError(QStringLiteral("fazt.fetch: no time left in this request"));
        return {};
    }
    QNetworkRequest request(target);
    // A redirect could lead off the allowlist: the script sees it and decides.
    request.setAttribute(QNetworkRequest::RedirectPolicyAttribute,
                         QNetworkRequest::ManualRedirectPolicy);
    const QJsonObject headers = QJsonDocument::fromJson(headersJson.toUtf8()).object();
    for (auto it = headers.begin(); it != headers.end(); ++it)
        request.setRawHeader(it.key().toUtf8(), it.value().toVariant().toString().toUtf8());
    QNetworkReply *reply = m_network.sendCustomRequest(request, method.toUtf8(), body.toUtf8());
    QByteArray received;
    bool isTooLarge = false, isTimedOut = false;
    QEventLoop loop;
    QTimer timer;
    timer.setSingleShot(true);
    QObject::connect(&timer, &QTimer::timeout, &loop, [&] {
        isTimedOut = true;
        reply->abort();
    });
    QObject::connect(reply, &QNetworkReply::readyRead, &loop, [&] {
        received += reply->readAll();
        if (received.size() > m_options.fetchMaxBytes) {
            isTooLarge = true;
            reply->abort();
        }
    });
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    timer.start(int(std::min<qint64>(remaining, m_options.fetchTimeoutMs)));
    if (!reply->isFinished()) {
        // The thread sleeps here: another may run meanwhile.
        FunctionRuntime::Slot *slot = FunctionRuntime::slotOfThisThread();
        if (slot)
            slot->isWaitingOnHost = true;
        loop.exec();
        if (slot)
            slot->isWaitingOnHost = false;
    }
    std::unique_ptr<QNetworkReply, void (*)(QNetworkReply *)> owned(
        reply, [](QNetworkReply *r) { r->deleteLater(); });
    if (isTooLarge || isTimedOut) {
        m_engine.throwError(isTooLarge ? QStringLiteral("fazt.fetch: the response is larger than "
                                                        "%1 bytes")
                                             .arg(m_options.fetchMaxBytes)
                                       : QStringLiteral("fazt.fetch: no answer in time"));
        return {};
    }
    received += reply->readAll();
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid()) {
        m_engine.throwError(QStringLiteral("fazt.fetch: ") + reply->errorString());
        return {};
    }
    QJSValue result = m_engine.newObject();
    result.setProperty(QStringLiteral("status"), status.toInt());
    QJSValue responseHeaders = m_engine.newObject();
    for (const auto &[name, value] : reply->rawHeaderPairs())
        responseHeaders.setProperty(QString::fromLatin1(name).toLower(), QString::fromUtf8(value));
    result.setProperty(QStringLiteral("headers"), responseHeaders);
    result.setProperty(QStringLiteral("body"), QString::fromUtf8(received));
    return result;
}

namespace {

// One site's engine on one JS thread, for one bundle (deploy, variables, allowlist).
struct SiteEngine {
    std::shared_ptr<const FunctionRuntime::Bundle> bundle;
    std::unique_ptr<QJSEngine> engine;
    std::unique_ptr<ScriptHost> host;
    QJSValue invoke;
    quint64 lastUsed = 0;

    // The strings of the last call that tend to repeat (method, path, headers, client), kept
    // as the engine's own values: the next request to a busy function usually brings the
    // same ones, and a string the engine already holds is passed without allocating. Strings
    // are immutable in JS, so sharing one between requests is invisible to scripts.
    enum Recent { Method, Path, Headers, Client, RecentCount };
    struct RecentString {
        QByteArray key; // the bytes the string was made from
        QJSValue value;
    };
    std::array<RecentString, RecentCount> recent;
    QJSValueList args; // reused from call to call

    // The engine's string for `key`, made by `make()` when it differs from the last one.
    template <typename Make> const QJSValue &string(Recent which, QByteArrayView key, Make make) {
        RecentString &r = recent[which];
        if (r.value.isUndefined() || r.key != key) {
            r.key.resize(key.size()); // keeps its buffer when the size fits
            std::copy(key.begin(), key.end(), r.key.data());
            r.value = QJSManagedValue(make(), engine.get()).toJSValue();
        }
        return r.value;
    }
};

std::unique_ptr<SiteEngine> makeEngine(std::shared_ptr<const FunctionRuntime::Bundle> bundle,
                                       functions::FunctionStore &store,
                                       const FunctionRuntime::Options &options,
                                       QNetworkAccessManager &network) {
    auto site = std::make_unique<SiteEngine>();
    site->bundle = bundle;
    site->engine = std::make_unique<QJSEngine>();
    site->host =
        std::make_unique<ScriptHost>(*site->engine, store, std::move(bundle), options, network);
    QJSEngine &engine = *site->engine;
    QJSValue env = engine.newObject();
    for (const functions::EnvVar &var : site->bundle->env)
        env.setProperty(var.name, var.value);
    QJSEngine::setObjectOwnership(site->host.get(), QJSEngine::CppOwnership); // before wrapping
    const QJSValue factory = engine.evaluate(QString::fromUtf8(Bootstrap));
    site->invoke =
        factory.isError()
            ? factory
            : factory.call({engine.newQObject(site->host.get()), env, engine.globalObject()});
    if (!site->invoke.isCallable())
        qWarning("fazt: the function runtime's bootstrap failed: %s",
                 qPrintable(site->invoke.toString()));
    return site;
}

Response responseOf(QJSEngine &engine, const QJSValue &result, const FunctionRuntime::Job &job,
                    qint64 maxBytes, QString &problem);

} // namespace

FunctionRuntime::FunctionRuntime(vfs::Vfs &vfs, functions::FunctionStore &store, Options options)
    : m_vfs(vfs)
    , m_store(store)
    , m_options(std::move(options)) {
    const int threads = std::max(0, m_options.maxConcurrent);
    m_runningTarget = std::clamp(QThread::idealThreadCount(), 1, std::max(1, threads));
    m_maxAdmitted = threads + (m_options.maxQueued < 0 ? 8 * threads : m_options.maxQueued);
    m_awake = threads; // each parks when it finds no job
    for (int i = 0; i < threads; ++i) {
        m_slots.push_back(std::make_unique<Slot>());
        m_threads.emplace_back(QThread::create([this, i] { runThread(i); }));
        m_threads.back()->setObjectName(QStringLiteral("fazt-js-%1").arg(i));
        m_threads.back()->start();
    }
    m_rssBytes = residentBytes();
    m_watchdog = std::thread([this] { watch(); });
}

FunctionRuntime::~FunctionRuntime() {
    {
        std::lock_guard lock(m_queueMutex);
        m_isStopping = true;
    }
    for (const auto &slot : m_slots)
        slot->wake.notify_one();
    m_watchdogWake.notify_all();
    for (const auto &slot : m_slots) {
        std::lock_guard lock(slot->mutex);
        if (slot->engine)
            slot->engine->setInterrupted(true);
    }
    for (const auto &thread : m_threads)
        thread->wait();
    m_watchdog.join();
}

std::shared_ptr<const FunctionRuntime::Bundle> FunctionRuntime::bundleFor(const QString &site) {
    // Read before site(): a change committed after this read bumps it again.
    const quint64 generation = m_vfs.generation();
    {
        QMutexLocker lock(&m_bundlesMutex);
        const auto cached = m_bundles.constFind(site);
        if (cached != m_bundles.cend() && cached->vfsGeneration == generation)
            return cached->bundle; // no site changed since it was checked
    }
    auto info = m_vfs.site(site);
    if (!info || info->activeDeployId == 0)
        return nullptr;
    quint64 version = 0;
    {
        QMutexLocker lock(&m_bundlesMutex);
        version = m_versions.value(site);
        const auto cached = m_bundles.find(site);
        if (cached != m_bundles.end() && cached->bundle->deployId == info->activeDeployId &&
            cached->bundle->version == version && cached->bundle->settings == info->settings) {
            cached->vfsGeneration = generation;
            return cached->bundle;
        }
    }
    auto bundle = std::make_shared<Bundle>();
    bundle->site = site;
    bundle->siteId = info->id;
    bundle->deployId = info->activeDeployId;
    bundle->version = version;
    bundle->settings = info->settings;
    const QJsonObject settings = QJsonDocument::fromJson(info->settings.toUtf8()).object();
    bundle->isDevelopment = settings.value(QLatin1String("development")).toBool();
    bundle->timeoutMs = std::clamp(
        settings.value(QLatin1String("functionTimeoutMs")).toInt(m_options.defaultTimeoutMs), 1,
        m_options.maxTimeoutMs);
    auto files = m_vfs.files(info->activeDeployId);
    if (!files)
        return nullptr;
    qint64 total = 0;
    for (const vfs::FileInfo &file : *files) {
        if (!file.path.startsWith(QLatin1String("api/")) ||
            !file.path.endsWith(QLatin1String(".js")))
            continue;
        total += file.size;
        if (total > MaxSourceBytes)
            break;
        auto source = m_vfs.readAll(file, MaxSourceBytes);
        if (!source)
            return nullptr;
        bundle->sources.insert(file.path, *source);
    }
    bundle->hasMain = bundle->sources.contains(QStringLiteral("api/main.js"));
    if (bundle->hasMain) {
        auto env = m_store.env(info->id);
        auto egress = m_store.egress(info->id);
        if (!env || !egress)
            return nullptr;
        bundle->env = *env;
        bundle->egress = *egress;
    }
    QMutexLocker lock(&m_bundlesMutex);
    if (m_versions.value(site) == version) // else invalidate() ran meanwhile: check next time
        m_bundles.insert(site, {bundle, generation});
    return bundle;
}

void FunctionRuntime::invalidate(const QString &site) {
    QMutexLocker lock(&m_bundlesMutex);
    ++m_versions[site];
    m_bundles.remove(site);
}

bool FunctionRuntime::handle(http::Exchange &exchange, const QString &site, const QString &path,
                             Counter counter) {
    const http::Request &request = exchange.request();
    auto bundle = bundleFor(site);
    if (!bundle || !bundle->hasMain)
        return false;
    const bool isHead = request.method() == http::Method::Head;
    const auto answerNow = [&exchange, &counter](Response response) {
        if (counter)
            counter(response);
        exchange.respond(std::move(response));
    };
    if (m_options.maxConcurrent <= 0) {
        answerNow(jsonError(503,
                            QStringLiteral("Functions are turned off on this machine "
                                           "(maxConcurrentJs is 0)."),
                            isHead));
        return true;
    }
    // Every slot busy and the waiting room full: refused before any work on the request (the
    // exact check, which takes the place, comes once the body is in).
    if (m_busy.load(std::memory_order_relaxed) >= m_maxAdmitted) {
        ++m_rejected;
        answerNow(busyResponse(isHead));
        return true;
    }
    auto job = std::make_shared<Job>();
    job->bundle = std::move(bundle);
    job->request = request;
    job->path = path;
    job->client = m_options.clientOf ? m_options.clientOf(request) : anonymousClient(request);
    job->isHead = isHead;
    job->counter = std::move(counter);
    exchange.receiveBody(m_options.maxRequestBytes,
                         [this, &exchange, job](QByteArrayView piece, bool last) {
                             job->body.append(piece);
                             if (!last)
                                 return;
                             if (m_busy.fetch_add(1) >= m_maxAdmitted) {
                                 m_busy.fetch_sub(1);
                                 exchange.respond(refusal(*job));
                                 return;
                             }
                             job->responder = exchange.defer();
                             job->started.start();
                             submit(job);
                         });
    return true;
}

void FunctionRuntime::submit(std::shared_ptr<Job> job) {
    Slot *woken = nullptr;
    bool wakeWatchdog = false;
    {
        std::lock_guard lock(m_queueMutex);
        m_queue.push_back(std::move(job));
        m_queued.store(int(m_queue.size()), std::memory_order_relaxed);
        // A running thread takes it when done with its job; wake one only while fewer run
        // than there are cores (the watchdog wakes more when the running ones are held up).
        if (m_awake < m_runningTarget)
            woken = unpark();
        wakeWatchdog = m_isWatchdogIdle;
    }
    notify(woken);
    if (wakeWatchdog)
        m_watchdogWake.notify_one();
}

// The process's RSS for the memory check, as the watchdog sampled it; read here if the
// watchdog has been idle (the first invocation after a quiet spell).
qint64 FunctionRuntime::rssNow() {
    if (m_rssIsStale.load()) {
        m_rssBytes = residentBytes();
        m_rssIsStale = false;
    }
    return m_rssBytes.load();
}

FunctionRuntime::Slot *FunctionRuntime::unpark() {
    if (m_parked.empty())
        return nullptr;
    Slot *slot = m_parked.back();
    m_parked.pop_back();
    slot->isWoken = true;
    ++m_awake;
    return slot;
}

void FunctionRuntime::notify(Slot *slot) {
    if (slot)
        slot->wake.notify_one();
}

void FunctionRuntime::finish(std::shared_ptr<Job> job, Response response, double seconds) {
    ++m_invocations;
    const auto bucket = std::lower_bound(LatencyBounds.begin(), LatencyBounds.end(), seconds);
    ++m_latency[size_t(bucket - LatencyBounds.begin())];
    m_latencySumNs += quint64(seconds * 1e9);
    // The slot is free before the client hears back: one that asks again at once finds it.
    m_busy.fetch_sub(1);
    if (job->counter)
        job->counter(response);
    // The job goes with the answer: the worker allocated it, the worker frees it.
    const http::Responder responder = job->responder;
    responder.respond(std::move(response), std::move(job));
}

// The 429 for a job that found the waiting room full, or waited its whole time in it:
// counted as rejected and by the job's counter.
Response FunctionRuntime::refusal(Job &job) {
    ++m_rejected;
    Response busy = busyResponse(job.isHead);
    if (job.counter)
        job.counter(busy);
    return busy;
}

namespace {
thread_local FunctionRuntime::Slot *t_slot = nullptr;
}

FunctionRuntime::Slot *FunctionRuntime::slotOfThisThread() {
    return t_slot;
}

void FunctionRuntime::runThread(int index) {
    Slot &slot = *m_slots[size_t(index)];
    t_slot = &slot;
    QNetworkAccessManager network;
    network.setProxy(QNetworkProxy::NoProxy);
    network.setAutoDeleteReplies(false);
    QHash<QString, std::shared_ptr<SiteEngine>> engines;
    quint64 uses = 0;
    for (;;) {
        std::shared_ptr<Job> job;
        bool isStopping = false;
        {
            std::unique_lock lock(m_queueMutex);
            if (m_queue.empty() && !m_isStopping) {
                lock.unlock();
                system::spinUntil(IdleSpin,
                                  [this] { return m_queued.load(std::memory_order_relaxed) != 0; });
                lock.lock();
            }
            while (m_queue.empty() && !m_isStopping) {
                --m_awake;
                slot.isWoken = false;
                m_parked.push_back(&slot);
                slot.wake.wait(lock, [this, &slot] { return m_isStopping || slot.isWoken; });
                if (!slot.isWoken) { // stopping
                    std::erase(m_parked, &slot);
                    ++m_awake;
                }
            }
            if (m_queue.empty())
                break;
            job = std::move(m_queue.front());
            m_queue.pop_front();
            m_queued.store(int(m_queue.size()), std::memory_order_relaxed);
            isStopping = m_isStopping;
        }
        if (isStopping) {
            Response stopping =
                jsonError(503, QStringLiteral("The server is stopping."), job->isHead);
            finish(std::move(job), std::move(stopping), 0);
            continue;
        }
        slot.busySinceMs = steadyMs();
        m_running.fetch_add(1, std::memory_order_relaxed);
        const Bundle &bundle = *job->bundle;
        std::shared_ptr<SiteEngine> &site = engines[bundle.site];
        if (!site || site->bundle != job->bundle) {
            site.reset(); // the old engine goes first: one engine per site and thread
            site = makeEngine(job->bundle, m_store, m_options, network);
        }
        site->lastUsed = ++uses;
        // Every QJSValue of the invocation lives in this scope: none may outlive its engine,
        // which goes right after a stopped invocation.
        Stop stop = Stop::None;
        QString problem;
        Response response = [&] {
            QJSEngine &engine = *site->engine;
            QJSValue query; // undefined: the script builds the empty object itself
            const http::Request &request = job->request;
            if (!request.query().isEmpty()) {
                query = engine.newObject();
                for (const auto &[name, value] :
                     QUrlQuery(QString::fromUtf8(request.query())).queryItems(QUrl::FullyDecoded))
                    if (!query.hasOwnProperty(name))
                        query.setProperty(name, value);
            }
            const QByteArrayView raw = request.rawHead();
            const auto &fields = request.head().fields;
            const QByteArrayView fieldBytes =
                fields.isEmpty()
                    ? QByteArrayView()
                    : raw.sliced(fields.front().name.offset, fields.back().value.offset +
                                                                 fields.back().value.length -
                                                                 fields.front().name.offset);
            // "name\nvalue\n...", names in lower case (made only when the fields changed).
            const auto headerText = [&] {
                QString headers;
                for (const http::RequestHead::Field &field : fields) {
                    if (!headers.isEmpty())
                        headers += u'\n';
                    headers += QString::fromLatin1(field.name.in(raw)).toLower() + u'\n' +
                               QString::fromUtf8(field.value.in(raw));
                }
                return headers;
            };
            const QByteArrayView clientKey(reinterpret_cast<const char *>(job->client.constData()),
                                           job->client.size() * qsizetype(sizeof(QChar)));
            QJSValueList &args = site->args;
            args.resize(7);
            args[0] = site->string(SiteEngine::Method, request.methodText(),
                                   [&] { return QString::fromLatin1(request.methodText()); });
            args[1] = site->string(SiteEngine::Path, request.path(), [&] { return job->path; });
            args[2] = query;
            args[3] = site->string(SiteEngine::Headers, fieldBytes, headerText);
            args[4] = job->body.isEmpty() ? QJSValue() : QJSValue(QString::fromUtf8(job->body));
            args[5] = job->body.isEmpty() ? QJSValue() : engine.toScriptValue(job->body);
            args[6] = site->string(SiteEngine::Client, clientKey, [&] { return job->client; });

            const qint64 deadline = steadyMs() + bundle.timeoutMs;
            site->host->begin(deadline);
            {
                std::lock_guard lock(slot.mutex);
                slot.engine = &engine;
                slot.deadlineMs = deadline;
                slot.startRss = rssNow();
                slot.stop = Stop::None;
            }
            const QJSValue result = site->invoke.call(args);
            args[2] = args[4] = args[5] = QJSValue(); // no request's body outlives it here
            {
                std::lock_guard lock(slot.mutex);
                stop = slot.stop;
                slot.engine = nullptr;
            }
            Response answer;
            if (stop == Stop::Timeout) {
                ++m_timeouts;
                problem =
                    QStringLiteral("The function ran past its %1 ms deadline and was stopped.")
                        .arg(bundle.timeoutMs);
                answer = jsonError(504, problem, job->isHead);
            } else if (stop == Stop::Memory) {
                ++m_memoryStops;
                problem = QStringLiteral("The function used more than %1 MiB of memory and was "
                                         "stopped.")
                              .arg(m_options.memoryBytes >> 20);
                answer = jsonError(500, problem, job->isHead);
            } else {
                answer = responseOf(engine, result, *job, m_options.maxResponseBytes, problem);
                if (!problem.isEmpty()) {
                    ++m_errors;
                    answer = jsonError(500,
                                       bundle.isDevelopment
                                           ? problem
                                           : QStringLiteral("The function failed; the site's log "
                                                            "says why."),
                                       job->isHead);
                }
            }
            return answer;
        }();
        if (!problem.isEmpty())
            site->host->note(QStringLiteral("error"),
                             QString::fromLatin1(job->request.methodText()) + u' ' + job->path +
                                 QStringLiteral(": ") + problem);
        QList<functions::LogEntry> lines = site->host->takeLog();
        if (!lines.isEmpty())
            (void)m_store.appendLog(bundle.siteId, std::move(lines));
        if (stop != Stop::None) {
            // Whatever the script left behind (a half-built module, a huge heap) goes with it.
            site.reset();
            engines.remove(bundle.site);
        } else if (engines.size() > m_options.enginesPerThread) {
            auto oldest =
                std::min_element(engines.begin(), engines.end(), [](const auto &a, const auto &b) {
                    return a->lastUsed < b->lastUsed;
                });
            engines.erase(oldest);
        }
        m_running.fetch_sub(1, std::memory_order_relaxed);
        slot.busySinceMs = 0;
        const double seconds = job->started.nsecsElapsed() / 1e9;
        finish(std::move(job), std::move(response), seconds);
    }
    engines.clear();
    m_vfs.database().releaseReader();
}

void FunctionRuntime::watch() {
    pthread_setname_np(pthread_self(), "fazt-js-watch");
    std::vector<std::shared_ptr<Job>> expired;
    for (;;) {
        Slot *woken = nullptr;
        {
            std::unique_lock lock(m_queueMutex);
            if (m_busy.load() == 0 && !m_isStopping) {
                // Nothing admitted, so nothing to watch: sleep until submit() brings a job
                // (an idle server does not wake 200 times a second). The RSS sample goes
                // stale meanwhile; the first invocation takes a fresh one.
                m_rssIsStale = true;
                m_isWatchdogIdle = true;
                m_watchdogWake.wait(lock, [this] { return m_isStopping || m_busy.load() > 0; });
                m_isWatchdogIdle = false;
            } else if (m_watchdogWake.wait_for(lock, std::chrono::milliseconds(WatchIntervalMs),
                                               [this] { return m_isStopping; })) {
                return;
            }
            if (m_isStopping)
                return;
            // With jobs waiting, a parked thread helps while fewer than the cores progress.
            const qint64 now = steadyMs();
            int heldUp = 0;
            for (const auto &slot : m_slots) {
                const qint64 since = slot->busySinceMs.load(std::memory_order_relaxed);
                heldUp += since != 0 && (slot->isWaitingOnHost.load(std::memory_order_relaxed) ||
                                         now - since >= HeldUpMs);
            }
            if (!m_queue.empty() && m_awake - heldUp < m_runningTarget)
                woken = unpark();
            while (!m_queue.empty() &&
                   m_queue.front()->started.hasExpired(m_options.maxQueueWaitMs)) {
                expired.push_back(std::move(m_queue.front()));
                m_queue.pop_front();
            }
            m_queued.store(int(m_queue.size()), std::memory_order_relaxed);
        }
        notify(woken);
        for (const auto &job : expired) {
            m_busy.fetch_sub(1);
            job->responder.respond(refusal(*job), job);
        }
        expired.clear();
        const qint64 rss = residentBytes();
        m_rssBytes = rss;
        m_rssIsStale = false;
        if (m_busy.load() == 0)
            continue;
        const qint64 now = steadyMs();
        for (const auto &slot : m_slots) {
            std::lock_guard lock(slot->mutex);
            if (!slot->engine || slot->stop != Stop::None)
                continue;
            if (now >= slot->deadlineMs)
                slot->stop = Stop::Timeout;
            else if (rss - slot->startRss > m_options.memoryBytes)
                slot->stop = Stop::Memory;
            else
                continue;
            slot->engine->setInterrupted(true);
        }
    }
}

FunctionRuntime::Counters FunctionRuntime::counters() const {
    Counters c;
    c.invocations = m_invocations;
    c.errors = m_errors;
    c.timeouts = m_timeouts;
    c.memoryStops = m_memoryStops;
    c.rejected = m_rejected;
    const int running = std::max(0, m_running.load());
    c.running = quint64(running);
    c.waiting = quint64(std::max(0, m_busy.load() - running));
    for (size_t i = 0; i < m_latency.size(); ++i)
        c.latencyBuckets[i] = m_latency[i];
    c.latencySumSeconds = m_latencySumNs / 1e9;
    return c;
}

QByteArray FunctionRuntime::prometheus() const {
    const Counters c = counters();
    QByteArray out;
    const auto line = [&out](QByteArrayView name, double value, QByteArrayView labels = {}) {
        out += guard::prometheusLine(name, value, labels);
    };
    const std::pair<const char *, double> counters[] = {
        {"fazt_function_invocations_total", double(c.invocations)},
        {"fazt_function_errors_total", double(c.errors)},
        {"fazt_function_timeouts_total", double(c.timeouts)},
        {"fazt_function_memory_stops_total", double(c.memoryStops)},
        {"fazt_function_rejected_total", double(c.rejected)}};
    for (const auto &[name, value] : counters) {
        out += QByteArray("# TYPE ") + name + " counter\n";
        line(name, value);
    }
    out += "# TYPE fazt_function_running gauge\n";
    line("fazt_function_running", double(c.running));
    out += "# TYPE fazt_function_waiting gauge\n";
    line("fazt_function_waiting", double(c.waiting));
    out += "# TYPE fazt_function_duration_seconds histogram\n";
    quint64 cumulative = 0;
    for (size_t i = 0; i < LatencyBounds.size(); ++i) {
        cumulative += c.latencyBuckets[i];
        line("fazt_function_duration_seconds_bucket", double(cumulative),
             QByteArray("le=\"" + QByteArray::number(LatencyBounds[i], 'g', 6) + '"'));
    }
    cumulative += c.latencyBuckets.back();
    line("fazt_function_duration_seconds_bucket", double(cumulative), "le=\"+Inf\"");
    line("fazt_function_duration_seconds_sum", c.latencySumSeconds);
    line("fazt_function_duration_seconds_count", double(cumulative));
    return out;
}

namespace {

Response responseOf(QJSEngine &engine, const QJSValue &result, const FunctionRuntime::Job &job,
                    qint64 maxBytes, QString &problem) {
    // The bootstrap's invoke() answers JSON text (status 200), "#<status><kind><body>",
    // [status, kind, body, headers], or "!<the error>".
    int status = 0;
    QString statusText;
    char kind = 'n';
    QByteArray bytes;
    QJSValue headers;
    if (result.isString()) {
        const QString text = result.toString();
        if (!text.startsWith(u'#') && !text.startsWith(u'!')) {
            status = 200;
            kind = 'j';
            bytes = text.toUtf8();
        } else if (text.startsWith(u'!') || text.size() < 5) {
            problem = text.mid(1);
            return {};
        } else {
            statusText = text.sliced(1, 3);
            status = statusText.toInt();
            kind = char(text[4].unicode());
            bytes = QStringView(text).sliced(5).toUtf8();
        }
    } else if (result.isArray()) {
        const QJSValue statusValue = result.property(0);
        const double number = statusValue.toNumber();
        status = number >= 200 && number <= 599 && number == std::floor(number) ? int(number) : 0;
        statusText = statusValue.toString();
        const QString kindText = result.property(1).toString();
        kind = kindText.isEmpty() ? 'n' : char(kindText.front().unicode());
        const QJSValue body = result.property(2);
        bytes = kind == 'b' ? engine.fromScriptValue<QByteArray>(body) : body.toString().toUtf8();
        headers = result.property(3);
    } else {
        problem = result.toString();
        return {};
    }
    if (status < 200 || status > 599) {
        problem =
            QStringLiteral("The function answered with status %1; use 200-599.").arg(statusText);
        return {};
    }
    if (bytes.size() > maxBytes) {
        problem = QStringLiteral("The function's response is larger than %1 bytes.").arg(maxBytes);
        return {};
    }
    QByteArray contentType = kind == 'j'   ? "application/json"
                             : kind == 'b' ? "application/octet-stream"
                             : kind == 't' ? "text/plain; charset=utf-8"
                                           : QByteArray(); // no body
    QByteArray extra;
    QJSValueIterator it(headers);
    while (it.hasNext()) {
        it.next();
        const QByteArray name = it.name().toUtf8();
        const QByteArray value = it.value().toString().toUtf8();
        if (!isToken(name) || value.contains('\r') || value.contains('\n') ||
            value.contains('\0')) {
            problem = QStringLiteral("The function set an invalid header '%1'.")
                          .arg(QString::fromUtf8(name.left(100)));
            return {};
        }
        if (isReservedHeader(name))
            continue;
        if (name.compare("content-type", Qt::CaseInsensitive) == 0)
            contentType = value;
        else
            extra += name + ": " + value + "\r\n";
    }
    if (status == 204 || status == 304)
        bytes.clear();
    Response response = http::makeResponse(status, contentType, std::move(bytes), job.isHead);
    response.head += extra;
    response.head += "Cache-Control: no-store\r\n";
    return response;
}

} // namespace

} // namespace fazt::hosting

#include "functionruntime.moc"
