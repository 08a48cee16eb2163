#include "tls/https.h"

#include "certs/certstore.h"
#include "config/settings.h"
#include "http/httpserver.h"
#include "tls/certcache.h"
#include "tls/certmanager.h"
#include "tls/certroutes.h"
#include "tls/plainhttphandler.h"
#include "tls/tlscontext.h"

#include <QFile>
#include <QSslCertificate>

namespace fazt::tls {

namespace {

// Test knobs: how often the managed names are re-read, the first backoff.
qint64 durationFromEnvironment(const char *name, qint64 fallback) {
    bool ok = false;
    const int value = qEnvironmentVariableIntValue(name, &ok);
    return ok && value > 0 ? value : fallback;
}

} // namespace

Result<std::unique_ptr<Https>> Https::create(db::Database &database,
                                             const hosting::HostRouter &router,
                                             http::Handler &sites, const QString &domain,
                                             const HttpsSettings &settings,
                                             const http::ServerOptions &plain) {
    std::unique_ptr<Https> https(new Https);
    https->m_store = std::make_unique<certs::CertStore>(database);
    https->m_cache = std::make_unique<CertCache>();
    https->m_context = std::make_unique<TlsContext>(*https->m_cache);
    if (Status s = https->m_context->init(); !s)
        return s.error();

    CertManager::Options options;
    options.mode = settings.isSelfSigned ? CertManager::Mode::SelfSigned : CertManager::Mode::Acme;
    options.domain = domain;
    options.acme.directory = QUrl(settings.acmeDirectory);
    options.acme.email = settings.acmeEmail;
    options.acme.challenge = settings.useTlsAlpn ? AcmeClient::ChallengeType::TlsAlpn01
                                                 : AcmeClient::ChallengeType::Http01;
    if (!settings.acmeCaBundle.isEmpty()) {
        options.acme.extraRoots = QSslCertificate::fromPath(settings.acmeCaBundle);
        if (options.acme.extraRoots.isEmpty())
            return Error::invalid(
                QStringLiteral("%1 holds no PEM certificate.").arg(settings.acmeCaBundle));
    }
    options.onDemandPerHour = settings.onDemandPerHour;
    options.reconcileMs = durationFromEnvironment(settings::TlsReconcileVariable, options.reconcileMs);
    options.backoffMs = durationFromEnvironment(settings::TlsBackoffVariable, options.backoffMs);
    https->m_manager =
        std::make_unique<CertManager>(database, *https->m_cache, router, std::move(options));

    https->m_plain =
        std::make_unique<PlainHttpHandler>(*https->m_cache, *https->m_store, sites, settings.port);
    http::ServerOptions secure = plain;
    secure.port = settings.port;
    secure.tls = https->m_context->handle();
    if (settings.hstsMaxAge > 0)
        secure.extraHeaders =
            "Strict-Transport-Security: max-age=" + QByteArray::number(settings.hstsMaxAge) +
            "\r\n";
    https->m_server = std::make_unique<http::HttpServer>(sites, secure);
    return https;
}

Https::~Https() {
    stop();
}

void Https::addAdminRoutes(admin::AdminService &service) {
    addCertificateRoutes(service, *m_manager);
}

Status Https::listen() {
    if (Status s = m_manager->start(); !s)
        return s;
    if (Status s = m_server->listen(); !s)
        return Error{s.error().code,
                     QString(s.error().message)
                         .replace(QLatin1String("--port"), QLatin1String("--https-port"))};
    return {};
}

void Https::stop() {
    if (m_server)
        m_server->stop();
    if (m_manager)
        m_manager->stop();
}

http::Handler &Https::plainHandler() {
    return *m_plain;
}

quint16 Https::port() const {
    return m_server->port();
}

} // namespace fazt::tls
