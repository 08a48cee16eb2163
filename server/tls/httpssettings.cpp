#include "tls/httpssettings.h"

#include "config/config.h"
#include "config/settings.h"

#include <QCommandLineParser>
#include <QFileInfo>
#include <QUrl>

namespace fazt::tls {

void addHttpsOptions(QCommandLineParser &p) {
    p.addOption({QStringLiteral("https-port"),
                 QStringLiteral("Serve HTTPS on this port (443 in production); the HTTP port "
                                "then answers ACME challenges and redirects to HTTPS."),
                 QStringLiteral("PORT")});
    p.addOption({QStringLiteral("self-signed"),
                 QStringLiteral("Sign certificates with a local CA kept in the database instead "
                                "of asking an ACME CA (to try HTTPS without a public domain).")});
    p.addOption({QStringLiteral("acme-directory"),
                 QStringLiteral("The ACME CA's directory URL (default: Let's Encrypt production; "
                                "or config acme.directory)."),
                 QStringLiteral("URL")});
    p.addOption({QStringLiteral("acme-ca-bundle"),
                 QStringLiteral("A PEM file of extra roots to trust for the ACME directory."),
                 QStringLiteral("FILE")});
    p.addOption({QStringLiteral("acme-email"),
                 QStringLiteral("The contact address of the ACME account (or config acme.email)."),
                 QStringLiteral("EMAIL")});
    p.addOption({QStringLiteral("acme-challenge"),
                 QStringLiteral("http-01 (default; needs the HTTP port reachable as port 80) or "
                                "tls-alpn-01 (needs the HTTPS port reachable as port 443)."),
                 QStringLiteral("TYPE")});
    p.addOption({QStringLiteral("hsts-max-age"),
                 QStringLiteral("Strict-Transport-Security max-age on HTTPS answers, in seconds "
                                "(default 31536000; 0 turns the header off)."),
                 QStringLiteral("SECONDS")});
}

Result<HttpsSettings> httpsSettings(const QCommandLineParser &p, const Config &config) {
    HttpsSettings s;
    // The option if given, else the setting (stored, else its default).
    const auto pick = [&](const char *flag, const char *key) {
        const QString name = QLatin1String(flag);
        return p.isSet(name) ? p.value(name) : config.setting(key);
    };
    if (p.isSet(QStringLiteral("https-port"))) {
        bool ok = false;
        const uint port = p.value(QStringLiteral("https-port")).toUInt(&ok);
        if (!ok || port > 65535)
            return Error::invalid(QStringLiteral("--https-port takes a number from 0 to 65535."));
        s.isEnabled = true;
        s.port = quint16(port);
    }
    s.isSelfSigned = p.isSet(QStringLiteral("self-signed"));
    s.acmeDirectory = pick("acme-directory", settings::AcmeDirectory);
    const QUrl directory(s.acmeDirectory, QUrl::StrictMode);
    if (!directory.isValid() || directory.host().isEmpty() ||
        (directory.scheme() != QLatin1String("https") &&
         directory.scheme() != QLatin1String("http")))
        return Error::invalid(QStringLiteral("--acme-directory takes an https:// URL, not '%1'.")
                                  .arg(s.acmeDirectory));
    s.acmeCaBundle = pick("acme-ca-bundle", settings::AcmeCaBundle);
    if (!s.acmeCaBundle.isEmpty() && !QFileInfo(s.acmeCaBundle).isReadable())
        return Error::invalid(
            QStringLiteral("Cannot read the ACME CA bundle %1.").arg(s.acmeCaBundle));
    s.acmeEmail = pick("acme-email", settings::AcmeEmail);
    if (!s.acmeEmail.isEmpty() &&
        (!s.acmeEmail.contains(u'@') || s.acmeEmail.contains(u',') || s.acmeEmail.size() > 254))
        return Error::invalid(
            QStringLiteral("--acme-email takes one email address, not '%1'.").arg(s.acmeEmail));
    const QString challenge = p.value(QStringLiteral("acme-challenge"));
    if (!challenge.isEmpty() && challenge != QLatin1String("http-01") &&
        challenge != QLatin1String("tls-alpn-01"))
        return Error::invalid(QStringLiteral("--acme-challenge takes http-01 or tls-alpn-01."));
    s.useTlsAlpn = challenge == QLatin1String("tls-alpn-01");
    bool ok = false;
    s.hstsMaxAge = pick("hsts-max-age", settings::TlsHstsMaxAge).toLongLong(&ok);
    if (!ok || s.hstsMaxAge < 0)
        return Error::invalid(QStringLiteral("--hsts-max-age takes a number of seconds."));
    const qint64 perHour = config.intSetting(settings::TlsOnDemandPerHour);
    if (perHour < 0 || perHour > 10000)
        return Error::invalid(
            QStringLiteral("Config tls.on_demand_per_hour takes a number from 0 to 10000."));
    s.onDemandPerHour = int(perHour);
    return s;
}

} // namespace fazt::tls
