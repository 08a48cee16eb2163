#include "cli/cli.h"
#include "cli/command.h"
#include "client/apiclient.h"
#include "system/logtext.h"
#include "vfs/vfs.h"

#include <QDateTime>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTimer>
#include <QUrl>

namespace fazt::cli {

namespace {

const QCommandLineOption secretOption(QStringList{QStringLiteral("secret")},
                                      QStringLiteral("The value is a secret: the API and this "
                                                     "tool never show it back in full."));
const QCommandLineOption followOption(QStringList{QStringLiteral("f"), QStringLiteral("follow")},
                                      QStringLiteral("Keep printing new entries as they come "
                                                     "(Ctrl-C ends)."));
const QCommandLineOption linesOption(QStringList{QStringLiteral("n"), QStringLiteral("lines")},
                                     QStringLiteral("How many of the newest entries to show "
                                                    "first (default 50)."),
                                     QStringLiteral("N"), QStringLiteral("50"));

void printVariables(const QJsonObject &answer) {
    const QJsonArray vars = answer.value(QLatin1String("variables")).toArray();
    if (vars.isEmpty()) {
        out() << "No variables. Set one with 'fazt env set SITE NAME VALUE'." << Qt::endl;
        return;
    }
    for (const QJsonValue &v : vars) {
        const QJsonObject var = v.toObject();
        out() << var.value(QLatin1String("name")).toString() << '='
              << var.value(QLatin1String("value")).toString()
              << (var.value(QLatin1String("secret")).toBool() ? "  (secret)" : "") << Qt::endl;
    }
}

int envList(const QCommandLineParser &p) {
    auto site = siteArguments(p, QStringLiteral("env list SITE"), 0, 0);
    if (!site)
        return usageError(site.error().message);
    return showRemote(p, "GET", sitePath(site->first(), QStringLiteral("env")), printVariables);
}

int envSet(const QCommandLineParser &p) {
    auto setup = remoteCallFor(p, QStringLiteral("env set SITE NAME VALUE [--secret]"), 2, 2);
    if (!setup)
        return usageError(setup.error().message);
    const QStringList &args = setup->args;
    auto answer = callApi(
        *setup->api, "PUT",
        sitePath(args[0],
                 QStringLiteral("env/") + QString::fromLatin1(QUrl::toPercentEncoding(args[1]))),
        {{QStringLiteral("value"), args[2]}, {QStringLiteral("secret"), p.isSet(secretOption)}});
    if (!answer)
        return fail(answer.error().message);
    note() << "Set " << answer->value(QLatin1String("name")).toString() << " on " << args[0]
           << "; its functions see it from their next request." << Qt::endl;
    return Ok;
}

int envUnset(const QCommandLineParser &p) {
    auto setup = remoteCallFor(p, QStringLiteral("env unset SITE NAME"), 1, 1);
    if (!setup)
        return usageError(setup.error().message);
    const QStringList &args = setup->args;
    auto answer =
        callApi(*setup->api, "DELETE",
                sitePath(args[0], QStringLiteral("env/") +
                                      QString::fromLatin1(QUrl::toPercentEncoding(args[1]))));
    if (!answer)
        return fail(answer.error().message);
    note() << "Removed " << args[1] << " from " << args[0] << '.' << Qt::endl;
    return Ok;
}

void printHosts(const QString &site, const QJsonObject &answer) {
    const QJsonArray hosts = answer.value(QLatin1String("hosts")).toArray();
    if (hosts.isEmpty()) {
        out() << "fazt.fetch may reach no host from " << site
              << ". Allow some with 'fazt egress set SITE HOST...'." << Qt::endl;
        return;
    }
    for (const QJsonValue &host : hosts)
        out() << host.toString() << Qt::endl;
}

int egressList(const QCommandLineParser &p) {
    auto site = siteArguments(p, QStringLiteral("egress list SITE"), 0, 0);
    if (!site)
        return usageError(site.error().message);
    return showRemote(p, "GET", sitePath(site->first(), QStringLiteral("egress")),
                      [&](const QJsonObject &answer) { printHosts(site->first(), answer); });
}

int egressSet(const QCommandLineParser &p) {
    auto setup = remoteCallFor(p, QStringLiteral("egress set SITE [HOST...]"), 0, -1);
    if (!setup)
        return usageError(setup.error().message);
    const QString site = setup->args.takeFirst();
    auto answer = callApi(*setup->api, "PUT", sitePath(site, QStringLiteral("egress")),
                          {{QStringLiteral("hosts"), QJsonArray::fromStringList(setup->args)}});
    if (!answer)
        return fail(answer.error().message);
    printHosts(site, *answer);
    return Ok;
}

// `fazt logs SITE [-f]`: the newest entries, then (following) polls every second for more.
int logs(const QCommandLineParser &p) {
    auto setup = remoteCallFor(p, QStringLiteral("logs SITE [-f]"), 0, 0);
    if (!setup)
        return usageError(setup.error().message);
    bool ok = false;
    const int lines = p.value(linesOption).toInt(&ok);
    if (!ok || lines < 1 || lines > 1000)
        return usageError(QStringLiteral("--lines takes a number from 1 to 1000."));
    const QString path = sitePath(setup->args[0], QStringLiteral("logs"));
    qint64 last = -1;
    const auto fetchMore = [&]() -> Status {
        auto answer = callApi(*setup->api, "GET", path, {},
                              last < 0 ? QStringLiteral("limit=%1").arg(lines)
                                       : QStringLiteral("after=%1&limit=1000").arg(last));
        if (!answer)
            return answer.error();
        for (const QJsonValue &v : answer->value(QLatin1String("entries")).toArray()) {
            if (p.isSet(jsonOption())) { // one object per line, as it comes
                out() << QJsonDocument(v.toObject()).toJson(QJsonDocument::Compact) << Qt::endl;
                continue;
            }
            const QJsonObject entry = v.toObject();
            out() << QDateTime::fromMSecsSinceEpoch(entry.value(QLatin1String("at")).toInteger(),
                                                    Qt::UTC)
                         .toString(QStringLiteral("yyyy-MM-dd HH:mm:ss.zzz"))
                  << ' '
                  << system::LogText::escaped(
                         entry.value(QLatin1String("level")).toString().toUpper())
                  << ' '
                  << system::LogText::escaped(entry.value(QLatin1String("message")).toString())
                  << Qt::endl; // a server that stored raw control characters cannot use them
        }
        last = answer->value(QLatin1String("last")).toInteger();
        return {};
    };
    if (Status s = fetchMore(); !s)
        return fail(s.error().message);
    if (!p.isSet(followOption))
        return Ok;
    for (;;) {
        QEventLoop pause;
        QTimer::singleShot(1000, &pause, &QEventLoop::quit);
        pause.exec();
        if (Status s = fetchMore(); !s)
            return fail(s.error().message);
    }
}

} // namespace

QList<Command> functionCommands() {
    const auto site = [](QCommandLineParser &p) {
        p.addPositionalArgument(QStringLiteral("SITE"), QStringLiteral("The site, e.g. blog."));
        addConnectionOptions(p);
    };
    const auto siteWithJson = [site](QCommandLineParser &p) {
        site(p);
        p.addOption(jsonOption());
    };
    return {
        {QStringLiteral("env"), QStringLiteral("list"),
         QStringLiteral("List a site's variables (fazt.env); secrets masked."),
         QStringLiteral("SITE"), siteWithJson, envList},
        {QStringLiteral("env"), QStringLiteral("set"),
         QStringLiteral("Set a variable its functions read as fazt.env.NAME."),
         QStringLiteral("SITE NAME VALUE"),
         [site](QCommandLineParser &p) {
             site(p);
             p.addPositionalArgument(QStringLiteral("NAME"),
                                     QStringLiteral("Letters, digits and '_', e.g. API_KEY."));
             p.addPositionalArgument(QStringLiteral("VALUE"), QStringLiteral("The value."));
             p.addOption(secretOption);
         },
         envSet},
        {QStringLiteral("env"), QStringLiteral("unset"), QStringLiteral("Remove a variable."),
         QStringLiteral("SITE NAME"),
         [site](QCommandLineParser &p) {
             site(p);
             p.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("The variable."));
         },
         envUnset},
        {QStringLiteral("egress"), QStringLiteral("list"),
         QStringLiteral("List the hosts a site's fazt.fetch may reach."), QStringLiteral("SITE"),
         siteWithJson, egressList},
        {QStringLiteral("egress"), QStringLiteral("set"),
         QStringLiteral("Replace the hosts a site's fazt.fetch may reach (none: no egress)."),
         QStringLiteral("SITE [HOST...]"),
         [site](QCommandLineParser &p) {
             site(p);
             p.addPositionalArgument(QStringLiteral("HOST"),
                                     QStringLiteral("api.example.com, or with a port: "
                                                    "127.0.0.1:8080."),
                                     QStringLiteral("[HOST...]"));
         },
         egressSet},
        {QStringLiteral("logs"), QString(),
         QStringLiteral("Show a site's function log (fazt.log and errors); -f follows it."),
         QStringLiteral("SITE"),
         [site](QCommandLineParser &p) {
             site(p);
             p.addOption(followOption);
             p.addOption(linesOption);
             p.addOption(jsonOption());
         },
         logs},
    };
}

} // namespace fazt::cli
