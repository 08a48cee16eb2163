#include "secretstore.h"

#include <QMetaObject>
#include <qt6keychain/keychain.h>

namespace fazt::console {

namespace {

// Callbacks run from the event loop, never inside the call that asked: callers can rely on it.
template <typename F> void later(QObject *context, F f) {
    QMetaObject::invokeMethod(context, std::move(f), Qt::QueuedConnection);
}

} // namespace

// --- MemorySecretStore --------------------------------------------------------------------

void MemorySecretStore::read(const QString &key, Read done) {
    const auto it = m_secrets.constFind(key);
    Result<QByteArray> result = it == m_secrets.constEnd()
                                    ? Result<QByteArray>(Error::notFound(
                                          QStringLiteral("No token is stored for %1.").arg(key)))
                                    : Result<QByteArray>(*it);
    later(this, [done = std::move(done), result = std::move(result)] { done(result); });
}

void MemorySecretStore::write(const QString &key, const QByteArray &secret, Done done) {
    m_secrets.insert(key, secret);
    later(this, [done = std::move(done)] { done({}); });
}

void MemorySecretStore::remove(const QString &key, Done done) {
    m_secrets.remove(key);
    later(this, [done = std::move(done)] { done({}); });
}

// --- KeychainSecretStore ------------------------------------------------------------------

KeychainSecretStore::KeychainSecretStore(QString service, QObject *parent)
    : SecretStore(parent)
    , m_service(std::move(service)) {}

bool KeychainSecretStore::fallBackIfUnavailable(int error, const QString &errorString) {
    if (error != QKeychain::NoBackendAvailable && error != QKeychain::NotImplemented &&
        error != QKeychain::OtherError && error != QKeychain::AccessDenied)
        return false;
    if (!m_isUnavailable) {
        m_isUnavailable = true;
        m_unavailableReason = errorString;
        Q_EMIT keychainUnavailable(errorString);
    }
    return true;
}

void KeychainSecretStore::read(const QString &key, Read done) {
    if (m_isUnavailable) {
        m_fallback.read(key, std::move(done));
        return;
    }
    auto *job = new QKeychain::ReadPasswordJob(m_service, this);
    job->setKey(key);
    connect(job, &QKeychain::Job::finished, this,
            [this, key, done = std::move(done)](QKeychain::Job *j) {
                auto *readJob = static_cast<QKeychain::ReadPasswordJob *>(j);
                if (j->error() == QKeychain::NoError) {
                    done(readJob->binaryData());
                    return;
                }
                if (j->error() == QKeychain::EntryNotFound) {
                    done(Error::notFound(QStringLiteral("No token is stored for %1.").arg(key)));
                    return;
                }
                if (fallBackIfUnavailable(j->error(), j->errorString())) {
                    m_fallback.read(key, done);
                    return;
                }
                done(Error::io(QStringLiteral("The keychain refused to give the token for %1: %2")
                                   .arg(key, j->errorString())));
            });
    job->start();
}

void KeychainSecretStore::write(const QString &key, const QByteArray &secret, Done done) {
    if (m_isUnavailable) {
        m_fallback.write(key, secret, std::move(done));
        return;
    }
    auto *job = new QKeychain::WritePasswordJob(m_service, this);
    job->setKey(key);
    job->setBinaryData(secret);
    connect(job, &QKeychain::Job::finished, this,
            [this, key, secret, done = std::move(done)](QKeychain::Job *j) {
                if (j->error() == QKeychain::NoError) {
                    done({});
                    return;
                }
                if (fallBackIfUnavailable(j->error(), j->errorString())) {
                    m_fallback.write(key, secret, done);
                    return;
                }
                done(Error::io(QStringLiteral("The keychain refused to store the token for %1: %2")
                                   .arg(key, j->errorString())));
            });
    job->start();
}

void KeychainSecretStore::remove(const QString &key, Done done) {
    if (m_isUnavailable) {
        m_fallback.remove(key, std::move(done));
        return;
    }
    auto *job = new QKeychain::DeletePasswordJob(m_service, this);
    job->setKey(key);
    connect(job, &QKeychain::Job::finished, this,
            [this, key, done = std::move(done)](QKeychain::Job *j) {
                if (j->error() == QKeychain::NoError || j->error() == QKeychain::EntryNotFound) {
                    done({});
                    return;
                }
                if (fallBackIfUnavailable(j->error(), j->errorString())) {
                    m_fallback.remove(key, done);
                    return;
                }
                done(Error::io(QStringLiteral("The keychain refused to delete the token for %1: %2")
                                   .arg(key, j->errorString())));
            });
    job->start();
}

} // namespace fazt::console
