#pragma once

#include "result.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <functional>

namespace fazt::console {

// Where the console keeps API tokens: the system keychain (KeychainSecretStore), or RAM for
// tests and for machines without a keychain (MemorySecretStore). Asynchronous, because a
// keychain may ask the user or talk to a service over D-Bus; callbacks run on the thread that
// made the call, from its event loop.
class SecretStore : public QObject {
    Q_OBJECT
    QML_ELEMENT
    QML_UNCREATABLE("A SecretStore is a MemorySecretStore or the keychain.")

public:
    using Done = std::function<void(Status)>;
    using Read = std::function<void(Result<QByteArray>)>; // NotFound if there is none

    using QObject::QObject;

    virtual void read(const QString &key, Read done) = 0;
    virtual void write(const QString &key, const QByteArray &secret, Done done) = 0;
    virtual void remove(const QString &key, Done done) = 0;
    // True while secrets outlive the process.
    virtual bool isPersistent() const = 0;
};

// Secrets in RAM, gone when the process ends.
class MemorySecretStore : public SecretStore {
    Q_OBJECT
    QML_ELEMENT

public:
    using SecretStore::SecretStore;

    void read(const QString &key, Read done) override;
    void write(const QString &key, const QByteArray &secret, Done done) override;
    void remove(const QString &key, Done done) override;
    bool isPersistent() const override { return false; }

private:
    QHash<QString, QByteArray> m_secrets;
};

// The system keychain through QtKeychain (Secret Service or KWallet on Linux). When it turns
// out to be unavailable (no secret service on the session bus, as on servers and under CI), it
// says so once through keychainUnavailable() and keeps secrets in RAM from then on, so the
// console still works for the session and tells the user why tokens will not be remembered.
class KeychainSecretStore : public SecretStore {
    Q_OBJECT

public:
    explicit KeychainSecretStore(QString service, QObject *parent = nullptr);

    void read(const QString &key, Read done) override;
    void write(const QString &key, const QByteArray &secret, Done done) override;
    void remove(const QString &key, Done done) override;
    bool isPersistent() const override { return !m_isUnavailable; }
    QString unavailableReason() const { return m_unavailableReason; }

Q_SIGNALS:
    void keychainUnavailable(const QString &reason);

private:
    // True if the job's error means the keychain itself is missing (then falls back to RAM).
    bool fallBackIfUnavailable(int error, const QString &errorString);

    QString m_service;
    bool m_isUnavailable = false;
    QString m_unavailableReason;
    MemorySecretStore m_fallback;
};

} // namespace fazt::console
