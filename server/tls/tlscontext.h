#pragma once

#include "result.h"

#include <memory>

struct ssl_ctx_st;

namespace fazt::tls {

class CertCache;

// The server side of TLS for the HTTP engine: one OpenSSL context (TLS 1.2 and 1.3, AEAD
// ciphers with forward secrecy only, no renegotiation, no compression) whose certificate is
// chosen per connection from the SNI name.
//
// Why OpenSSL directly and not QSslSocket: the HTTP engine runs its own epoll loop over raw
// non-blocking descriptors (see http/worker.h), so a Connection drives SSL_read/SSL_write on
// its socket itself, and OpenSSL's client-hello callback gives server-side SNI and ALPN
// without peeking at the socket.
//
// The client-hello callback parses server_name and ALPN (tls/clienthello.h) and picks:
//   - ALPN offering only "acme-tls/1": the TLS-ALPN-01 challenge certificate for the name, or
//     the handshake fails (RFC 8737: never answer a validation with another certificate);
//   - else the certificate for the name (exact, then wildcard);
//   - else the fallback, and the name is reported as a miss (on-demand issuance).
// A miss does not hold the handshake: waiting for a CA would pin the connection for seconds
// to minutes, and a client that asked for a name we cannot prove yet gets the fallback now
// and the real certificate on its next connection.
//
// The one pause: before anything else, the server name says whose the connection is, and one
// on the wrong worker (the owner's on a user worker, a user's the priority worker accepted)
// answers SSL_CLIENT_HELLO_RETRY, moves, and resumes its handshake on the right one
// (http::Connection::pausesForServerName). The move costs a hand-over, never a wait.
class TlsContext {
public:
    explicit TlsContext(CertCache &cache);
    ~TlsContext();
    TlsContext(const TlsContext &) = delete;
    TlsContext &operator=(const TlsContext &) = delete;

    Status init();
    ssl_ctx_st *handle() const { return m_context; }
    CertCache &cache() const { return m_cache; }

private:
    CertCache &m_cache;
    ssl_ctx_st *m_context = nullptr;
};

} // namespace fazt::tls
