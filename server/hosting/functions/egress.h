#pragma once

#include "result.h"

#include <QByteArray>
#include <QHostAddress>
#include <QString>
#include <QStringList>

namespace fazt::hosting::functions {

// fazt.fetch, made by the server on a script's behalf (the worker cannot open a socket).
//
// The site's egress allowlist names hosts ("api.example.com", "api.example.com:8443",
// "10.0.0.5"). A URL is allowed when its host (or host:port) is listed; then the name is
// resolved and the addresses are checked too: one in a loopback, link-local, private,
// shared or otherwise non-public range is used only if the allowlist names that address as
// well. The connection goes to the address that passed (libcurl's pinned resolve), so a
// name that resolves differently a moment later (DNS rebinding) cannot lead elsewhere.
// Method and header names must be tokens and values must hold no control characters; Host,
// Content-Length and Transfer-Encoding are Fazt's to set. Redirects are not followed: the
// script sees them and decides.
class Egress {
public:
    struct Request {
        QString url;
        QByteArray method = "GET";
        QByteArray headersJson; // {"name": "value", ...}
        QByteArray body;
    };
    struct Reply {
        int status = 0;
        QByteArray headerLines; // "name\nvalue\n..." (names in lower case)
        QByteArray body;
    };

    Egress(QString site, QStringList allowlist, qint64 maxBytes)
        : m_site(std::move(site))
        , m_allowlist(std::move(allowlist))
        , m_maxBytes(maxBytes) {}

    // Blocks until the answer, an error, or `deadlineMs` (steady clock) has passed. An error's
    // message is for the script (and so the site's log): it says what to change.
    Result<Reply> fetch(const Request &request, qint64 deadlineMs) const;

    // Not on the public internet: loopback, unspecified, link-local, private (RFC 1918, ULA),
    // shared address space (RFC 6598), multicast, and IPv4-mapped forms of these.
    static bool isInternal(const QHostAddress &address);

private:
    bool isListed(const QString &host, int port) const;
    Result<QHostAddress> addressFor(const QString &host, int port, qint64 deadlineMs) const;

    QString m_site;
    QStringList m_allowlist;
    qint64 m_maxBytes;
};

} // namespace fazt::hosting::functions
