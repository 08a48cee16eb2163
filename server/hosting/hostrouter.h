#pragma once

#include "result.h"

#include <QHash>
#include <QReadWriteLock>
#include <QString>

namespace fazt::db {
class Database;
}

namespace fazt::hosting {

// Maps a request's Host to what serves it:
//   <domain>, root.<domain>      -> the landing site "root"
//   admin.<domain>               -> the admin API
//   <name>.<domain>              -> site <name>
//   a custom hostname            -> its row in `domains`
//   localhost, *.localhost       -> the same rules with "localhost" as the domain (any port)
// Anything else is unknown (404). Thread-safe; custom domains are held in RAM.
class HostRouter {
public:
    struct Route {
        enum class Kind { Site, Admin, Unknown };
        Kind kind = Kind::Unknown;
        QString site;
    };

    explicit HostRouter(QString baseDomain);
    // Serves every hostname from one site (`fazt preview`).
    void setFixedSite(const QString &site);
    // Reloads the custom hostnames from the `domains` table.
    Status reloadDomains(db::Database &database);

    // `host` is the Host header as sent (any case, maybe with a port or a trailing dot).
    Route route(QByteArrayView host) const;

    // Whether `host` routes to the admin (route(host).kind == Admin), without allocating:
    // asked once for each new connection, to give the owner's its own worker.
    bool isAdminHost(QByteArrayView host) const;

    // Lower-case, without port and trailing dot; empty if the header is malformed.
    static QString normalizeHost(QByteArrayView host);

private:
    Route routeUnder(const QString &host, const QString &domain) const;

    mutable QReadWriteLock m_lock;
    QString m_domain;
    QByteArray m_adminHost; // "admin.<domain>", lower-case
    QString m_fixedSite;
    QHash<QString, QString> m_customDomains;
};

} // namespace fazt::hosting
