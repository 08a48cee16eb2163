// `fazt tokens list|create|revoke`: a server's API tokens, over the admin API (admin scope).

#include "auth/tokens.h"
#include "cli/cli.h"
#include "cli/command.h"
#include "client/apiclient.h"

#include <QJsonArray>

namespace fazt::cli {

namespace {

const QCommandLineOption nameOption(QStringList{QStringLiteral("name")},
                                    QStringLiteral("What the token is for, e.g. ci (required)."),
                                    QStringLiteral("NAME"));
const QCommandLineOption scopesOption(
    QStringList{QStringLiteral("scopes")},
    QStringLiteral("Comma-separated: read, deploy, create-sites, admin (default: deploy)."),
    QStringLiteral("SCOPES"), QStringLiteral("deploy"));
const QCommandLineOption
    sitesOption(QStringList{QStringLiteral("sites")},
                QStringLiteral("Limit the token to these sites (comma-separated, e.g. blog,docs)."),
                QStringLiteral("SITES"));

QString dateOf(const QJsonValue &value) {
    return value.isString() ? value.toString().replace(u'T', u' ').remove(u'Z')
                            : QStringLiteral("never");
}

void printTokens(const QJsonObject &answer) {
    QList<QStringList> rows{{QStringLiteral("ID"), QStringLiteral("NAME"), QStringLiteral("SCOPES"),
                             QStringLiteral("SITES"), QStringLiteral("CREATED (UTC)"),
                             QStringLiteral("LAST USED")}};
    for (const QJsonValue &v : answer.value(QLatin1String("tokens")).toArray()) {
        const QJsonObject t = v.toObject();
        QStringList sites;
        for (const QJsonValue &s : t.value(QLatin1String("sites")).toArray())
            sites.append(s.toString());
        rows.append({QString::number(t.value(QLatin1String("id")).toInteger()),
                     t.value(QLatin1String("name")).toString(),
                     t.value(QLatin1String("scopes")).toString(),
                     sites.isEmpty() ? QStringLiteral("all") : sites.join(u','),
                     dateOf(t.value(QLatin1String("createdAt"))),
                     dateOf(t.value(QLatin1String("lastUsedAt")))});
    }
    printTable(rows);
}

int tokensCreate(const QCommandLineParser &p) {
    if (!p.isSet(nameOption) || p.value(nameOption).trimmed().isEmpty())
        return usageError(QStringLiteral("'tokens create' needs --name, e.g. --name ci --scopes "
                                         "deploy."));
    auto scopes = auth::parseScopes(p.value(scopesOption));
    if (!scopes)
        return usageError(scopes.error().message);
    auto sites = auth::parseSiteList(p.value(sitesOption));
    if (!sites)
        return usageError(sites.error().message);
    if (p.isSet(sitesOption) && sites->isEmpty())
        return usageError(QStringLiteral("--sites needs at least one site name, like blog,docs."));
    auto api = clientFor(p);
    if (!api)
        return usageError(api.error().message);
    QJsonObject body{{QStringLiteral("name"), p.value(nameOption)},
                     {QStringLiteral("scopes"), auth::formatScopes(*scopes)}};
    if (!sites->isEmpty())
        body.insert(QStringLiteral("sites"), QJsonArray::fromStringList(*sites));
    auto answer = callApi(**api, "POST", QStringLiteral("/api/tokens"), body);
    if (!answer)
        return fail(answer.error().message);
    if (p.isSet(jsonOption())) {
        printJson(*answer);
        return Ok;
    }
    if (!isQuiet())
        err() << "Token '" << answer->value(QLatin1String("name")).toString() << "' (id "
              << answer->value(QLatin1String("id")).toInteger() << ", "
              << answer->value(QLatin1String("scopes")).toString()
              << (sites->isEmpty() ? QString()
                                   : QStringLiteral("; only for %1").arg(sites->join(u',')))
              << ") created. It is shown once; store it now:" << Qt::endl;
    out() << answer->value(QLatin1String("token")).toString() << Qt::endl;
    return Ok;
}

int tokensRevoke(const QCommandLineParser &p) {
    const QStringList args = p.positionalArguments();
    if (args.size() != 1)
        return usageError(QStringLiteral("Usage: fazt tokens revoke ID|NAME (see 'fazt tokens "
                                         "list')."));
    auto api = clientFor(p);
    if (!api)
        return usageError(api.error().message);
    bool isNumber = false;
    qint64 id = args[0].toLongLong(&isNumber);
    if (!isNumber) {
        auto answer = callApi(**api, "GET", QStringLiteral("/api/tokens"));
        if (!answer)
            return fail(answer.error().message);
        QList<qint64> named;
        for (const QJsonValue &v : answer->value(QLatin1String("tokens")).toArray())
            if (v.toObject().value(QLatin1String("name")).toString() == args[0])
                named.append(v.toObject().value(QLatin1String("id")).toInteger());
        if (named.isEmpty())
            return fail(QStringLiteral("There is no active token named '%1' ('fazt tokens list' "
                                       "shows them).")
                            .arg(args[0].left(100)));
        if (named.size() > 1)
            return usageError(QStringLiteral("%1 tokens are named '%2': give the id of one "
                                             "('fazt tokens list').")
                                  .arg(named.size())
                                  .arg(args[0]));
        id = named.first();
    }
    if (auto done = callApi(**api, "DELETE", QStringLiteral("/api/tokens/%1").arg(id)); !done)
        return fail(done.error().message);
    note() << "Revoked token " << id << "; it stops working at once." << Qt::endl;
    return Ok;
}

} // namespace

QList<Command> tokenCommands() {
    return {
        {QStringLiteral("tokens"), QStringLiteral("list"),
         QStringLiteral("List the server's API tokens (never the secrets)."), QString(),
         [](QCommandLineParser &p) {
             addConnectionOptions(p);
             p.addOption(jsonOption());
         },
         [](const QCommandLineParser &p) {
             return showRemote(p, "GET", QStringLiteral("/api/tokens"), printTokens);
         }},
        {QStringLiteral("tokens"), QStringLiteral("create"),
         QStringLiteral("Create an API token (for CI, another machine); printed once."), QString(),
         [](QCommandLineParser &p) {
             p.addOption(nameOption);
             p.addOption(scopesOption);
             p.addOption(sitesOption);
             addConnectionOptions(p);
             p.addOption(jsonOption());
         },
         tokensCreate},
        {QStringLiteral("tokens"), QStringLiteral("revoke"),
         QStringLiteral("Revoke a token by id or name; it stops working at once."),
         QStringLiteral("ID|NAME"),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("ID|NAME"),
                                     QStringLiteral("The token, from 'fazt tokens list'."));
             addConnectionOptions(p);
         },
         tokensRevoke},
    };
}

} // namespace fazt::cli
