#pragma once

#include "result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

namespace fazt::crypto {

// Secrets at rest, optionally (as PocketBase does with its encryption key): with
// FAZT_ENCRYPTION_KEY set (or the systemd credential $CREDENTIALS_DIRECTORY/
// fazt-encryption-key), TLS private keys and secret variables are stored sealed with
// AES-256-GCM, a random 96-bit nonce each, as "fazt-enc:v1:" + base64(nonce | ciphertext |
// tag). The prefix carries the version, so rows written before a key was set (plaintext) stay
// readable, and a later scheme can sit beside this one. Without a key, values are stored as
// they are, as before.
//
// The key is the SHA-256 of the configured text, which must have at least 32 characters
// (e.g. `openssl rand -base64 32`). A copy of fazt.db is then useless for these secrets
// without the key: keep the key somewhere else than the backups.
class SecretBox {
public:
    static constexpr QByteArrayView Prefix = "fazt-enc:v1:";
    static constexpr qsizetype MinKeyCharacters = 32;

    // A box with the key made from `keyText` (see above); the caller checks its length.
    explicit SecretBox(QByteArrayView keyText);

    // The process's box, from the environment, read once: null when no key is configured.
    // An error if the key is too short or the credential cannot be read.
    static Result<const SecretBox *> configured();

    QByteArray seal(QByteArrayView plaintext) const;
    // The plaintext of a sealed value; a value without the prefix is returned as it is. An
    // error (that says what to do) if it does not open with this key.
    Result<QByteArray> open(QByteArrayView stored) const;
    static bool isSealed(QByteArrayView stored) { return stored.startsWith(Prefix); }

    // With the process's box: seal(), or `plaintext` as it is when no key is configured.
    static Result<QByteArray> sealIfConfigured(QByteArrayView plaintext);
    // With the process's box: open(); a sealed value without a configured key is an error.
    static Result<QByteArray> openStored(QByteArrayView stored);

private:
    QByteArray m_key; // 32 bytes
};

} // namespace fazt::crypto
