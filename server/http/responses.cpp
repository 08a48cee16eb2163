#include "http/responses.h"

#include <QDateTime>

#include <ctime>

namespace fazt::http {

QByteArrayView reasonPhrase(int status) {
    switch (status) {
    case 100: return "Continue";
    case 200: return "OK";
    case 201: return "Created";
    case 204: return "No Content";
    case 206: return "Partial Content";
    case 301: return "Moved Permanently";
    case 302: return "Found";
    case 304: return "Not Modified";
    case 307: return "Temporary Redirect";
    case 308: return "Permanent Redirect";
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 409: return "Conflict";
    case 411: return "Length Required";
    case 413: return "Content Too Large";
    case 414: return "URI Too Long";
    case 416: return "Range Not Satisfiable";
    case 417: return "Expectation Failed";
    case 429: return "Too Many Requests";
    case 431: return "Request Header Fields Too Large";
    case 500: return "Internal Server Error";
    case 501: return "Not Implemented";
    case 503: return "Service Unavailable";
    case 505: return "HTTP Version Not Supported";
    case 507: return "Insufficient Storage";
    default: return "Unknown";
    }
}

Response makeResponse(int status, QByteArrayView contentType, QByteArray body) {
    return Response(status, contentType.toByteArray(), std::move(body));
}

Response errorResponse(int status, const QString &message) {
    const QByteArray title = QByteArray::number(status) + ' ' + reasonPhrase(status).toByteArray();
    QByteArray page = "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>" +
                      title + "</title>\n<style>body{font:16px/1.5 system-ui,sans-serif;"
                              "max-width:36rem;margin:4rem auto;padding:0 1rem;color:#222}</style>"
                              "</head>\n<body><h1>" +
                      title + "</h1>\n<p>" + message.toHtmlEscaped().toUtf8() + "</p></body></html>\n";
    Response response(status, "text/html; charset=utf-8", std::move(page));
    response.cacheControl = "no-store";
    return response;
}

QByteArray httpDate(qint64 unixSeconds) {
    static const char *const days[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static const char *const months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                         "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    const time_t t = time_t(unixSeconds);
    tm parts{};
    gmtime_r(&t, &parts);
    char text[40];
    const int n = std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT",
                                days[parts.tm_wday], parts.tm_mday, months[parts.tm_mon],
                                parts.tm_year + 1900, parts.tm_hour, parts.tm_min, parts.tm_sec);
    return QByteArray(text, n);
}

qint64 parseHttpDate(QByteArrayView text) {
    // IMF-fixdate only (what every current client sends); obsolete formats are ignored,
    // which only costs a full response instead of a 304.
    const QDateTime parsed = QDateTime::fromString(QString::fromLatin1(text.trimmed()),
                                                   QStringLiteral("ddd, dd MMM yyyy HH:mm:ss 'GMT'"));
    if (!parsed.isValid())
        return -1;
    QDateTime utc = parsed;
    utc.setTimeSpec(Qt::UTC);
    return utc.toSecsSinceEpoch();
}

QByteArrayView methodName(Method method) {
    switch (method) {
    case Method::Get:
        return "GET";
    case Method::Head:
        return "HEAD";
    case Method::Post:
        return "POST";
    case Method::Put:
        return "PUT";
    case Method::Delete:
        return "DELETE";
    case Method::Patch:
        return "PATCH";
    case Method::Options:
        return "OPTIONS";
    case Method::Other:
        break;
    }
    return "OTHER";
}

} // namespace fazt::http
