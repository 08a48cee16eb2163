#pragma once

#include "http/exchange.h"

#include <QHostAddress>
#include <QList>
#include <QString>

namespace fazt::http {

// Whose request this is: the socket's peer, unless the peer is one of the configured trusted
// proxies (config `http.trusted_proxies`, comma-separated), in which case it is the last
// address of X-Forwarded-For (the one the proxy itself added). A header from anyone else is
// never believed.
class TrustedProxies {
public:
    TrustedProxies() = default;
    explicit TrustedProxies(const QString &commaSeparated);

    bool isEmpty() const { return m_proxies.isEmpty(); }
    QHostAddress clientOf(const Request &request) const;

private:
    QList<QHostAddress> m_proxies;
};

} // namespace fazt::http
