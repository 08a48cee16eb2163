#include "hosting/functions/answer.h"

#include <QJSEngine>
#include <QJSValue>
#include <QJSValueIterator>

#include <cmath>

namespace fazt::hosting::functions {

namespace {

QByteArray contentTypeOf(char kind) {
    switch (kind) {
    case 'j':
        return "application/json";
    case 'b':
        return "application/octet-stream";
    case 't':
        return "text/plain; charset=utf-8";
    default:
        return {}; // no body
    }
}

} // namespace

Answer Answer::fromScript(QJSEngine &engine, const QJSValue &result) {
    Answer answer;
    QString statusText;
    char kind = 'n';
    QJSValue headers;
    if (result.isString()) {
        const QString text = result.toString();
        if (!text.startsWith(u'#') && !text.startsWith(u'!')) {
            kind = 'j';
            answer.body = text.toUtf8();
        } else if (text.startsWith(u'!') || text.size() < 5) {
            answer.problem = text.mid(1);
            return answer;
        } else {
            statusText = text.sliced(1, 3);
            answer.status = statusText.toInt();
            kind = char(text[4].unicode());
            answer.body = QStringView(text).sliced(5).toUtf8();
        }
    } else if (result.isArray()) {
        const QJSValue statusValue = result.property(0);
        const double number = statusValue.toNumber();
        answer.status =
            number >= 200 && number <= 599 && number == std::floor(number) ? int(number) : 0;
        statusText = statusValue.toString();
        const QString kindText = result.property(1).toString();
        kind = kindText.isEmpty() ? 'n' : char(kindText.front().unicode());
        const QJSValue body = result.property(2);
        answer.body =
            kind == 'b' ? engine.fromScriptValue<QByteArray>(body) : body.toString().toUtf8();
        headers = result.property(3);
    } else {
        answer.problem = result.toString();
        return answer;
    }
    if (answer.status < 200 || answer.status > 599) {
        answer.problem =
            QStringLiteral("The function answered with status %1; use 200-599.").arg(statusText);
        return answer;
    }
    answer.contentType = contentTypeOf(kind);
    QJSValueIterator it(headers);
    while (it.hasNext()) {
        it.next();
        const QByteArray name = it.name().toUtf8();
        const QByteArray value = it.value().toString().toUtf8();
        if (name.compare("content-type", Qt::CaseInsensitive) == 0)
            answer.contentType = value;
        else
            answer.headers.append({name, value});
    }
    answer.check(MaxBodyBytes);
    return answer;
}

} // namespace fazt::hosting::functions
