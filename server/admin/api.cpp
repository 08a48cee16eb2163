#include "admin/api.h"

#include "http/responses.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>

namespace fazt::admin {

using http::Response;

Response jsonResponse(int status, const QJsonObject &body) {
    Response response = http::makeResponse(status, "application/json",
                                           QJsonDocument(body).toJson(QJsonDocument::Compact));
    response.cacheControl = "no-store";
    return response;
}

Response jsonResponse(int status, const QJsonArray &body) {
    Response response = http::makeResponse(status, "application/json",
                                           QJsonDocument(body).toJson(QJsonDocument::Compact));
    response.cacheControl = "no-store";
    return response;
}

Response apiError(int status, QByteArrayView code, const QString &message) {
    return jsonResponse(
        status, QJsonObject{{QStringLiteral("error"),
                             QJsonObject{{QStringLiteral("code"), QString::fromLatin1(code)},
                                         {QStringLiteral("message"), message}}}});
}

ErrorStatus errorStatus(Error::Code code) {
    switch (code) {
    case Error::Code::Invalid:
        return {400, "invalid"};
    case Error::Code::NotFound:
        return {404, "not_found"};
    case Error::Code::Conflict:
        return {409, "conflict"};
    case Error::Code::Busy:
        return {503, "busy"};
    case Error::Code::TooLarge:
        return {413, "too_large"};
    case Error::Code::DiskFull:
        return {507, "disk_full"};
    case Error::Code::ReadOnly:
        return {503, "read_only"};
    case Error::Code::Unsupported:
        return {400, "unsupported"};
    case Error::Code::Io:
    case Error::Code::Database:
    case Error::Code::Internal:
        break;
    }
    return {500, "internal"};
}

Response apiError(const Error &error) {
    const ErrorStatus mapped = errorStatus(error.code);
    if (mapped.status == 500)
        qWarning("admin API: %s", qPrintable(error.message));
    return apiError(mapped.status, mapped.code, error.message);
}

Response answeredLater() {
    return {};
}

Response cannotCreateSites(const QString &site) {
    return apiError(403, "forbidden",
                    QStringLiteral("There is no site '%1', and this token may not create sites. "
                                   "Create it with an admin token (fazt sites create, POST "
                                   "/api/sites), or use a token with the create-sites scope.")
                        .arg(site.left(80)));
}

QString isoTime(qint64 unixSeconds) {
    return unixSeconds > 0
               ? QDateTime::fromSecsSinceEpoch(unixSeconds, Qt::UTC).toString(Qt::ISODate)
               : QString();
}

} // namespace fazt::admin
