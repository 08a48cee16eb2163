#include "tls/plainhttphandler.h"

#include "auth/securerandom.h"
#include "certs/certstore.h"
#include "hosting/hostrouter.h"
#include "http/responses.h"
#include "tls/certcache.h"

#include <QHostAddress>
#include <QJsonDocument>
#include <QJsonObject>

namespace fazt::tls {

namespace {

constexpr QByteArrayView ChallengePrefix = "/.well-known/acme-challenge/";

bool isLocal(const QString &host) {
    if (host == QLatin1String("localhost") || host.endsWith(QLatin1String(".localhost")))
        return true;
    QString bare = host;
    if (bare.startsWith(u'[') && bare.endsWith(u']'))
        bare = bare.mid(1, bare.size() - 2);
    return !QHostAddress(bare).isNull(); // no certificate names an address
}

bool isFromThisMachine(const http::Request &request) {
    return request.peer().isLoopback() && request.field(http::Field::XForwardedFor).isEmpty() &&
           request.field(http::Field::Forwarded).isEmpty();
}

} // namespace

PlainHttpHandler::PlainHttpHandler(const CertCache &cache, const certs::CertStore &store,
                                   http::Handler &next, quint16 httpsPort)
    : m_cache(cache)
    , m_store(store)
    , m_next(next)
    , m_httpsPort(httpsPort) {}

void PlainHttpHandler::handle(http::Exchange &exchange) {
    const http::Request &request = exchange.request();
    const QByteArrayView path = request.path();
    if (path.startsWith(ChallengePrefix)) {
        const QByteArray token = path.sliced(ChallengePrefix.size()).toByteArray();
        QByteArray keyAuthorization = m_cache.httpToken(token);
        if (keyAuthorization.isEmpty() && auth::isBase64Url(token) && token.size() <= 128) {
            // One primary-key read, only for a well-formed token we do not hold.
            if (auto stored = m_store.load(certs::CertStore::challengeKey(token)))
                keyAuthorization = *stored;
        }
        if (keyAuthorization.isEmpty()) {
            exchange.respond(
                http::errorResponse(404, QStringLiteral("No such ACME challenge.")));
            return;
        }
        exchange.respond(
            http::makeResponse(200, "application/octet-stream", keyAuthorization));
        return;
    }
    const QString host = hosting::HostRouter::normalizeHost(request.host());
    if (host.isEmpty() || isLocal(host)) {
        // Local names stay on plain HTTP for this machine only: the peer decides, never the
        // Host header, which anyone can write (admin.localhost would otherwise hand out the
        // admin API and its login in cleartext). A forwarded request came from elsewhere.
        if (isFromThisMachine(request)) {
            m_next.handle(exchange);
            return;
        }
        const QString why =
            QStringLiteral("Over plain HTTP this server answers local names only to requests "
                           "from its own machine. Use https:// and the server's domain name.");
        if (!host.startsWith(QLatin1String("admin."))) {
            exchange.respond(http::errorResponse(403, why));
            return;
        }
        // The admin API's own error shape, so that its clients can show the reason.
        const QJsonObject error{{QStringLiteral("code"), QStringLiteral("https_required")},
                                {QStringLiteral("message"), why}};
        exchange.respond(
            http::makeResponse(403, "application/json",
                               QJsonDocument(QJsonObject{{QStringLiteral("error"), error}})
                                   .toJson(QJsonDocument::Compact)));
        return;
    }
    QByteArray location = "https://" + host.toLatin1();
    if (m_httpsPort != 443)
        location += ':' + QByteArray::number(m_httpsPort);
    location += request.target().startsWith('/') ? request.target().toByteArray()
                                                 : QByteArray(request.path().toByteArray());
    http::Response redirect(301);
    redirect.location = std::move(location);
    exchange.respond(std::move(redirect));
}

} // namespace fazt::tls
