#pragma once

#include "result.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>

namespace fazt::tls::acme {

// The ACME (RFC 8555) documents our client reads, parsed from what a CA sent: every field is
// checked for type, a missing required one is an error naming it, unknown ones are ignored.
// The CA is trusted to be honest, not to be well-formed.

// An RFC 7807 problem document ("urn:ietf:params:acme:error:badNonce", "detail", subproblems).
struct Problem {
    QString type;
    QString detail;
    int status = 0;
    bool isBadNonce() const { return type == QLatin1String("urn:ietf:params:acme:error:badNonce"); }
    // "type: detail (subproblem; subproblem)", for the log and the admin API.
    QString describe() const;
    QStringList subproblems;
};

struct Directory {
    QString newNonce;
    QString newAccount;
    QString newOrder;
    QString revokeCert;
    bool requiresExternalAccount = false;
};

struct Challenge {
    QString type; // "http-01", "tls-alpn-01", ...
    QString url;
    QString token;
    QString status;
    QString error; // the problem's description, if the CA recorded one
};

struct Authorization {
    QString identifier; // the DNS name
    QString status;     // pending, valid, invalid, deactivated, expired, revoked
    QList<Challenge> challenges;
};

struct Order {
    QString status; // pending, ready, processing, valid, invalid
    QStringList authorizations;
    QString finalize;
    QString certificate; // once valid
    QString error;
};

// Each returns Invalid with a message that names what is wrong.
Result<Problem> parseProblem(const QByteArray &json);
Result<Directory> parseDirectory(const QByteArray &json);
Result<Authorization> parseAuthorization(const QByteArray &json);
Result<Order> parseOrder(const QByteArray &json);
// Retry-After (RFC 9110): delay-seconds or an HTTP date; -1 if absent or malformed.
qint64 parseRetryAfter(const QByteArray &value, qint64 nowSeconds);

} // namespace fazt::tls::acme
