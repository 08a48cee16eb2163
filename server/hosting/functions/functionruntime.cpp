#include "hosting/functions/functionruntime.h"

#include "db/database.h"
#include "hosting/functions/answerresponse.h"
#include "vfs/vfs.h"

#include <QCryptographicHash>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>

namespace fazt::hosting {

namespace {

constexpr qint64 MaxSourceBytes = 8 << 20; // all of a deploy's api/*.js together

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

functions::WorkerPool::Options poolOptions(const FunctionRuntime::Options &options) {
    functions::WorkerPool::Options pool;
    pool.slots = std::max(0, options.maxConcurrent);
    pool.maxQueued = options.maxQueued < 0 ? 8 * pool.slots : options.maxQueued;
    pool.maxQueueWaitMs = options.maxQueueWaitMs;
    pool.memoryBytes = options.memoryBytes;
    pool.maxResponseBytes = options.maxResponseBytes;
    pool.fetchMaxBytes = options.fetchMaxBytes;
    pool.fetchTimeoutMs = options.fetchTimeoutMs;
    pool.crashLimit = options.crashLimit;
    return pool;
}

} // namespace

FunctionRuntime::FunctionRuntime(vfs::Vfs &vfs, fazt::functions::FunctionStore &store,
                                 Options options)
    : m_vfs(vfs)
    , m_store(store)
    , m_options(std::move(options))
    , m_pool(store, vfs.database(), poolOptions(m_options)) {}

FunctionRuntime::~FunctionRuntime() = default;

std::shared_ptr<const functions::Bundle> FunctionRuntime::bundleFor(const QString &site) {
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
    auto bundle = std::make_shared<functions::Bundle>();
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
        bundle->sources.append({file.path, *source});
        bundle->hasMain = bundle->hasMain || file.path == QLatin1String("api/main.js");
    }
    if (bundle->hasMain) {
        auto env = m_store.env(info->id);
        auto egress = m_store.egress(info->id);
        if (!env || !egress)
            return nullptr;
        bundle->env = *env;
        bundle->egress = *egress;
    }
    QMutexLocker lock(&m_bundlesMutex);
    bundle->key = m_nextKey++;
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
    const auto answerNow = [&exchange, &counter](http::Response response) {
        if (counter)
            counter(response);
        exchange.respond(std::move(response));
    };
    if (m_options.maxConcurrent <= 0) {
        answerNow(functions::jsonError(503,
                                       QStringLiteral("Functions are turned off on this machine "
                                                      "(maxConcurrentJs is 0).")));
        return true;
    }
    if (const int seconds = m_pool.backoffSeconds(site); seconds > 0) {
        m_pool.countBackedOff();
        http::Response backedOff = functions::jsonError(
            503,
            QStringLiteral("This site's functions keep crashing their workers, so they are "
                           "paused for %1 s. The site's log says why.")
                .arg(seconds));
        backedOff.retryAfterSeconds = int(seconds);
        answerNow(std::move(backedOff));
        return true;
    }
    // Every slot busy and the waiting room full: refused before any work on the request (the
    // exact check, which takes the place, comes once the body is in).
    if (m_pool.isFull()) {
        functions::Job refused;
        refused.counter = std::move(counter);
        exchange.respond(m_pool.refusal(refused));
        return true;
    }
    auto job = std::make_shared<functions::Job>();
    job->bundle = std::move(bundle);
    job->request = request;
    job->path = path.toUtf8();
    job->client = (m_options.clientOf ? m_options.clientOf(request) : anonymousClient(request))
                      .toLatin1();
    job->counter = std::move(counter);
    exchange.receiveBody(m_options.maxRequestBytes,
                         [this, &exchange, job](QByteArrayView piece, bool last) {
                             job->body.append(piece);
                             if (!last)
                                 return;
                             if (!m_pool.admit()) {
                                 exchange.respond(m_pool.refusal(*job));
                                 return;
                             }
                             job->responder = exchange.defer();
                             job->started.start();
                             m_pool.submit(job);
                         });
    return true;
}

QJsonObject FunctionRuntime::metricsJson() const {
    const Counters c = counters();
    return QJsonObject{{QStringLiteral("slots"), m_pool.slots()},
                       {QStringLiteral("waitingRoom"), m_pool.options().maxQueued},
                       {QStringLiteral("memoryBytesPerWorker"), m_options.memoryBytes},
                       {QStringLiteral("running"), qint64(c.running)},
                       {QStringLiteral("waiting"), qint64(c.waiting)},
                       {QStringLiteral("invocations"), qint64(c.invocations)},
                       {QStringLiteral("errors"), qint64(c.errors)},
                       {QStringLiteral("timeouts"), qint64(c.timeouts)},
                       {QStringLiteral("memoryStops"), qint64(c.memoryStops)},
                       {QStringLiteral("rejected"), qint64(c.rejected)},
                       {QStringLiteral("crashes"), qint64(c.crashes)},
                       {QStringLiteral("memoryKills"), qint64(c.memoryKills)},
                       {QStringLiteral("deadlineKills"), qint64(c.deadlineKills)},
                       {QStringLiteral("restarts"), qint64(c.restarts)},
                       {QStringLiteral("backedOff"), qint64(c.backedOff)},
                       {QStringLiteral("pipelined"), qint64(c.pipelined)},
                       {QStringLiteral("requeued"), qint64(c.requeued)},
                       {QStringLiteral("workers"), m_pool.workersJson()},
                       {QStringLiteral("latencySumSeconds"), c.latency.sumSeconds}};
}

} // namespace fazt::hosting
