#include "tls/acmemessages.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QUrl>

namespace fazt::tls::acme {

namespace {

constexpr qsizetype MaxDocumentBytes = 1 << 20;

Result<QJsonObject> parseObject(const QByteArray &json, const char *what) {
    if (json.size() > MaxDocumentBytes)
        return Error::invalid(
            QStringLiteral("The CA's %1 is larger than 1 MiB.").arg(QLatin1String(what)));
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(json, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return Error::invalid(
            QStringLiteral("The CA's %1 is not a JSON object.").arg(QLatin1String(what)));
    return document.object();
}

// A string field; an error if present with another type, or missing when required.
Result<QString> stringField(const QJsonObject &object, const char *name, bool isRequired,
                            const char *what) {
    const QJsonValue value = object.value(QLatin1String(name));
    if (value.isString())
        return value.toString();
    if (value.isUndefined() && !isRequired)
        return QString();
    return Error::invalid(QStringLiteral("The CA's %1 has no valid \"%2\".")
                              .arg(QLatin1String(what), QLatin1String(name)));
}

Result<QString> urlField(const QJsonObject &object, const char *name, bool isRequired,
                         const char *what) {
    auto text = stringField(object, name, isRequired, what);
    if (!text || (text->isEmpty() && !isRequired))
        return text;
    const QUrl url(*text, QUrl::StrictMode);
    if (!url.isValid() ||
        (url.scheme() != QLatin1String("https") && url.scheme() != QLatin1String("http")))
        return Error::invalid(QStringLiteral("The CA's %1 has a \"%2\" that is not a URL.")
                                  .arg(QLatin1String(what), QLatin1String(name)));
    return text;
}

QString describeError(const QJsonValue &value) {
    if (!value.isObject())
        return {};
    auto problem = parseProblem(QJsonDocument(value.toObject()).toJson(QJsonDocument::Compact));
    return problem ? problem->describe() : QString();
}

} // namespace

QString Problem::describe() const {
    QString text = type.isEmpty() ? QStringLiteral("error") : type;
    if (!detail.isEmpty())
        text += QStringLiteral(": ") + detail;
    if (!subproblems.isEmpty())
        text += QStringLiteral(" (") + subproblems.join(QStringLiteral("; ")) + u')';
    return text;
}

Result<Problem> parseProblem(const QByteArray &json) {
    auto object = parseObject(json, "error document");
    if (!object)
        return object.error();
    Problem problem;
    auto type = stringField(*object, "type", false, "error document");
    auto detail = stringField(*object, "detail", false, "error document");
    if (!type || !detail)
        return !type ? type.error() : detail.error();
    problem.type = type->left(200);
    problem.detail = detail->left(1000);
    problem.status = object->value(QLatin1String("status")).toInt();
    const QJsonArray subproblems = object->value(QLatin1String("subproblems")).toArray();
    for (const QJsonValue &sub : subproblems) {
        if (problem.subproblems.size() >= 10)
            break;
        const QJsonObject o = sub.toObject();
        const QString identifier = o.value(QLatin1String("identifier"))
                                       .toObject()
                                       .value(QLatin1String("value"))
                                       .toString();
        QString text = o.value(QLatin1String("detail")).toString().left(300);
        if (!identifier.isEmpty())
            text = identifier.left(253) + QStringLiteral(": ") + text;
        problem.subproblems.append(text);
    }
    return problem;
}

Result<Directory> parseDirectory(const QByteArray &json) {
    auto object = parseObject(json, "directory");
    if (!object)
        return object.error();
    Directory directory;
    auto newNonce = urlField(*object, "newNonce", true, "directory");
    auto newAccount = urlField(*object, "newAccount", true, "directory");
    auto newOrder = urlField(*object, "newOrder", true, "directory");
    auto revokeCert = urlField(*object, "revokeCert", false, "directory");
    for (const auto *field : {&newNonce, &newAccount, &newOrder, &revokeCert})
        if (!*field)
            return field->error();
    directory.newNonce = *newNonce;
    directory.newAccount = *newAccount;
    directory.newOrder = *newOrder;
    directory.revokeCert = *revokeCert;
    directory.requiresExternalAccount = object->value(QLatin1String("meta"))
                                            .toObject()
                                            .value(QLatin1String("externalAccountRequired"))
                                            .toBool();
    return directory;
}

Result<Authorization> parseAuthorization(const QByteArray &json) {
    auto object = parseObject(json, "authorization");
    if (!object)
        return object.error();
    Authorization authorization;
    const QJsonObject identifier = object->value(QLatin1String("identifier")).toObject();
    auto value = stringField(identifier, "value", true, "authorization identifier");
    auto status = stringField(*object, "status", true, "authorization");
    if (!value || !status)
        return !value ? value.error() : status.error();
    authorization.identifier = *value;
    authorization.status = *status;
    const QJsonValue challenges = object->value(QLatin1String("challenges"));
    if (!challenges.isArray())
        return Error::invalid(QStringLiteral("The CA's authorization has no \"challenges\"."));
    for (const QJsonValue &item : challenges.toArray()) {
        if (!item.isObject())
            return Error::invalid(QStringLiteral("The CA's authorization has a challenge that "
                                                 "is not an object."));
        const QJsonObject o = item.toObject();
        auto type = stringField(o, "type", true, "challenge");
        auto url = urlField(o, "url", true, "challenge");
        auto token = stringField(o, "token", false, "challenge");
        auto challengeStatus = stringField(o, "status", false, "challenge");
        for (const auto *field : {&type, &url, &token, &challengeStatus})
            if (!*field)
                return field->error();
        authorization.challenges.append({*type, *url, *token, *challengeStatus,
                                         describeError(o.value(QLatin1String("error")))});
    }
    return authorization;
}

Result<Order> parseOrder(const QByteArray &json) {
    auto object = parseObject(json, "order");
    if (!object)
        return object.error();
    Order order;
    auto status = stringField(*object, "status", true, "order");
    auto finalize = urlField(*object, "finalize", true, "order");
    auto certificate = urlField(*object, "certificate", false, "order");
    for (const auto *field : {&status, &finalize, &certificate})
        if (!*field)
            return field->error();
    order.status = *status;
    order.finalize = *finalize;
    order.certificate = *certificate;
    const QJsonValue authorizations = object->value(QLatin1String("authorizations"));
    if (!authorizations.isArray())
        return Error::invalid(QStringLiteral("The CA's order has no \"authorizations\"."));
    for (const QJsonValue &item : authorizations.toArray()) {
        const QUrl url(item.toString(), QUrl::StrictMode);
        if (!item.isString() || !url.isValid() || url.scheme().isEmpty())
            return Error::invalid(QStringLiteral("The CA's order lists an authorization that is "
                                                 "not a URL."));
        order.authorizations.append(item.toString());
    }
    order.error = describeError(object->value(QLatin1String("error")));
    return order;
}

qint64 parseRetryAfter(const QByteArray &value, qint64 nowSeconds) {
    const QByteArray trimmed = value.trimmed();
    if (trimmed.isEmpty())
        return -1;
    bool ok = false;
    const qint64 seconds = trimmed.toLongLong(&ok);
    if (ok)
        return seconds >= 0 ? seconds : -1;
    // HTTP's IMF-fixdate is an RFC 2822 date with "GMT" for the zone, which Qt wants numeric.
    QString text = QString::fromLatin1(trimmed);
    if (text.endsWith(QLatin1String(" GMT")))
        text = text.chopped(3) + QLatin1String("+0000");
    const QDateTime at = QDateTime::fromString(text, Qt::RFC2822Date);
    return at.isValid() ? std::max<qint64>(0, at.toSecsSinceEpoch() - nowSeconds) : -1;
}

} // namespace fazt::tls::acme
