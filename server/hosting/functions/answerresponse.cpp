#include "hosting/functions/answerresponse.h"

#include "http/responses.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace fazt::hosting::functions {

http::Response responseOf(const Answer &answer, bool isHead) {
    http::Response response = http::makeResponse(answer.status, answer.contentType, answer.body, isHead);
    for (const auto &[name, value] : answer.headers)
        response.head += name + ": " + value + "\r\n";
    response.head += "Cache-Control: no-store\r\n";
    return response;
}

http::Response jsonError(int status, const QString &message, bool isHead) {
    QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("error"), message}})
                          .toJson(QJsonDocument::Compact);
    body.append('\n');
    return http::makeResponse(status, "application/json", std::move(body), isHead);
}

} // namespace fazt::hosting::functions
