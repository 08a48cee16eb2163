#include "auth/securerandom.h"

#include <openssl/rand.h>

namespace fazt::auth {

QByteArray secureRandomBytes(qsizetype count) {
    QByteArray bytes(count, Qt::Uninitialized);
    if (RAND_bytes(reinterpret_cast<unsigned char *>(bytes.data()), int(count)) != 1)
        qFatal("OpenSSL's random generator failed: refusing to make predictable secrets");
    return bytes;
}

QByteArray secureRandomToken() {
    return secureRandomBytes(32).toBase64(QByteArray::Base64UrlEncoding |
                                          QByteArray::OmitTrailingEquals);
}

bool isBase64Url(QByteArrayView text) {
    if (text.isEmpty())
        return false;
    for (const char ch : text) {
        const bool isAlnum =
            (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9');
        if (!isAlnum && ch != '-' && ch != '_')
            return false;
    }
    return true;
}

} // namespace fazt::auth
