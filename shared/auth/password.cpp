#include "auth/password.h"

#include "auth/securerandom.h"

#include <QSemaphore>
#include <QThread>

#include <argon2.h>

namespace fazt::auth {

namespace {

constexpr uint32_t TimeCost = 2;
constexpr uint32_t MemoryKiB = 19456;
constexpr uint32_t Parallelism = 1;
constexpr uint32_t SaltLength = 16;
constexpr uint32_t HashLength = 32;

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
    if (password.size() < MinPasswordLength || password.size() > MaxPasswordLength)
        return Error::invalid(QStringLiteral("A password must have %1 to %2 bytes (this one has "
                                             "%3). Choose a longer passphrase.")
                                  .arg(MinPasswordLength)
                                  .arg(MaxPasswordLength)
                                  .arg(password.size()));
    return {};
}

QByteArray hashPassword(QByteArrayView password) {
    const QByteArray salt = secureRandomBytes(SaltLength);
    const size_t encodedLength =
        argon2_encodedlen(TimeCost, MemoryKiB, Parallelism, SaltLength, HashLength, Argon2_id);
    QByteArray encoded(qsizetype(encodedLength), '\0');
    int rc = ARGON2_OK;
    {
        HashSlot slot;
        rc = argon2id_hash_encoded(TimeCost, MemoryKiB, Parallelism, password.data(),
                                   size_t(password.size()), salt.constData(), SaltLength,
                                   HashLength, encoded.data(), encodedLength);
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
