// `fazt audit`: the admin actions a server recorded (GET /api/audit), newest first.

#include "cli/cli.h"
#include "cli/command.h"
#include "client/apiclient.h"
#include "system/logtext.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QUrlQuery>

namespace fazt::cli {

namespace {

// The options that become the query's parameters of the same name.
constexpr const char *filterOptions[] = {"site",  "action", "actor", "since",
                                         "until", "limit",  "before"};

int audit(const QCommandLineParser &p) {
    if (!p.positionalArguments().isEmpty()) {
        err() << "fazt: 'audit' takes no arguments; filter with --site, --action, --since ..."
              << Qt::endl;
        return Usage;
    }
    auto api = clientFor(p);
    if (!api) {
        err() << "fazt: " << api.error().message << Qt::endl;
        return Usage;
    }
    QUrlQuery query;
    for (const char *name : filterOptions)
        if (p.isSet(QLatin1String(name)))
            query.addQueryItem(QLatin1String(name), p.value(QLatin1String(name)));
    auto answer = client::waitFor<QJsonObject>([&](auto done) {
        (*api)->call("GET", QStringLiteral("/api/audit"), query.toString(QUrl::FullyEncoded), {},
                     done);
    });
    if (!answer)
        return fail(answer.error().message);
    if (p.isSet(QStringLiteral("json"))) {
        out() << QString::fromUtf8(QJsonDocument(*answer).toJson(QJsonDocument::Indented));
        return Ok;
    }
    const QJsonArray entries = answer->value(QLatin1String("entries")).toArray();
    if (entries.isEmpty()) {
        out() << "No audit entries" << (query.isEmpty() ? "." : " match.") << Qt::endl;
        return Ok;
    }
    QList<QStringList> rows{{QStringLiteral("TIME (UTC)"), QStringLiteral("ACTOR"),
                             QStringLiteral("CLIENT"), QStringLiteral("ACTION"),
                             QStringLiteral("SITE"), QStringLiteral("TARGET"),
                             QStringLiteral("STATUS"), QStringLiteral("DETAIL")}};
    for (const QJsonValue &value : entries) {
        const QJsonObject e = value.toObject();
        const auto text = [&e](const char *name) {
            // The server escaped control characters already; a server that did not cannot use
            // them on this terminal either.
            return system::LogText::escaped(e.value(QLatin1String(name)).toString());
        };
        QString detail = text("detail");
        if (detail.size() > 60)
            detail = detail.left(59) + u'…';
        const int status = e.value(QLatin1String("status")).toInt();
        rows.append({QDateTime::fromString(text("at"), Qt::ISODateWithMs)
                         .toUTC()
                         .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")),
                     text("actor"), text("client").isEmpty() ? QStringLiteral("-") : text("client"),
                     text("action"), text("site").isEmpty() ? QStringLiteral("-") : text("site"),
                     text("target").isEmpty() ? QStringLiteral("-") : text("target"),
                     status ? QString::number(status) : QStringLiteral("-"), detail});
    }
    printTable(rows);
    if (const QJsonValue next = answer->value(QLatin1String("next")); next.isDouble())
        out() << "More with --before " << next.toInteger() << Qt::endl;
    return Ok;
}

} // namespace

QList<Command> auditCommands() {
    return {
        {QStringLiteral("audit"), QString(),
         QStringLiteral("Who did what on the server: logins, deploys, tokens, settings."),
         QString(),
         [](QCommandLineParser &p) {
             addConnectionOptions(p);
             p.addOption({QStringLiteral("site"), QStringLiteral("Only entries about SITE."),
                          QStringLiteral("SITE")});
             p.addOption({QStringLiteral("action"),
                          QStringLiteral("Only this action (deploy, login.failed, ...), or a "
                                         "prefix ending in '.' (token.)."),
                          QStringLiteral("ACTION")});
             p.addOption({QStringLiteral("actor"),
                          QStringLiteral("Only this actor (\"token laptop\", \"password login\", "
                                         "\"system\", \"command line\")."),
                          QStringLiteral("ACTOR")});
             p.addOption({QStringLiteral("since"),
                          QStringLiteral("From this time: Unix seconds or ISO 8601 (UTC)."),
                          QStringLiteral("TIME")});
             p.addOption({QStringLiteral("until"), QStringLiteral("Before this time."),
                          QStringLiteral("TIME")});
             p.addOption({QStringLiteral("limit"),
                          QStringLiteral("At most N entries (1-1000, default 100)."),
                          QStringLiteral("N")});
             p.addOption({QStringLiteral("before"),
                          QStringLiteral("Entries older than entry ID (the next page)."),
                          QStringLiteral("ID")});
             p.addOption({QStringLiteral("json"), QStringLiteral("Print the API's JSON.")});
         },
         audit},
    };
}

} // namespace fazt::cli
