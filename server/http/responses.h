#pragma once

#include "http/exchange.h"

#include <QByteArray>
#include <QString>

namespace fazt::http {

QByteArrayView reasonPhrase(int status);

// A small response with a body held in RAM.
Response makeResponse(int status, QByteArrayView contentType, QByteArray body);
// A short HTML page that says what went wrong and what to do.
Response errorResponse(int status, const QString &message);

// "GET", "POST", ...: the method's name as sent.
QByteArrayView methodName(Method method);

// RFC 9110 IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") and back; -1 if unparseable.
QByteArray httpDate(qint64 unixSeconds);
qint64 parseHttpDate(QByteArrayView text);

} // namespace fazt::http
