#pragma once

#include "http/exchange.h"

#include <QByteArray>
#include <QString>

namespace fazt::http {

QByteArrayView reasonPhrase(int status);

// Builds a response head: the status line, then header lines.
class HeadBuilder {
public:
    explicit HeadBuilder(int status);
    HeadBuilder &add(QByteArrayView name, QByteArrayView value);
    HeadBuilder &add(QByteArrayView name, qint64 value);
    QByteArray take() { return std::move(m_head); }

private:
    QByteArray m_head;
};

// Headers every response of ours carries (server name, nosniff, referrer policy).
void addStandardHeaders(HeadBuilder &head);

// A small response with a body held in RAM. For HEAD, pass isHead: same headers, no body.
Response makeResponse(int status, QByteArrayView contentType, QByteArray body, bool isHead = false);
// A short HTML page that says what went wrong and what to do.
Response errorResponse(int status, const QString &message, bool isHead = false);

// What a response head ("HTTP/1.1 200 OK\r\n...") says: its status (0 for a head too short to
// hold one), and the Content-Length it declares (0 without one).
int statusOf(QByteArrayView head);
qint64 contentLengthOf(QByteArrayView head);
// "GET", "POST", ...: the method's name as sent.
QByteArrayView methodName(Method method);

// RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") and back; -1 if unparseable.
QByteArray httpDate(qint64 unixSeconds);
qint64 parseHttpDate(QByteArrayView text);

} // namespace fazt::http
