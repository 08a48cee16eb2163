#include "hosting/functions/scriptworker.h"

#include "hosting/functions/answer.h"
#include "hosting/functions/sandbox.h"
#include "hosting/functions/wire.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QJSEngine>
#include <QJSManagedValue>
#include <QUrl>
#include <QUrlQuery>

#include <array>
#include <atomic>
#include <cerrno>
#include <csignal>
#include <deque>
#include <exception>
#include <new>
#include <malloc.h>
#include <memory>
#include <optional>
#include <pthread.h>
#include <sys/prctl.h>
#include <unistd.h>

namespace fazt::hosting::functions {

namespace {

// The engine's native stack: deep recursion in the engine's own C++ (a regular expression
// nested 40,000 deep, a chain of 100,000 proxies) faults on the guard page below it and ends
// this worker only. The engine checks JS recursion against it itself.
constexpr size_t EngineStackBytes = 64 << 20;
constexpr int MaxLogLinesPerCall = 100;
// How long the worker looks for its next frame, yielding, before it sleeps in recv: under
// load the next request or a call's reply comes within it, and costs no wake-up.
constexpr auto FrameSpin = std::chrono::microseconds(50);
constexpr qsizetype MaxLogMessageBytes = 4096;

// The engine running an invocation, for the deadline signal (SIGUSR1) the server sends.
std::atomic<QJSEngine *> g_running{nullptr};
volatile std::sig_atomic_t g_interrupted = 0;

// Run frames the server sent ahead (pipelined) that came while this worker waited for a
// call's reply or its bundle: kept, in order, and run next (nextRun).
std::deque<QByteArray> g_heldRuns;

// The next frame that is not a Run: the reply (or bundle) the worker waits for.
Channel::Outcome receiveReply(Channel &channel, FrameReader &frame, std::int64_t deadline,
                              std::chrono::microseconds spin = {}) {
    for (;;) {
        const Channel::Outcome outcome = channel.receive(frame, deadline, spin);
        if (outcome != Channel::Outcome::Ok || frame.message() != Message::Run)
            return outcome;
        g_heldRuns.push_back(frame.payload().toByteArray());
    }
}

// The next job's frame: a held one first, else from the server. `held` keeps a held frame's
// bytes for as long as the reader is used.
Channel::Outcome nextRun(Channel &channel, FrameReader &frame, QByteArray &held) {
    if (g_heldRuns.empty())
        return channel.receive(frame, -1, FrameSpin);
    held = std::move(g_heldRuns.front());
    g_heldRuns.pop_front();
    frame = FrameReader(Message::Run, held);
    return Channel::Outcome::Ok;
}

// The exit code the server reads as "out of memory": an allocation failed at the worker's
// address-space limit and nothing caught it.
constexpr int MemoryExitCode = 4;

[[noreturn]] void onTerminate() {
    if (const std::exception_ptr exception = std::current_exception()) {
        try {
            std::rethrow_exception(exception);
        } catch (const std::bad_alloc &) {
            ::_exit(MemoryExitCode);
        } catch (...) {
        }
    }
    std::abort();
}

// A fault or abort right after an allocation failed (the engine's heap does not check every
// mmap) is the memory limit at work: said so with the memory exit code. errno is reset before
// each invocation, so an old failure that the engine handled does not count. Any other fault
// ends the worker as a crash (the default action, re-raised).
void onFault(int signal) {
    if (errno == ENOMEM)
        ::_exit(MemoryExitCode);
    ::signal(signal, SIG_DFL);
    ::raise(signal);
}

void onDeadline(int) {
    g_interrupted = 1;
    if (QJSEngine *engine = g_running.load())
        engine->setInterrupted(true); // an atomic store: safe in a signal handler
}

QString bootstrapSource() {
    QFile file(QStringLiteral(":/functions/bootstrap.js"));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    return QString::fromUtf8(file.readAll());
}

// "name\nvalue\n..." (names in lower case) from the head's field lines as they came in.
QString headerTextOf(QByteArrayView lines) {
    QString text;
    while (!lines.isEmpty()) {
        qsizetype end = lines.indexOf('\n');
        QByteArrayView line = end < 0 ? lines : lines.first(end);
        lines = end < 0 ? QByteArrayView() : lines.sliced(end + 1);
        if (line.endsWith('\r'))
            line.chop(1);
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        if (!text.isEmpty())
            text += u'\n';
        text += QString::fromLatin1(line.first(colon)).toLower() + u'\n' +
                QString::fromUtf8(line.sliced(colon + 1).trimmed());
    }
    return text;
}

} // namespace

// What scripts reach of the host: every method is a message to the server (fazt.kv,
// fazt.fetch) or a line sent to its log, except the module loader, which reads the bundle
// this worker holds.
class ScriptHost : public QObject {
    Q_OBJECT
public:
    struct Bundle {
        quint64 key = 0;
        QString site;
        QHash<QString, QString> sources; // api/... -> source
        QList<std::pair<QString, QString>> env;
    };

    ScriptHost(QJSEngine &engine, Channel &channel, std::shared_ptr<const Bundle> bundle)
        : m_engine(engine)
        , m_channel(channel)
        , m_bundle(std::move(bundle)) {}

    // A new invocation; `committed` is the server's database commit count when it sent it.
    void begin(quint64 committed) {
        m_logLines = 0;
        if (committed != m_committed) {
            m_kv.clear(); // something was written since: every value read may be stale
            m_committed = committed;
        }
    }

    Q_INVOKABLE QJSValue compile(const QString &path) {
        const auto source = m_bundle->sources.constFind(path);
        if (source == m_bundle->sources.constEnd()) {
            m_engine.throwError(QJSValue::ReferenceError,
                                QStringLiteral("Cannot find module '%1'").arg(path));
            return {};
        }
        // The wrapper shares the first line with the module, so line numbers stay true.
        QJSValue function = m_engine.evaluate(
            QStringLiteral("(function (module, exports, require, fazt) {") + *source +
                QStringLiteral("\n})"),
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
        if (!fits(key, MaxKeyChars, "fazt.kv.get: the key"))
            return {};
        const qint64 now = QDateTime::currentSecsSinceEpoch();
        if (const auto cached = m_kv.constFind(key);
            cached != m_kv.cend() && (cached->expiresAt == 0 || cached->expiresAt > now))
            return cached->json ? QJSValue(*cached->json) : QJSValue();
        const auto reply = call(FrameWriter(Message::Call).u8(quint8(CallKind::KvGet)).bytes(
                                    key.toUtf8()),
                                "fazt.kv.get");
        if (!reply || reply->size() < 2)
            return {};
        KvEntry entry;
        entry.expiresAt = reply->at(1).toLongLong();
        if (reply->size() > 2)
            entry.json = QString::fromUtf8(reply->at(2));
        // Kept only if read with nothing committed since this invocation began: the next
        // invocation brings the count again, and a change empties the cache.
        if (reply->at(0).toULongLong() == m_committed && m_kv.size() < MaxCachedKeys &&
            (!entry.json || entry.json->size() <= MaxCachedValueChars))
            m_kv.insert(key, entry);
        return entry.json ? QJSValue(*entry.json) : QJSValue();
    }
    Q_INVOKABLE void kvSet(const QString &key, const QString &json, double ttlSeconds) {
        if (!fits(key, MaxKeyChars, "fazt.kv.set: the key") ||
            !fits(json, MaxValueChars, "fazt.kv.set: the value as JSON"))
            return;
        (void)call(FrameWriter(Message::Call)
                       .u8(quint8(CallKind::KvSet))
                       .bytes(key.toUtf8())
                       .bytes(json.toUtf8())
                       .i64(qint64(ttlSeconds)),
                   "fazt.kv.set");
        m_kv.clear(); // this very write makes what was read stale, for other keys too
    }
    Q_INVOKABLE void kvDelete(const QString &key) {
        if (!fits(key, MaxKeyChars, "fazt.kv.delete: the key"))
            return;
        (void)call(FrameWriter(Message::Call).u8(quint8(CallKind::KvDelete)).bytes(key.toUtf8()),
                   "fazt.kv.delete");
        m_kv.clear();
    }
    Q_INVOKABLE QJSValue kvList(const QString &prefix) {
        if (!fits(prefix, MaxKeyChars, "fazt.kv.list: the prefix"))
            return {};
        const auto reply = call(
            FrameWriter(Message::Call).u8(quint8(CallKind::KvList)).bytes(prefix.toUtf8()),
            "fazt.kv.list");
        if (!reply)
            return {};
        QJSValue keys = m_engine.newArray(uint(reply->size()));
        for (qsizetype i = 0; i < reply->size(); ++i)
            keys.setProperty(quint32(i), QString::fromUtf8(reply->at(i)));
        return keys;
    }
    Q_INVOKABLE QJSValue fetch(const QString &url, const QString &method,
                               const QString &headersJson, const QString &body) {
        if (!fits(url, MaxKeyChars, "fazt.fetch: the URL") ||
            !fits(headersJson, MaxKeyChars * 16, "fazt.fetch: the headers") ||
            !fits(body, MaxFetchBodyChars, "fazt.fetch: the request body"))
            return {};
        const auto reply = call(FrameWriter(Message::Call)
                                    .u8(quint8(CallKind::Fetch))
                                    .bytes(url.toUtf8())
                                    .bytes(method.toUtf8())
                                    .bytes(headersJson.toUtf8())
                                    .bytes(body.toUtf8()),
                                "fazt.fetch");
        if (!reply || reply->size() != 3)
            return {};
        QJSValue result = m_engine.newObject();
        result.setProperty(QStringLiteral("status"), reply->at(0).toInt());
        QJSValue headers = m_engine.newObject();
        const QList<QByteArray> lines = reply->at(1).split('\n');
        for (qsizetype i = 0; i + 1 < lines.size(); i += 2)
            headers.setProperty(QString::fromLatin1(lines[i]), QString::fromUtf8(lines[i + 1]));
        result.setProperty(QStringLiteral("headers"), headers);
        result.setProperty(QStringLiteral("body"), QString::fromUtf8(reply->at(2)));
        return result;
    }
    Q_INVOKABLE void log(const QString &level, const QJSValue &message) {
        if (++m_logLines > MaxLogLinesPerCall)
            return; // the server notes how many went missing
        QByteArray text = message.toString().toUtf8();
        if (text.size() > MaxLogMessageBytes)
            text.truncate(MaxLogMessageBytes);
        (void)m_channel.send(FrameWriter(Message::Log)
                                 .u8(level == QLatin1String("error") ? 1 : 0)
                                 .bytes(text)
                                 .finish(),
                             -1);
    }

private:
    // Bounds on what a call carries, checked here so that a script gets a clear error and the
    // frame stays well within what the server reads (the server's own limits are lower still
    // for keys and values: 512 bytes and 256 KiB).
    static constexpr qsizetype MaxKeyChars = 64 * 1024;
    static constexpr qsizetype MaxValueChars = 1 << 20;
    static constexpr qsizetype MaxFetchBodyChars = 4 << 20;

    bool fits(const QString &text, qsizetype maxChars, const char *what) {
        if (text.size() <= maxChars)
            return true;
        m_engine.throwError(QJSValue::RangeError,
                            QLatin1String(what) + QStringLiteral(" is longer than %1 characters")
                                                      .arg(maxChars));
        return false;
    }

    // Sends a call and waits for its reply: its fields, or an error thrown into the script.
    std::optional<QList<QByteArray>> call(FrameWriter &frame, const char *what) {
        FrameReader reply;
        if (m_channel.send(frame.finish(), -1) != Channel::Outcome::Ok ||
            receiveReply(m_channel, reply, -1, FrameSpin) != Channel::Outcome::Ok ||
            reply.message() != Message::Reply)
            ::_exit(3); // the server is gone or confused: nothing sensible is left to do
        const bool isOk = reply.u8() != 0;
        const quint32 count = reply.u32();
        QList<QByteArray> fields;
        for (quint32 i = 0; i < count && reply.isValid(); ++i)
            fields.append(reply.bytes().toByteArray());
        if (!reply.isValid())
            ::_exit(3);
        if (!isOk) {
            m_engine.throwError(QLatin1String(what) + QStringLiteral(": ") +
                                QString::fromUtf8(fields.value(0)));
            return std::nullopt;
        }
        return fields;
    }

    // fazt.kv values read, valid while the database commits nothing (a busy function that
    // reads the same keys then costs no message to the server): a script sees the store as it
    // was when its invocation began, or newer, and its own writes.
    struct KvEntry {
        std::optional<QString> json; // nullopt: absent
        qint64 expiresAt = 0;        // Unix seconds; 0: never
    };
    static constexpr qsizetype MaxCachedKeys = 256;
    static constexpr qsizetype MaxCachedValueChars = 4096;

    QJSEngine &m_engine;
    Channel &m_channel;
    const std::shared_ptr<const ScriptHost::Bundle> m_bundle;
    int m_logLines = 0;
    quint64 m_committed = 0;
    QHash<QString, KvEntry> m_kv;
};

namespace {

// The engine of the bundle this worker holds.
struct SiteEngine {
    std::shared_ptr<const ScriptHost::Bundle> bundle;
    std::unique_ptr<QJSEngine> engine;
    std::unique_ptr<ScriptHost> host;
    QJSValue invoke;

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

std::unique_ptr<SiteEngine> makeEngine(std::shared_ptr<const ScriptHost::Bundle> bundle,
                                       Channel &channel, const QString &bootstrap) {
    auto site = std::make_unique<SiteEngine>();
    site->bundle = bundle;
    site->engine = std::make_unique<QJSEngine>();
    site->host = std::make_unique<ScriptHost>(*site->engine, channel, std::move(bundle));
    QJSEngine &engine = *site->engine;
    QJSValue env = engine.newObject();
    for (const auto &[name, value] : site->bundle->env)
        env.setProperty(name, value);
    QJSEngine::setObjectOwnership(site->host.get(), QJSEngine::CppOwnership); // before wrapping
    const QJSValue factory = engine.evaluate(bootstrap);
    site->invoke =
        factory.isError()
            ? factory
            : factory.call({engine.newQObject(site->host.get()), env, engine.globalObject()});
    return site;
}

class Worker {
public:
    Worker(int fd, qint64 memoryBytes)
        : m_channel(fd)
        , m_memoryBytes(memoryBytes) {}

    int run() {
        m_bootstrap = bootstrapSource();
        if (m_bootstrap.isEmpty())
            return fatal(QStringLiteral("the bootstrap script is missing from the binary"));
        warmUp();
        if (Status s = sandbox::limitMemory(m_memoryBytes); !s)
            return fatal(s.error().message);
        if (Status s = sandbox::enter(); !s)
            return fatal(s.error().message);
        if (m_channel.send(FrameWriter(Message::Ready).i64(m_memoryBytes).finish(), -1) !=
            Channel::Outcome::Ok)
            return 0;
        for (;;) {
            FrameReader frame;
            QByteArray held;
            const Channel::Outcome outcome = nextRun(m_channel, frame, held);
            if (outcome == Channel::Outcome::Closed)
                return 0;
            if (outcome != Channel::Outcome::Ok || frame.message() != Message::Run)
                return fatal(QStringLiteral("unexpected message from the server"));
            if (!runOne(frame))
                return 3;
        }
    }

private:
    static int fatal(const QString &why) {
        qWarning("fazt function worker: %s", qPrintable(why));
        return 2;
    }

    // Everything the engine loads on first use (its JIT, the regular expression compiler,
    // the JSON and Date code) is loaded before the sandbox closes the filesystem.
    void warmUp() {
        QJSEngine engine;
        const QJSValue factory = engine.evaluate(m_bootstrap);
        (void)factory;
        (void)engine.evaluate(QStringLiteral(
            "JSON.stringify({a: [1, 'b', /x+/g.test('xx')], d: new Date(0).toISOString(), "
            "n: (1.5).toFixed(2), s: 'A'.toLowerCase().localeCompare('b')})"));
    }

    // One invocation; false if the channel broke.
    bool runOne(FrameReader &frame) {
        const quint64 key = quint64(frame.i64());
        const quint64 committed = quint64(frame.i64());
        const QByteArrayView method = frame.bytes();
        const QByteArrayView path = frame.bytes();
        const QByteArrayView query = frame.bytes();
        const QByteArrayView fieldLines = frame.bytes();
        const QByteArrayView body = frame.bytes();
        const QByteArrayView client = frame.bytes();
        if (!frame.isValid())
            return false;
        if (!m_site || m_site->bundle->key != key) {
            // The frame's views go with the next receive: keep what the invocation needs.
            const QByteArray kept[] = {method.toByteArray(), path.toByteArray(),
                                       query.toByteArray(), fieldLines.toByteArray(),
                                       body.toByteArray(), client.toByteArray()};
            if (!loadBundle(key))
                return false;
            return invoke(committed, kept[0], kept[1], kept[2], kept[3], kept[4], kept[5]);
        }
        return invoke(committed, method, path, query, fieldLines, body, client);
    }

    bool loadBundle(quint64 key) {
        m_site.reset(); // the old engine goes first
        if (m_channel.send(FrameWriter(Message::NeedBundle).i64(qint64(key)).finish(), -1) !=
            Channel::Outcome::Ok)
            return false;
        FrameReader frame;
        if (receiveReply(m_channel, frame, -1) != Channel::Outcome::Ok ||
            frame.message() != Message::Bundle)
            return false;
        auto bundle = std::make_shared<ScriptHost::Bundle>();
        bundle->key = quint64(frame.i64());
        bundle->site = QString::fromUtf8(frame.bytes());
        for (quint32 i = 0, n = frame.u32(); i < n && frame.isValid(); ++i) {
            const QString path = QString::fromUtf8(frame.bytes());
            bundle->sources.insert(path, QString::fromUtf8(frame.bytes()));
        }
        for (quint32 i = 0, n = frame.u32(); i < n && frame.isValid(); ++i) {
            const QString name = QString::fromUtf8(frame.bytes());
            bundle->env.append({name, QString::fromUtf8(frame.bytes())});
        }
        if (!frame.isValid() || bundle->key != key)
            return false;
        // A worker serves one site for its whole life: nothing of another site's code or
        // secrets is ever in its memory.
        if (!m_siteName.isEmpty() && m_siteName != bundle->site)
            return false;
        m_siteName = bundle->site;
        m_site = makeEngine(std::move(bundle), m_channel, m_bootstrap);
        return true;
    }

    bool invoke(quint64 committed, QByteArrayView method, QByteArrayView path, QByteArrayView query,
                QByteArrayView fieldLines, QByteArrayView body, QByteArrayView client) {
        SiteEngine &site = *m_site;
        QJSEngine &engine = *site.engine;
        if (!site.invoke.isCallable())
            return send(FrameWriter(Message::Failed)
                            .u8(quint8(FailReason::Script))
                            .bytes(QByteArray(QByteArray("The function runtime's bootstrap "
                                                         "failed: ") +
                                              site.invoke.toString().toUtf8())));
        QJSValue queryValue; // undefined: the script builds the empty object itself
        if (!query.isEmpty()) {
            queryValue = engine.newObject();
            for (const auto &[name, value] :
                 QUrlQuery(QString::fromUtf8(query)).queryItems(QUrl::FullyDecoded))
                if (!queryValue.hasOwnProperty(name))
                    queryValue.setProperty(name, value);
        }
        QJSValueList &args = site.args;
        args.resize(7);
        args[0] = site.string(SiteEngine::Method, method,
                              [&] { return QString::fromLatin1(method); });
        args[1] = site.string(SiteEngine::Path, path, [&] { return QString::fromUtf8(path); });
        args[2] = queryValue;
        args[3] = site.string(SiteEngine::Headers, fieldLines,
                              [&] { return headerTextOf(fieldLines); });
        args[4] = body.isEmpty() ? QJSValue() : QJSValue(QString::fromUtf8(body));
        args[5] = body.isEmpty() ? QJSValue() : engine.toScriptValue(body.toByteArray());
        args[6] = site.string(SiteEngine::Client, client,
                              [&] { return QString::fromLatin1(client); });
        site.host->begin(committed);
        g_interrupted = 0;
        errno = 0;
        engine.setInterrupted(false);
        g_running = &engine;
        const QJSValue result = site.invoke.call(args);
        // The answer is converted while the deadline still runs: a getter or toJSON that
        // loops is interrupted like the handler itself.
        Answer answer = Answer::fromScript(engine, result);
        g_running = nullptr;
        args[2] = args[4] = args[5] = QJSValue(); // no request's body outlives it here
        if (g_interrupted) {
            // Whatever the script left behind (a half-built module, a huge heap) goes with it.
            m_site.reset();
            return send(FrameWriter(Message::Failed)
                            .u8(quint8(FailReason::Interrupted))
                            .bytes("The function ran past its deadline and was stopped."));
        }
        if (!answer.problem.isEmpty())
            return send(FrameWriter(Message::Failed)
                            .u8(quint8(FailReason::Script))
                            .bytes(answer.problem.toUtf8()));
        FrameWriter frame(Message::Answer);
        answer.write(frame);
        return send(frame);
    }

    bool send(FrameWriter &frame) {
        return m_channel.send(frame.finish(), -1) == Channel::Outcome::Ok;
    }
    bool send(FrameWriter &&frame) { return send(frame); }

    Channel m_channel;
    const qint64 m_memoryBytes;
    QString m_bootstrap;
    QString m_siteName;
    std::unique_ptr<SiteEngine> m_site;
};

struct ThreadArgs {
    int fd;
    qint64 memoryBytes;
    int exitCode = 0;
};

void *engineThread(void *data) {
    auto *args = static_cast<ThreadArgs *>(data);
    // The fault handler runs on its own stack: a stack overflow leaves none on the thread's.
    static char alternateStack[64 * 1024];
    stack_t alternate = {};
    alternate.ss_sp = alternateStack;
    alternate.ss_size = sizeof alternateStack;
    ::sigaltstack(&alternate, nullptr);
    args->exitCode = Worker(args->fd, args->memoryBytes).run();
    return nullptr;
}

} // namespace

int runScriptWorker(int fd, qint64 memoryBytes) {
    // The worker dies with the server, whatever way the server goes.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (::getppid() == 1)
        return 1;
    ::prctl(PR_SET_NAME, "fazt-js-worker");
    // When the machine runs out of memory, the kernel's OOM killer takes a worker (one
    // request) long before the server (every site).
    if (QFile adjust(QStringLiteral("/proc/self/oom_score_adj")); adjust.open(QIODevice::WriteOnly))
        adjust.write("1000");
    // One malloc arena: the address-space limit is then about memory, not reservations.
    ::mallopt(M_ARENA_MAX, 1);
    struct sigaction deadline = {};
    deadline.sa_handler = onDeadline;
    ::sigemptyset(&deadline.sa_mask);
    ::sigaction(SIGUSR1, &deadline, nullptr);
    ::signal(SIGPIPE, SIG_IGN);
    std::set_terminate(onTerminate);
    struct sigaction fault = {};
    fault.sa_handler = onFault;
    fault.sa_flags = SA_ONSTACK;
    ::sigemptyset(&fault.sa_mask);
    for (const int signal : {SIGSEGV, SIGBUS, SIGABRT})
        ::sigaction(signal, &fault, nullptr);

    pthread_attr_t attributes;
    ::pthread_attr_init(&attributes);
    ::pthread_attr_setstacksize(&attributes, EngineStackBytes);
    ::pthread_attr_setguardsize(&attributes, 64 * 1024);
    ThreadArgs args{fd, memoryBytes};
    pthread_t thread;
    // The deadline signal goes to the engine's thread: this one blocks it.
    sigset_t onlyEngine;
    ::sigemptyset(&onlyEngine);
    ::sigaddset(&onlyEngine, SIGUSR1);
    const int created = ::pthread_create(&thread, &attributes, engineThread, &args);
    ::pthread_attr_destroy(&attributes);
    if (created != 0)
        return 2;
    ::pthread_sigmask(SIG_BLOCK, &onlyEngine, nullptr);
    ::pthread_join(thread, nullptr);
    return args.exitCode;
}

int runWorkerCommand(const QStringList &arguments) {
    if (arguments.contains(QLatin1String("--check-sandbox")))
        return sandbox::check();
    const qsizetype at = arguments.indexOf(QLatin1String("--memory"));
    bool isNumber = false;
    const qint64 memory = arguments.value(at + 1).toLongLong(&isNumber);
    if (at < 0 || !isNumber || memory <= 0) {
        qCritical("fazt: __function-worker is started by the server, not by hand.");
        return 1;
    }
    return runScriptWorker(3, memory);
}

} // namespace fazt::hosting::functions

#include "scriptworker.moc"
