#include "hosting/functions/answerresponse.h"

#include "http/responses.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace fazt::hosting::functions {

http::Response responseOf(const Answer &answer) {
    http::Response response = http::makeResponse(answer.status, answer.contentType, answer.body);
    for (const auto &[name, value] : answer.headers)
        response.addHeader(name, value);
    response.cacheControl = "no-store";
    return response;
}

http::Response jsonError(int status, const QString &message) {
    QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("error"), message}})
                          .toJson(QJsonDocument::Compact);
    body.append('\n');
    return http::makeResponse(status, "application/json", std::move(body));
}

} // namespace fazt::hosting::functions
