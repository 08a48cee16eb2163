#include "auth/password.h"

#include "auth/securerandom.h"

#include <QSemaphore>
#include <QThread>

#include <argon2.h>

namespace fazt::auth {

namespace {

constexpr uint32_t timeCost = 2;
constexpr uint32_t memoryKiB = 19456;
constexpr uint32_t parallelism = 1;
constexpr uint32_t saltLength = 16;
constexpr uint32_t hashLength = 32;

// Each hash holds 19 MiB while it runs. At most one per core runs at once, so a burst of
// logins queues for CPU instead of taking the machine's memory.
class HashSlot {
public:
    HashSlot() { semaphore().acquire(); }
    ~HashSlot() { semaphore().release(); }
    HashSlot(const HashSlot &) = delete;
    HashSlot &operator=(const HashSlot &) = delete;

private:
    static QSemaphore &semaphore() {
        static QSemaphore available(std::max(2, QThread::idealThreadCount()));
        return available;
    }
};

} // namespace

Status validatePassword(QByteArrayView password) {
    if (password.size() < minPasswordLength || password.size() > maxPasswordLength)
        return Error::invalid(QStringLiteral("A password must have %1 to %2 bytes (this one has "
                                             "%3). Choose a longer passphrase.")
                                  .arg(minPasswordLength)
                                  .arg(maxPasswordLength)
                                  .arg(password.size()));
    return {};
}

QByteArray hashPassword(QByteArrayView password) {
    const QByteArray salt = secureRandomBytes(saltLength);
    const size_t encodedLength =
        argon2_encodedlen(timeCost, memoryKiB, parallelism, saltLength, hashLength, Argon2_id);
    QByteArray encoded(qsizetype(encodedLength), '\0');
    int rc = ARGON2_OK;
    {
        HashSlot slot;
        rc = argon2id_hash_encoded(timeCost, memoryKiB, parallelism, password.data(),
                                   size_t(password.size()), salt.constData(), saltLength,
                                   hashLength, encoded.data(), encodedLength);
    }
    if (rc != ARGON2_OK) {
        qWarning("argon2id hashing failed: %s", argon2_error_message(rc));
        return {};
    }
    encoded.truncate(qsizetype(qstrlen(encoded.constData())));
    return encoded;
}

bool verifyPassword(QByteArrayView encoded, QByteArrayView password) {
    if (!encoded.startsWith("$argon2id$"))
        return false;
    const QByteArray terminated = encoded.toByteArray(); // libargon2 wants a C string
    HashSlot slot;
    return argon2id_verify(terminated.constData(), password.data(), size_t(password.size())) ==
           ARGON2_OK;
}

} // namespace fazt::auth
