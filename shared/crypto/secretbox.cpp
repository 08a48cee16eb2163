#include "crypto/secretbox.h"

#include "config/settings.h"
#include "crypto/sha256.h"

#include <QDir>
#include <QFile>

#include <memory>
#include <openssl/evp.h>
#include <openssl/rand.h>

namespace fazt::crypto {

namespace {

constexpr int NonceBytes = 12;
constexpr int TagBytes = 16;

struct CipherFree {
    void operator()(EVP_CIPHER_CTX *ctx) const { EVP_CIPHER_CTX_free(ctx); }
};
using Cipher = std::unique_ptr<EVP_CIPHER_CTX, CipherFree>;

const unsigned char *bytes(QByteArrayView data) {
    return reinterpret_cast<const unsigned char *>(data.data());
}
unsigned char *bytes(QByteArray &data) {
    return reinterpret_cast<unsigned char *>(data.data());
}

Error cannotOpen() {
    return Error::invalid(
        QStringLiteral("A secret in the database does not open with this FAZT_ENCRYPTION_KEY: "
                       "start fazt with the key it was stored with."));
}

Result<QByteArray> keyTextFromEnvironment() {
    const QByteArray fromEnvironment = qgetenv(settings::EncryptionKeyVariable).trimmed();
    if (!fromEnvironment.isEmpty())
        return fromEnvironment;
    const QString credentials = qEnvironmentVariable("CREDENTIALS_DIRECTORY");
    if (credentials.isEmpty())
        return QByteArray();
    QFile file(QDir(credentials).filePath(QStringLiteral("fazt-encryption-key")));
    if (!file.exists())
        return QByteArray();
    if (!file.open(QIODevice::ReadOnly))
        return Error::io(QStringLiteral("Cannot read the credential %1: %2")
                             .arg(file.fileName(), file.errorString()));
    return file.readAll().trimmed();
}

} // namespace

SecretBox::SecretBox(QByteArrayView keyText)
    : m_key(Sha256::hash(keyText)) {}

Result<const SecretBox *> SecretBox::configured() {
    static const Result<std::unique_ptr<SecretBox>> box =
        []() -> Result<std::unique_ptr<SecretBox>> {
        auto keyText = keyTextFromEnvironment();
        if (!keyText)
            return keyText.error();
        if (keyText->isEmpty())
            return std::unique_ptr<SecretBox>();
        if (keyText->size() < MinKeyCharacters)
            return Error::invalid(
                QStringLiteral("FAZT_ENCRYPTION_KEY has %1 characters; it needs at least %2 "
                               "(make one with: openssl rand -base64 32).")
                    .arg(keyText->size())
                    .arg(MinKeyCharacters));
        return std::make_unique<SecretBox>(*keyText);
    }();
    if (!box)
        return box.error();
    return box->get();
}

QByteArray SecretBox::seal(QByteArrayView plaintext) const {
    QByteArray sealed(NonceBytes + plaintext.size() + TagBytes, Qt::Uninitialized);
    unsigned char *nonce = bytes(sealed);
    if (RAND_bytes(nonce, NonceBytes) != 1)
        qFatal("fazt: the system's random number generator failed");
    Cipher ctx(EVP_CIPHER_CTX_new());
    int length = 0;
    const bool ok =
        ctx &&
        EVP_EncryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(m_key), nonce) == 1 &&
        EVP_EncryptUpdate(ctx.get(), nonce + NonceBytes, &length, bytes(plaintext),
                          int(plaintext.size())) == 1 &&
        EVP_EncryptFinal_ex(ctx.get(), nonce + NonceBytes + length, &length) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, TagBytes,
                            nonce + NonceBytes + plaintext.size()) == 1;
    if (!ok)
        qFatal("fazt: OpenSSL cannot encrypt with AES-256-GCM");
    return Prefix.toByteArray() + sealed.toBase64();
}

Result<QByteArray> SecretBox::open(QByteArrayView stored) const {
    if (!isSealed(stored))
        return stored.toByteArray();
    const QByteArray sealed = QByteArray::fromBase64(stored.sliced(Prefix.size()).toByteArray());
    if (sealed.size() < NonceBytes + TagBytes)
        return cannotOpen();
    const qsizetype textBytes = sealed.size() - NonceBytes - TagBytes;
    QByteArray plaintext(textBytes, Qt::Uninitialized);
    Cipher ctx(EVP_CIPHER_CTX_new());
    int length = 0;
    QByteArray tag = sealed.right(TagBytes);
    const bool ok =
        ctx &&
        EVP_DecryptInit_ex(ctx.get(), EVP_aes_256_gcm(), nullptr, bytes(m_key),
                           bytes(QByteArrayView(sealed).first(NonceBytes))) == 1 &&
        EVP_DecryptUpdate(ctx.get(), bytes(plaintext), &length,
                          bytes(QByteArrayView(sealed).sliced(NonceBytes, textBytes)),
                          int(textBytes)) == 1 &&
        EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, TagBytes, bytes(tag)) == 1 &&
        EVP_DecryptFinal_ex(ctx.get(), bytes(plaintext) + length, &length) == 1;
    if (!ok)
        return cannotOpen();
    return plaintext;
}

Result<QByteArray> SecretBox::sealIfConfigured(QByteArrayView plaintext) {
    auto box = configured();
    if (!box)
        return box.error();
    return *box ? (*box)->seal(plaintext) : plaintext.toByteArray();
}

Result<QByteArray> SecretBox::openStored(QByteArrayView stored) {
    if (!isSealed(stored))
        return stored.toByteArray();
    auto box = configured();
    if (!box)
        return box.error();
    if (!*box)
        return Error::invalid(QStringLiteral(
            "A secret in the database is encrypted, but no FAZT_ENCRYPTION_KEY is set: start "
            "fazt with the key it was stored with (or the systemd credential "
            "fazt-encryption-key)."));
    return (*box)->open(stored);
}

} // namespace fazt::crypto
