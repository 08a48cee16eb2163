#pragma once

#include "http/serveroptions.h"
#include "result.h"
#include "tls/httpssettings.h"

#include <memory>

namespace fazt::db {
class Database;
}
namespace fazt::hosting {
class HostRouter;
}
namespace fazt::admin {
class AdminService;
}
namespace fazt::http {
class Handler;
class HttpServer;
} // namespace fazt::http
namespace fazt::certs {
class CertStore;
}

namespace fazt::tls {

class CertCache;
class CertManager;
class PlainHttpHandler;
class TlsContext;

// Everything `fazt server start --https-port` adds, in one place: the certificate cache and
// manager (ACME or the local CA), the TLS context, the HTTPS listener (same engine and
// handler as plain HTTP, plus HSTS), and the handler for the plain port (challenges and
// redirects).
class Https {
public:
    static Result<std::unique_ptr<Https>>
    create(db::Database &database, const hosting::HostRouter &router, http::Handler &sites,
           const QString &domain, const HttpsSettings &settings, const http::ServerOptions &plain);
    ~Https();

    void addAdminRoutes(admin::AdminService &service);
    // Starts the certificate manager and the HTTPS listener.
    Status listen();
    // Finishes in-flight HTTPS requests and stops the certificate manager.
    void stop();

    http::Handler &plainHandler();
    quint16 port() const;
    http::HttpServer &server() { return *m_server; }

private:
    Https() = default;

    std::unique_ptr<certs::CertStore> m_store;
    std::unique_ptr<CertCache> m_cache;
    std::unique_ptr<TlsContext> m_context;
    std::unique_ptr<CertManager> m_manager;
    std::unique_ptr<PlainHttpHandler> m_plain;
    std::unique_ptr<http::HttpServer> m_server;
};

} // namespace fazt::tls
