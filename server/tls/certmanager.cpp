#include "tls/certmanager.h"

#include "audit/auditlog.h"
#include "certs/certstore.h"
#include "crypto/sha256.h"
#include "db/database.h"
#include "hosting/hostrouter.h"
#include "tls/certcache.h"
#include "tls/clienthello.h"

#include <QDateTime>
#include <QHostAddress>
#include <QScopeGuard>
#include <QThread>
#include <QTimer>
#include <QUuid>

#include <openssl/x509v3.h>

namespace fazt::tls {

namespace {

constexpr qint64 MaxBackoffMs = 24 * 3600 * 1000;
constexpr qint64 LockBusyRetryMs = 2000;
constexpr int MaxQueuedMisses = 1000;
constexpr int MaxAskCache = 10000;

qint64 nowMs() {
    return QDateTime::currentMSecsSinceEpoch();
}

// Two years for the local CA; its certificates 90 days, so each is renewed many times over.
constexpr qint64 LocalCaLifetime = 2 * 365 * 86400;
constexpr qint64 LeafLifetime = 90 * 86400;

// The local CA as this version makes it: constrained to exactly `permitted`, with more than a
// leaf's lifetime left.
bool isCurrentLocalCa(X509 *ca, const QStringList &permitted) {
    time_t cutoff = time_t(QDateTime::currentSecsSinceEpoch() + LeafLifetime);
    if (X509_cmp_time(X509_get0_notAfter(ca), &cutoff) <= 0)
        return false;
    auto *constraints = static_cast<NAME_CONSTRAINTS *>(
        X509_get_ext_d2i(ca, NID_name_constraints, nullptr, nullptr));
    if (!constraints)
        return false;
    QStringList names;
    for (int i = 0; i < sk_GENERAL_SUBTREE_num(constraints->permittedSubtrees); ++i) {
        const GENERAL_NAME *name =
            sk_GENERAL_SUBTREE_value(constraints->permittedSubtrees, i)->base;
        if (name->type == GEN_DNS)
            names.append(QString::fromLatin1(
                reinterpret_cast<const char *>(ASN1_STRING_get0_data(name->d.dNSName)),
                ASN1_STRING_length(name->d.dNSName)));
    }
    NAME_CONSTRAINTS_free(constraints);
    return names == permitted;
}

bool needsRenewal(const CertifiedKey &cert, qint64 now) {
    const qint64 lifetime = std::max<qint64>(cert.notAfter - cert.notBefore, 0);
    return cert.notAfter - now / 1000 < lifetime / 3;
}

} // namespace

// Answers challenges: HTTP-01 from RAM (and the CertStore, so whichever process on this
// database owns the port can answer), TLS-ALPN-01 with a challenge certificate.
class CertManager::Solver final : public AcmeClient::Solver {
public:
    explicit Solver(CertManager &manager)
        : m_manager(manager) {}

    Status present(AcmeClient::ChallengeType type, const QString &name,
                         const QByteArray &token, const QByteArray &keyAuthorization) override {
        if (type == AcmeClient::ChallengeType::Http01) {
            m_manager.m_cache.setHttpToken(token, keyAuthorization);
            return m_manager.m_store->store(certs::CertStore::challengeKey(token),
                                            keyAuthorization);
        }
        CertificateRequest request;
        request.commonName = name;
        request.dnsNames = {name};
        request.validSeconds = 7 * 86400;
        request.acmeIdentifier = crypto::Sha256::hash(keyAuthorization);
        auto certified = makeSelfSigned(request);
        if (!certified)
            return certified.error();
        m_manager.m_cache.setChallenge(name.toLatin1(), *certified);
        return {};
    }

    void cleanUp(AcmeClient::ChallengeType type, const QString &name,
                 const QByteArray &token) override {
        if (type == AcmeClient::ChallengeType::Http01) {
            m_manager.m_cache.removeHttpToken(token);
            (void)m_manager.m_store->remove(certs::CertStore::challengeKey(token));
        } else {
            m_manager.m_cache.removeChallenge(name.toLatin1());
        }
    }

private:
    CertManager &m_manager;
};

CertManager::CertManager(db::Database &database, CertCache &cache,
                         const hosting::HostRouter &router, Options options)
    : m_database(database)
    , m_cache(cache)
    , m_router(router)
    , m_options(std::move(options))
    , m_owner(QUuid::createUuid().toString(QUuid::WithoutBraces))
    , m_store(std::make_unique<certs::CertStore>(database)) {}

CertManager::~CertManager() {
    stop();
}

Status CertManager::start() {
    auto keys = m_store->list(certs::CertStore::certificatePrefix());
    if (!keys)
        return keys.error();
    for (const QString &key : std::as_const(*keys)) {
        const QString name = certs::CertStore::nameOfChainKey(key);
        if (name.isEmpty())
            continue;
        if (Status s = loadStored(name); !s)
            qWarning("fazt: tls: ignoring the stored certificate for %s: %s", qPrintable(name),
                     qPrintable(s.error().message));
    }
    // The fallback: self-signed, for handshakes without a name we have a certificate for.
    CertificateRequest request;
    request.commonName = QStringLiteral("fazt");
    request.validSeconds = 10 * 365 * 86400;
    auto fallback = makeSelfSigned(request);
    if (!fallback)
        return fallback.error();
    m_cache.setFallback(*fallback);
    m_cache.setMissHandler([this](const QByteArray &name) {
        {
            std::lock_guard lock(m_mutex);
            // The common case for scanners and typos: a name already known to be unknown.
            const QString text = QString::fromLatin1(name);
            if (auto it = m_askCache.constFind(text);
                it != m_askCache.constEnd() && !it->first && it->second > nowMs())
                return;
            if (m_misses.size() >= MaxQueuedMisses)
                return;
            m_misses.insert(name);
        }
        wake();
    });

    m_thread = std::make_unique<QThread>();
    m_thread->setObjectName(QStringLiteral("fazt-tls"));
    m_context = new QObject;
    m_context->moveToThread(m_thread.get());
    QObject::connect(m_thread.get(), &QThread::finished, m_context, &QObject::deleteLater);
    QObject::connect(
        m_thread.get(), &QThread::finished, m_context,
        [this] {
            m_acme.reset();
            m_database.releaseReader();
        },
        Qt::DirectConnection);
    if (m_options.mode == Mode::Acme)
        m_acme = std::make_unique<AcmeClient>(*m_store, m_options.acme);
    m_thread->start();
    QMetaObject::invokeMethod(
        m_context, [this] { run(); }, Qt::QueuedConnection);
    return {};
}

void CertManager::stop() {
    if (!m_thread)
        return;
    m_cache.setMissHandler({});
    if (m_acme)
        m_acme->abort(); // a conversation in progress ends at its next request or poll
    // Ends every event loop of the thread, the nested ones of an ACME conversation too; the
    // client and the database reader are then released on the thread (see start()).
    m_thread->quit();
    m_thread->wait();
    m_thread.reset();
    m_context = nullptr;
}

void CertManager::wake() {
    std::lock_guard lock(m_mutex);
    if (m_isWakePending || !m_context)
        return;
    m_isWakePending = true;
    QMetaObject::invokeMethod(
        m_context,
        [this] {
            {
                std::lock_guard inner(m_mutex);
                m_isWakePending = false;
            }
            processPending();
        },
        Qt::QueuedConnection);
}

void CertManager::run() {
    if (m_options.mode == Mode::SelfSigned) {
        if (Status s = ensureLocalCa(); !s) {
            qWarning("fazt: tls: cannot set up the local CA: %s", qPrintable(s.error().message));
            return;
        }
    }
    auto *timer = new QTimer(m_context);
    QObject::connect(timer, &QTimer::timeout, m_context, [this] { reconcile(); });
    timer->start(int(std::min<qint64>(m_options.reconcileMs, 3600'000)));
    reconcile();
}

Status CertManager::ensureLocalCa() {
    const QString keyName = certs::CertStore::localCaKeyKey();
    const QString certName = certs::CertStore::localCaCertificateKey();
    // The local CA may only vouch for this server's names, and not for long: a copy of its key
    // (it lives in fazt.db) is then worth little. One made before (unconstrained, or for
    // another domain, or near its end) is replaced, and the certificates it signed with it.
    QStringList permitted{QStringLiteral("localhost")};
    const QString domain = m_options.domain.toLower();
    if (!domain.isEmpty() && domain != QLatin1String("localhost") && QHostAddress(domain).isNull())
        permitted.prepend(domain);
    auto storedKey = m_store->load(keyName);
    auto storedCert = m_store->load(certName);
    if (storedKey && storedCert) {
        auto key = keyFromPem(*storedKey);
        auto chain = chainFromPem(*storedCert);
        if (!key || !chain)
            return !key ? key.error() : chain.error();
        if (isCurrentLocalCa(chain->first().get(), permitted)) {
            m_caKey = std::move(*key);
            m_caCert.reset(X509_dup(chain->first().get()));
            return {};
        }
        qInfo("fazt: tls: replacing the local CA with one limited to %s",
              qPrintable(permitted.join(QStringLiteral(", "))));
    }
    m_caKey = generateKey();
    CertificateRequest request;
    request.commonName = QStringLiteral("Fazt local CA");
    request.isCa = true;
    request.validSeconds = LocalCaLifetime;
    request.permittedDnsNames = permitted;
    auto cert = makeCertificate(request, m_caKey.get(), nullptr, nullptr);
    if (!cert)
        return cert.error();
    m_caCert = std::move(*cert);
    return m_store->storeAll(
        {{keyName, keyToPem(m_caKey.get())}, {certName, certToPem(m_caCert.get())}});
}

Result<QStringList> CertManager::managedNames() {
    QStringList names;
    const QString domain = m_options.domain;
    const bool isLocal =
        domain == QLatin1String("localhost") || domain.endsWith(QLatin1String(".localhost"));
    // A CA cannot validate localhost; the local CA can sign anything.
    const bool wantsBase = !domain.isEmpty() && (m_options.mode == Mode::SelfSigned || !isLocal) &&
                           QHostAddress(domain).isNull();
    if (wantsBase)
        names << domain << QStringLiteral("admin.") + domain << QStringLiteral("root.") + domain;
    auto sites = m_database.reader().prepare("SELECT name FROM sites ORDER BY name");
    if (!sites)
        return sites.error();
    while (wantsBase && sites->next()) {
        const QString name = sites->text(0) + u'.' + domain;
        if (!names.contains(name))
            names << name;
    }
    if (sites->error())
        return *sites->error();
    auto domains = m_database.reader().prepare("SELECT hostname FROM domains ORDER BY hostname");
    if (!domains)
        return domains.error();
    while (domains->next())
        names << domains->text(0);
    if (domains->error())
        return *domains->error();
    names.removeIf([](const QString &name) { return !isDnsName(name.toLatin1()); });
    return names;
}

void CertManager::reconcile() {
    auto names = managedNames();
    if (!names) {
        qWarning("fazt: tls: cannot list the names to certify: %s",
                 qPrintable(names.error().message));
        return;
    }
    QStringList work;
    {
        std::lock_guard lock(m_mutex);
        m_managed = QSet<QString>(names->begin(), names->end());
        for (const QString &name : m_managed)
            m_states[name].isManaged = true;
        work = *names;
        for (const QString &name : std::as_const(m_onDemand))
            if (!m_managed.contains(name))
                work << name;
    }
    for (const QString &name : std::as_const(work))
        if (isDue(name, nowMs()))
            obtain(name);
}

Result<bool> CertManager::isKnownHost(const QString &name) {
    if (m_options.mode == Mode::Acme &&
        (name == QLatin1String("localhost") || name.endsWith(QLatin1String(".localhost"))))
        return false;
    const hosting::HostRouter::Route route = m_router.route(name.toLatin1());
    if (route.kind == hosting::HostRouter::Route::Kind::Admin)
        return true;
    if (route.kind != hosting::HostRouter::Route::Kind::Site)
        return false;
    auto stmt = m_database.reader().prepare("SELECT 1 FROM sites WHERE name = ?");
    if (!stmt)
        return stmt.error();
    stmt->bind(1, route.site);
    if (stmt->next())
        return true;
    if (stmt->error())
        return *stmt->error();
    return false;
}

void CertManager::processPending() {
    QSet<QByteArray> misses;
    {
        std::lock_guard lock(m_mutex);
        misses.swap(m_misses);
    }
    const qint64 now = nowMs();
    for (const QByteArray &miss : std::as_const(misses)) {
        const QString name = QString::fromLatin1(miss);
        bool isKnown = false;
        {
            std::lock_guard lock(m_mutex);
            if (auto it = m_askCache.constFind(name);
                it != m_askCache.constEnd() && it->second > now) {
                isKnown = it->first;
                if (!isKnown)
                    continue;
            } else {
                auto known = isKnownHost(name);
                isKnown = known && *known;
                if (m_askCache.size() >= MaxAskCache)
                    m_askCache.clear(); // a flood of names: start over rather than grow
                m_askCache.insert(name, {isKnown, now + m_options.askCacheSeconds * 1000});
                if (!isKnown)
                    continue;
            }
            if (!m_managed.contains(name) && !m_onDemand.contains(name)) {
                m_onDemandStarts.removeIf([now](qint64 t) { return t < now - 3600'000; });
                if (m_onDemandStarts.size() >= m_options.onDemandPerHour) {
                    qWarning("fazt: tls: on-demand issuance limit reached; %s waits",
                             qPrintable(name));
                    continue;
                }
                m_onDemandStarts.append(now);
                m_onDemand.insert(name);
            }
        }
        if (isDue(name, nowMs()))
            obtain(name);
    }
}

bool CertManager::isDue(const QString &name, qint64 now) {
    {
        std::lock_guard lock(m_mutex);
        const NameState state = m_states.value(name);
        if (now < state.nextAttempt)
            return false;
        if (state.isForced)
            return true; // until a renewal succeeds
    }
    const CertCache::Certified cert = m_cache.find(name.toLatin1());
    // In self-signed mode, one signed by a local CA since replaced is due too.
    const bool isFromOldCa =
        m_options.mode == Mode::SelfSigned && cert && m_caCert &&
        (cert->chain.size() < 2 || X509_cmp(cert->chain[1].get(), m_caCert.get()) != 0);
    return !cert || !cert->names.contains(name) || isFromOldCa || needsRenewal(*cert, now);
}

Status CertManager::loadStored(const QString &name) {
    auto chain = m_store->load(certs::CertStore::chainKey(name));
    if (!chain)
        return chain.error();
    auto key = m_store->load(certs::CertStore::privateKeyKey(name));
    if (!key)
        return key.error();
    auto certified = loadCertifiedKey(*chain, *key);
    if (!certified)
        return certified.error();
    const CertCache::Certified current = m_cache.find(name.toLatin1());
    if (!current || !current->names.contains(name) || current->notAfter <= (*certified)->notAfter)
        m_cache.insert(*certified);
    return {};
}

void CertManager::obtain(const QString &name) {
    // An ACME conversation spins local event loops, which deliver timers and queued calls:
    // one that wants to start another conversation meanwhile comes back a little later.
    if (m_isObtaining) {
        retryLater(name, LockBusyRetryMs);
        return;
    }
    m_isObtaining = true;
    const auto done = qScopeGuard([this] { m_isObtaining = false; });
    auto locked = m_store->lock(QStringLiteral("cert:") + name, m_owner, m_options.lockSeconds);
    if (!locked || !*locked) {
        // Another process is at it (or the database is busy): look again shortly.
        {
            std::lock_guard lock(m_mutex);
            m_states[name].nextAttempt = nowMs() + LockBusyRetryMs;
        }
        retryLater(name, LockBusyRetryMs);
        return;
    }
    bool isForced = false;
    {
        std::lock_guard lock(m_mutex);
        isForced = m_states[name].isForced;
    }
    Status result;
    // The other process may have finished while we waited for the lock.
    if (!isForced && loadStored(name) && !isDue(name, nowMs())) {
        result = {};
    } else {
        const bool isRenewal = bool(m_store->stat(certs::CertStore::chainKey(name)));
        result = issue(name);
        audit::AuditEntry entry;
        entry.actor = QStringLiteral("system");
        entry.action = !result     ? QStringLiteral("certificate.failed")
                       : isRenewal ? QStringLiteral("certificate.renewed")
                                   : QStringLiteral("certificate.issued");
        entry.target = name;
        entry.detail = result ? QString() : result.error().message;
        (void)audit::AuditLog(m_database).record(std::move(entry));
    }
    (void)m_store->unlock(QStringLiteral("cert:") + name, m_owner);
    qint64 backoff = 0;
    {
        std::lock_guard lock(m_mutex);
        NameState &state = m_states[name];
        if (result) {
            state.isForced = false;
            state.failures = 0;
            state.lastError.clear();
            state.nextAttempt = 0;
            return;
        }
        ++state.failures;
        backoff = std::min(MaxBackoffMs, m_options.backoffMs << std::min(state.failures - 1, 20));
        state.nextAttempt = nowMs() + backoff;
        state.lastError = result.error().message;
        qWarning("fazt: tls: no certificate for %s (attempt %d; next in %lld s): %s",
                 qPrintable(name), state.failures, backoff / 1000,
                 qPrintable(result.error().message));
    }
    retryLater(name, backoff);
}

void CertManager::retryLater(const QString &name, qint64 delayMs) {
    // Precise: a coarse timer may fire a little early, find the name not due yet, and end the
    // chain of retries.
    QTimer::singleShot(int(std::min(delayMs, MaxBackoffMs)), Qt::PreciseTimer, m_context,
                       [this, name] {
                           if (isDue(name, nowMs()))
                               obtain(name);
                       });
}

Status CertManager::issue(const QString &name) {
    QByteArray chainPem;
    QByteArray keyPem;
    if (m_options.mode == Mode::Acme) {
        {
            std::lock_guard lock(m_mutex);
            ++m_orders;
        }
        Solver solver(*this);
        auto issued = m_acme->obtain({name}, solver);
        if (!issued)
            return issued.error();
        chainPem = issued->chainPem;
        keyPem = issued->keyPem;
    } else {
        PKey key = generateKey();
        CertificateRequest request;
        request.commonName = name;
        request.dnsNames = {name};
        request.validSeconds = LeafLifetime;
        auto cert = makeCertificate(request, key.get(), m_caCert.get(), m_caKey.get());
        if (!cert)
            return cert.error();
        chainPem = certToPem(cert->get()) + certToPem(m_caCert.get());
        keyPem = keyToPem(key.get());
    }
    auto certified = loadCertifiedKey(chainPem, keyPem);
    if (!certified)
        return certified.error();
    if (!(*certified)->names.contains(name))
        return Error::invalid(
            QStringLiteral("The CA issued a certificate that does not name %1.").arg(name));
    if (Status s = m_store->storeCertificate(name, keyPem, chainPem); !s)
        return s;
    m_cache.insert(*certified);
    qInfo(
        "fazt: tls: certificate for %s from %s, valid until %s", qPrintable(name),
        qPrintable((*certified)->issuer),
        qPrintable(
            QDateTime::fromSecsSinceEpoch((*certified)->notAfter, Qt::UTC).toString(Qt::ISODate)));
    return {};
}

QList<CertManager::CertStatus> CertManager::certificates() const {
    QSet<QString> names;
    QHash<QString, NameState> states;
    {
        std::lock_guard lock(m_mutex);
        states = m_states;
        names = m_managed + m_onDemand;
        for (auto it = states.cbegin(); it != states.cend(); ++it)
            names.insert(it.key());
    }
    for (const CertCache::Certified &cert : m_cache.all())
        for (const QString &name : cert->names)
            names.insert(name);
    QStringList sorted(names.begin(), names.end());
    sorted.sort();
    QList<CertStatus> list;
    for (const QString &name : std::as_const(sorted)) {
        CertStatus row;
        row.name = name;
        const NameState state = states.value(name);
        row.lastError = state.lastError;
        row.failures = state.failures;
        row.nextAttempt = state.nextAttempt / 1000;
        row.isManaged = state.isManaged;
        if (const CertCache::Certified cert = m_cache.find(name.toLatin1())) {
            row.issuer = cert->issuer;
            row.notBefore = cert->notBefore;
            row.notAfter = cert->notAfter;
            row.fingerprint = cert->fingerprint;
        }
        list.append(row);
    }
    return list;
}

Status CertManager::renew(const QString &name) {
    {
        std::lock_guard lock(m_mutex);
        const bool isKnown =
            m_managed.contains(name) || m_onDemand.contains(name) || m_cache.find(name.toLatin1());
        if (!isKnown)
            return Error::notFound(
                QStringLiteral("fazt has no certificate for %1 to renew.").arg(name));
        NameState &state = m_states[name];
        state.isForced = true;
        state.nextAttempt = 0;
    }
    QMetaObject::invokeMethod(
        m_context,
        [this, name] {
            if (isDue(name, nowMs()))
                obtain(name);
        },
        Qt::QueuedConnection);
    return {};
}

int CertManager::ordersPlaced() const {
    std::lock_guard lock(m_mutex);
    return m_orders;
}

} // namespace fazt::tls
