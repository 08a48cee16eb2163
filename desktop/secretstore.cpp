#include "secretstore.h"

#include "system/privatefiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QMetaObject>
#include <QSaveFile>
#include <QStandardPaths>
#include <qt6keychain/keychain.h>

#include <sys/stat.h>

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

// --- FileSecretStore ----------------------------------------------------------------------

FileSecretStore::FileSecretStore(QString path, QObject *parent)
    : SecretStore(parent)
    , m_path(std::move(path)) {}

QString FileSecretStore::defaultPath() {
    return QStandardPaths::writableLocation(QStandardPaths::AppConfigLocation) +
           QStringLiteral("/tokens.json");
}

Result<QHash<QString, QByteArray>> FileSecretStore::load() const {
    QHash<QString, QByteArray> secrets;
    QFile file(m_path);
    if (!file.exists())
        return secrets;
    if (!file.open(QIODevice::ReadOnly))
        return Error::io(
            QStringLiteral("Cannot read the tokens in %1: %2").arg(m_path, file.errorString()));
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(file.readAll(), &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return Error::invalid(QStringLiteral("The tokens file %1 is damaged (%2): remove it and "
                                             "add the servers again.")
                                  .arg(m_path, error.errorString()));
    const QJsonObject object = document.object();
    for (auto it = object.begin(); it != object.end(); ++it)
        secrets.insert(it.key(), QByteArray::fromBase64(it.value().toString().toLatin1()));
    return secrets;
}

Status FileSecretStore::save(const QHash<QString, QByteArray> &secrets) const {
    if (Status folder = system::PrivateFiles::makeFolder(QFileInfo(m_path).absolutePath()); !folder)
        return folder;
    QJsonObject object;
    for (auto it = secrets.begin(); it != secrets.end(); ++it)
        object.insert(it.key(), QString::fromLatin1(it.value().toBase64()));
    QSaveFile file(m_path);
    // The new file is 0600 before the first secret is in it, whatever the umask.
    if (!file.open(QIODevice::WriteOnly) || ::fchmod(file.handle(), 0600) != 0 ||
        file.write(QJsonDocument(object).toJson()) < 0 || !file.commit())
        return Error::io(
            QStringLiteral("Cannot write the tokens to %1: %2").arg(m_path, file.errorString()));
    return {};
}

void FileSecretStore::read(const QString &key, Read done) {
    auto secrets = load();
    Result<QByteArray> result = !secrets ? Result<QByteArray>(secrets.error())
                                : secrets->contains(key)
                                    ? Result<QByteArray>(secrets->value(key))
                                    : Result<QByteArray>(Error::notFound(
                                          QStringLiteral("No token is stored for %1.").arg(key)));
    later(this, [done = std::move(done), result = std::move(result)] { done(result); });
}

void FileSecretStore::write(const QString &key, const QByteArray &secret, Done done) {
    auto secrets = load();
    Status status = secrets ? Status() : Status(secrets.error());
    if (secrets) {
        secrets->insert(key, secret);
        status = save(*secrets);
    }
    later(this, [done = std::move(done), status = std::move(status)] { done(status); });
}

void FileSecretStore::remove(const QString &key, Done done) {
    auto secrets = load();
    Status status = secrets ? Status() : Status(secrets.error());
    if (secrets && secrets->remove(key) > 0)
        status = save(*secrets);
    later(this, [done = std::move(done), status = std::move(status)] { done(status); });
}

// --- KeychainSecretStore ------------------------------------------------------------------

KeychainSecretStore::KeychainSecretStore(QString service, const QString &fallbackPath,
                                         QObject *parent)
    : SecretStore(parent)
    , m_service(std::move(service))
    , m_fallback(fallbackPath) {}

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
