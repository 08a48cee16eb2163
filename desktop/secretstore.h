#pragma once

#include "result.h"

#include <QByteArray>
#include <QHash>
#include <QObject>
#include <QString>
#include <QtQml/qqmlregistration.h>

#include <functional>

namespace fazt::console {

// Where the console keeps API tokens: the system keychain (KeychainSecretStore), a file only
// the user can read where there is no keychain (FileSecretStore), or RAM for tests
// (MemorySecretStore). Asynchronous, because a
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

// Secrets in one JSON file of mode 0600 in a folder of mode 0700, as ssh keys and the `fazt`
// CLI's login are kept: for sessions without a keychain. Every write replaces the file
// atomically (QSaveFile), so a crash leaves the old secrets or the new ones, never half.
class FileSecretStore : public SecretStore {
    Q_OBJECT

public:
    explicit FileSecretStore(QString path, QObject *parent = nullptr);

    void read(const QString &key, Read done) override;
    void write(const QString &key, const QByteArray &secret, Done done) override;
    void remove(const QString &key, Done done) override;
    bool isPersistent() const override { return true; }
    QString path() const { return m_path; }
    // Where the console keeps the file: its configuration folder.
    static QString defaultPath();

private:
    Result<QHash<QString, QByteArray>> load() const;
    Status save(const QHash<QString, QByteArray> &secrets) const;

    QString m_path;
};

// The system keychain through QtKeychain (Secret Service or KWallet on Linux). When it turns
// out to be unavailable (no secret service on the session bus, as on servers and under CI), it
// says so once through keychainUnavailable() and keeps secrets in a FileSecretStore at
// `fallbackPath` from then on, so tokens still outlive the console.
class KeychainSecretStore : public SecretStore {
    Q_OBJECT

public:
    KeychainSecretStore(QString service, const QString &fallbackPath, QObject *parent = nullptr);

    void read(const QString &key, Read done) override;
    void write(const QString &key, const QByteArray &secret, Done done) override;
    void remove(const QString &key, Done done) override;
    bool isPersistent() const override { return true; }
    QString unavailableReason() const { return m_unavailableReason; }
    // The file used while the keychain is unavailable.
    QString fallbackPath() const { return m_fallback.path(); }

Q_SIGNALS:
    void keychainUnavailable(const QString &reason);

private:
    // True if the job's error means the keychain itself is missing (then falls back to the file).
    bool fallBackIfUnavailable(int error, const QString &errorString);

    QString m_service;
    bool m_isUnavailable = false;
    QString m_unavailableReason;
    FileSecretStore m_fallback;
};

} // namespace fazt::console
