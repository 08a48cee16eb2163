#include "http/clientaddress.h"

namespace fazt::http {

TrustedProxies::TrustedProxies(const QString &commaSeparated) {
    for (const QString &proxy : commaSeparated.split(u',', Qt::SkipEmptyParts)) {
        const QHostAddress address(proxy.trimmed());
        if (!address.isNull())
            m_proxies.append(address);
    }
}

QHostAddress TrustedProxies::clientOf(const Request &request) const {
    const QHostAddress &peer = request.peer();
    const bool isTrusted = std::any_of(m_proxies.cbegin(), m_proxies.cend(), [&](const auto &p) {
        return p.isEqual(peer, QHostAddress::TolerantConversion);
    });
    if (!isTrusted)
        return peer;
    const QByteArrayView forwarded = request.field(http::Field::XForwardedFor);
    const QHostAddress client(
        QString::fromLatin1(forwarded.sliced(forwarded.lastIndexOf(',') + 1).trimmed()));
    return client.isNull() ? peer : client;
}

} // namespace fazt::http
