#pragma once

#include "result.h"

#include <QString>

class QCommandLineParser;

namespace fazt {
class Config;
}

namespace fazt::tls {

// How `fazt server start` serves HTTPS: from its flags, then the `config` table
// (acme.directory, acme.email, acme.ca_bundle, tls.hsts_max_age, tls.on_demand_per_hour), then
// the defaults.
struct HttpsSettings {
    bool isEnabled = false; // --https-port given
    quint16 port = 443;
    bool isSelfSigned = false;
    QString acmeDirectory = QStringLiteral("https://acme-v02.api.letsencrypt.org/directory");
    QString acmeCaBundle; // a PEM file of extra roots for the CA's own HTTPS
    QString acmeEmail;
    bool useTlsAlpn = false;      // TLS-ALPN-01 instead of HTTP-01
    qint64 hstsMaxAge = 31536000; // 0: no Strict-Transport-Security header
    int onDemandPerHour = 60;     // config tls.on_demand_per_hour: orders started by handshakes
};

// The HTTPS and ACME flags of `fazt server start`.
void addHttpsOptions(QCommandLineParser &parser);
Result<HttpsSettings> httpsSettings(const QCommandLineParser &parser, const Config &config);

} // namespace fazt::tls
