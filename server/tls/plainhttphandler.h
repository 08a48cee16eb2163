#pragma once

#include "http/exchange.h"

namespace fazt::certs {
class CertStore;
}

namespace fazt::tls {

class CertCache;

// The plain-HTTP port while HTTPS is on: answers ACME HTTP-01 challenges
// (/.well-known/acme-challenge/<token>) from the CertCache, or from the CertStore when
// another process on the same database placed the order, and sends everything else to
// https:// with a 301. Hosts that cannot have a public certificate (localhost, *.localhost,
// IP literals) are served by `next` to requests from this machine (a loopback peer, nothing
// forwarded), so local use needs no certificate; other peers get a 403 for them.
class PlainHttpHandler : public http::Handler {
public:
    PlainHttpHandler(const CertCache &cache, const certs::CertStore &store, http::Handler &next,
                     quint16 httpsPort);
    void handle(http::Exchange &exchange) override;

private:
    const CertCache &m_cache;
    const certs::CertStore &m_store;
    http::Handler &m_next;
    const quint16 m_httpsPort;
};

} // namespace fazt::tls
