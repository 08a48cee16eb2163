#pragma once

#include <QByteArray>
#include <QByteArrayView>

#include <memory>

struct evp_md_ctx_st;

namespace fazt::crypto {

// SHA-256 through OpenSSL, which uses the CPU's SHA extensions where present (several times
// faster than QCryptographicHash's portable code: this is what bounds deploy throughput).
class Sha256 {
public:
    Sha256();
    ~Sha256();
    Sha256(const Sha256 &) = delete;
    Sha256 &operator=(const Sha256 &) = delete;

    void addData(QByteArrayView data);
    // The 32-byte digest; the object then starts over.
    QByteArray result();

    static QByteArray hash(QByteArrayView data);

private:
    struct Free {
        void operator()(evp_md_ctx_st *ctx) const;
    };
    std::unique_ptr<evp_md_ctx_st, Free> m_ctx;
};

} // namespace fazt::crypto
