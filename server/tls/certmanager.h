#pragma once

#include "result.h"
#include "tls/acmeclient.h"
#include "tls/pki.h"

#include <QByteArray>
#include <QHash>
#include <QSet>
#include <QString>
#include <QStringList>

#include <memory>
#include <mutex>

class QObject;
class QThread;

namespace fazt::db {
class Database;
}
namespace fazt::certs {
class CertStore;
}
namespace fazt::hosting {
class HostRouter;
}

namespace fazt::tls {

class CertCache;

// Keeps a certificate for every name fazt answers, on a thread of its own (ACME is slow and
// blocking there is fine; never on an HTTP worker).
//
// Managed names: the base domain, admin.<domain>, root.<domain>, <site>.<domain> for every
// site and every custom domain, re-read from the database every `reconcileMs` (so a site or
// domain added through the API is picked up without the API knowing about TLS). On-demand
// names: a handshake for a name without a certificate (CertCache miss) is queued here; it is
// ordered only if the name maps to a site or the admin (answered from our own database,
// cached), and only within a global rate limit. Unknown names never reach the CA.
//
// A certificate is renewed when a third of its lifetime remains. A failure backs off per name
// (backoffMs, doubling, capped at a day) and never touches the certificate being served.
// Before ordering, the name's lock in the CertStore is taken, and the store is read again:
// a second process on the same database either waits or finds the first one's certificate.
//
// Issuers: an ACME CA, or (--self-signed) a local CA created once and kept in the database,
// for trying HTTPS without a public domain.
class CertManager {
public:
    enum class Mode { Acme, SelfSigned };

    struct Options {
        Mode mode = Mode::Acme;
        QString domain;
        AcmeClient::Options acme;
        qint64 reconcileMs = 60'000;
        qint64 backoffMs = 60'000; // after the first failure; doubles per failure
        int onDemandPerHour = 60;  // global: orders started by handshakes
        int askCacheSeconds = 60;
        qint64 lockSeconds = 600;
    };

    // One row of the admin API's list.
    struct CertStatus {
        QString name;
        QString issuer;
        qint64 notBefore = 0;
        qint64 notAfter = 0;
        QByteArray fingerprint;
        QString lastError;
        qint64 nextAttempt = 0; // Unix seconds; 0: none planned
        int failures = 0;
        bool isManaged = false; // false: obtained on demand
    };

    CertManager(db::Database &database, CertCache &cache, const hosting::HostRouter &router,
                Options options);
    ~CertManager();
    CertManager(const CertManager &) = delete;
    CertManager &operator=(const CertManager &) = delete;

    // Loads the stored certificates into the cache, installs the fallback and the miss
    // handler, and starts the thread (which then obtains what is missing).
    Status start();
    // Ends the conversation in progress (if any) and the thread.
    void stop();

    QList<CertStatus> certificates() const;
    // Orders a fresh certificate for `name` now, whatever the one served says. NotFound if
    // fazt does not manage or serve the name.
    Status renew(const QString &name);
    // Orders placed by this process (for tests and metrics).
    int ordersPlaced() const;
    const Options &options() const { return m_options; }

private:
    struct NameState {
        QString lastError;
        qint64 nextAttempt = 0; // ms since epoch
        int failures = 0;
        bool isForced = false;
        bool isManaged = false;
    };
    class Solver;
    friend class Solver;

    // Manager thread:
    void run();
    void reconcile();
    void processPending();
    bool isDue(const QString &name, qint64 nowMs);
    void obtain(const QString &name);
    Status issue(const QString &name);
    void retryLater(const QString &name, qint64 delayMs);
    Status loadStored(const QString &name);
    Result<bool> isKnownHost(const QString &name);
    Result<QStringList> managedNames();
    Status ensureLocalCa();
    void wake();

    db::Database &m_database;
    CertCache &m_cache;
    const hosting::HostRouter &m_router;
    const Options m_options;
    const QString m_owner; // this process, in the locks table
    std::unique_ptr<certs::CertStore> m_store;
    std::unique_ptr<QThread> m_thread;
    QObject *m_context = nullptr;       // lives on m_thread
    std::unique_ptr<AcmeClient> m_acme; // made in start(), used and freed on the thread
    bool m_isObtaining = false;         // manager thread
    PKey m_caKey;                       // manager thread (self-signed mode)
    Cert m_caCert;

    mutable std::mutex m_mutex; // guards everything below
    QHash<QString, NameState> m_states;
    QSet<QString> m_managed;
    QSet<QString> m_onDemand;  // accepted on-demand names
    QSet<QByteArray> m_misses; // reported by handshakes, not yet asked about
    bool m_isWakePending = false;
    QHash<QString, QPair<bool, qint64>> m_askCache; // name -> (known, expires ms)
    QList<qint64> m_onDemandStarts;                 // ms, within the last hour
    int m_orders = 0;
};

} // namespace fazt::tls
