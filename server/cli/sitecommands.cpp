// `fazt sites list|show|create|delete|settings` and `fazt domains list|add|remove`: a server's
// sites and their custom domains, over the admin API.

#include "cli/cli.h"
#include "cli/command.h"
#include "client/apiclient.h"
#include "vfs/vfs.h"

#include <QJsonArray>
#include <QUrl>

#include <unistd.h>

namespace fazt::cli {

Result<QStringList> siteArguments(const QCommandLineParser &p, const QString &usageLine,
                                  qsizetype minimum, qsizetype maximum) {
    const QStringList args = p.positionalArguments();
    if (args.size() < 1 + minimum || (maximum >= 0 && args.size() > 1 + maximum))
        return Error::invalid(QStringLiteral("Usage: fazt ") + usageLine);
    if (Status s = vfs::Vfs::validateSiteName(args.first()); !s)
        return s.error();
    return args;
}

QString sitePath(const QString &site, const QString &rest) {
    const QString path =
        QStringLiteral("/api/sites/") + QString::fromLatin1(QUrl::toPercentEncoding(site));
    return rest.isEmpty() ? path : path + u'/' + rest;
}

Result<RemoteCall> remoteCallFor(const QCommandLineParser &p, const QString &usageLine,
                                 qsizetype minimum, qsizetype maximum) {
    auto args = siteArguments(p, usageLine, minimum, maximum);
    if (!args)
        return args.error();
    auto api = clientFor(p);
    if (!api)
        return api.error();
    return RemoteCall{*args, std::move(*api)};
}

namespace {

const QCommandLineOption yesOption(QStringList{QStringLiteral("y"), QStringLiteral("yes")},
                                   QStringLiteral("Do not ask: delete without typing the name."));
const QCommandLineOption
    spaOption(QStringList{QStringLiteral("spa")},
              QStringLiteral("on: a single-page app (unknown paths serve index.html); off: 404."),
              QStringLiteral("on|off"));
const QCommandLineOption developmentOption(
    QStringList{QStringLiteral("development")},
    QStringLiteral("on: function errors are shown in their responses; off: only in the log."),
    QStringLiteral("on|off"));
const QCommandLineOption
    timeoutOption(QStringList{QStringLiteral("function-timeout")},
                  QStringLiteral("How long a function may run, in milliseconds (1 to 30000)."),
                  QStringLiteral("MS"));

QString text(const QJsonObject &o, const char *key) {
    const QJsonValue v = o.value(QLatin1String(key));
    if (v.isNull() || v.isUndefined())
        return QStringLiteral("-");
    return v.isDouble() ? QString::number(v.toInteger()) : v.toVariant().toString();
}

void printSites(const QJsonObject &answer) {
    const QJsonArray sites = answer.value(QLatin1String("sites")).toArray();
    if (sites.isEmpty()) {
        note() << "No sites yet. Deploy one with 'fazt deploy DIR --site NAME'." << Qt::endl;
        return;
    }
    QList<QStringList> rows{
        {QStringLiteral("NAME"), QStringLiteral("ACTIVE DEPLOY"), QStringLiteral("URL")}};
    for (const QJsonValue &v : sites) {
        const QJsonObject s = v.toObject();
        rows.append({text(s, "name"), text(s, "activeDeployId"), text(s, "url")});
    }
    printTable(rows);
}

// "spa", "development": the settings a person sees, in a stable order.
QString settingsText(const QJsonObject &settings) {
    QStringList parts;
    for (auto it = settings.begin(); it != settings.end(); ++it)
        parts.append(it.key() + u'=' +
                     (it.value().isBool() ? QString::fromLatin1(it.value().toBool() ? "on" : "off")
                                          : QString::number(it.value().toInteger())));
    return parts.isEmpty() ? QStringLiteral("(defaults)") : parts.join(QStringLiteral(", "));
}

int sitesShow(const QCommandLineParser &p) {
    auto call = remoteCallFor(p, QStringLiteral("sites show SITE"), 0, 0);
    if (!call)
        return usageError(call.error().message);
    const QString &site = call->args[0];
    auto answer = callApi(*call->api, "GET", sitePath(site));
    if (!answer)
        return fail(answer.error().message);
    auto domains = callApi(*call->api, "GET", sitePath(site, QStringLiteral("domains")));
    if (!domains)
        return fail(domains.error().message);
    if (p.isSet(jsonOption())) {
        QJsonObject all = *answer;
        all.insert(QStringLiteral("domains"), domains->value(QLatin1String("domains")));
        printJson(all);
        return Ok;
    }
    QStringList hostnames;
    for (const QJsonValue &d : domains->value(QLatin1String("domains")).toArray())
        hostnames.append(d.toObject().value(QLatin1String("hostname")).toString());
    const auto row = [](const char *label, const QString &value) {
        out() << coloured(QString::fromLatin1(label).leftJustified(15), Colour::Bold) << value
              << Qt::endl;
    };
    row("site", text(*answer, "name"));
    row("url", text(*answer, "url"));
    row("created", text(*answer, "createdAt"));
    row("active deploy", text(*answer, "activeDeployId"));
    row("settings", settingsText(answer->value(QLatin1String("settings")).toObject()));
    row("domains",
        hostnames.isEmpty() ? QStringLiteral("-") : hostnames.join(QStringLiteral(", ")));
    return Ok;
}

int sitesCreate(const QCommandLineParser &p) {
    auto call = remoteCallFor(p, QStringLiteral("sites create SITE"), 0, 0);
    if (!call)
        return usageError(call.error().message);
    auto answer = callApi(*call->api, "POST", QStringLiteral("/api/sites"),
                          {{QStringLiteral("name"), call->args[0]}});
    if (!answer)
        return fail(answer.error().message);
    note() << "Created site " << call->args[0] << ": " << text(*answer, "url")
           << ". Deploy to it with 'fazt deploy DIR --site " << call->args[0] << "'." << Qt::endl;
    return Ok;
}

int sitesDelete(const QCommandLineParser &p) {
    auto call = remoteCallFor(p, QStringLiteral("sites delete SITE [--yes]"), 0, 0);
    if (!call)
        return usageError(call.error().message);
    const QString &site = call->args[0];
    if (!p.isSet(yesOption)) {
        if (::isatty(STDIN_FILENO) != 1)
            return usageError(
                QStringLiteral("'sites delete' removes %1 with every deploy and domain of it, and "
                               "there is no terminal to confirm on: add --yes.")
                    .arg(site));
        if (auto exists = callApi(*call->api, "GET", sitePath(site)); !exists)
            return fail(exists.error().message);
        err() << "This deletes the site '" << site
              << "' with every deploy, file and custom domain of it. Type its name to confirm: "
              << Qt::flush;
        QTextStream in(stdin);
        if (in.readLine().trimmed() != site)
            return fail(QStringLiteral("Not deleted: the name typed was not '%1'.").arg(site));
    }
    if (auto done = callApi(*call->api, "DELETE", sitePath(site)); !done)
        return fail(done.error().message);
    note() << "Deleted site " << site << '.' << Qt::endl;
    return Ok;
}

Result<bool> parseSwitch(const QCommandLineParser &p, const QCommandLineOption &option) {
    const QString value = p.value(option).toLower();
    if (value == QLatin1String("on") || value == QLatin1String("true"))
        return true;
    if (value == QLatin1String("off") || value == QLatin1String("false"))
        return false;
    return Error::invalid(QStringLiteral("--%1 takes on or off, not '%2'.")
                              .arg(option.names().first(), value.left(20)));
}

int sitesSettings(const QCommandLineParser &p) {
    auto call =
        remoteCallFor(p,
                      QStringLiteral("sites settings SITE [--spa on|off] [--development on|off] "
                                     "[--function-timeout MS]"),
                      0, 0);
    if (!call)
        return usageError(call.error().message);
    const QString &site = call->args[0];
    QJsonObject changes;
    for (const auto &[option, key] :
         {std::pair{&spaOption, "spa"}, std::pair{&developmentOption, "development"}}) {
        if (!p.isSet(*option))
            continue;
        auto on = parseSwitch(p, *option);
        if (!on)
            return usageError(on.error().message);
        changes.insert(QLatin1String(key), *on);
    }
    if (p.isSet(timeoutOption)) {
        bool isNumber = false;
        const int ms = p.value(timeoutOption).toInt(&isNumber);
        if (!isNumber || ms < 1 || ms > 30000)
            return usageError(QStringLiteral("--function-timeout takes milliseconds, 1 to 30000."));
        changes.insert(QStringLiteral("functionTimeoutMs"), ms);
    }
    QJsonObject settings;
    if (changes.isEmpty()) {
        auto answer = callApi(*call->api, "GET", sitePath(site));
        if (!answer)
            return fail(answer.error().message);
        settings = answer->value(QLatin1String("settings")).toObject();
    } else {
        auto answer =
            callApi(*call->api, "PUT", sitePath(site, QStringLiteral("settings")), changes);
        if (!answer)
            return fail(answer.error().message);
        settings = *answer;
    }
    if (p.isSet(jsonOption()))
        printJson(settings);
    else
        out() << site << ": " << settingsText(settings) << Qt::endl;
    return Ok;
}

int domainsList(const QCommandLineParser &p) {
    auto site = siteArguments(p, QStringLiteral("domains list SITE"), 0, 0);
    if (!site)
        return usageError(site.error().message);
    return showRemote(
        p, "GET", sitePath(site->first(), QStringLiteral("domains")),
        [&](const QJsonObject &answer) {
            const QJsonArray domains = answer.value(QLatin1String("domains")).toArray();
            if (domains.isEmpty()) {
                note() << site->first() << " has no custom domain. Add one with 'fazt domains add "
                       << site->first() << " www.example.org'." << Qt::endl;
                return;
            }
            QList<QStringList> rows{{QStringLiteral("HOSTNAME"), QStringLiteral("ADDED")}};
            for (const QJsonValue &v : domains)
                rows.append({text(v.toObject(), "hostname"), text(v.toObject(), "createdAt")});
            printTable(rows);
        });
}

int domainsAdd(const QCommandLineParser &p) {
    auto call = remoteCallFor(p, QStringLiteral("domains add SITE HOSTNAME"), 1, 1);
    if (!call)
        return usageError(call.error().message);
    const QStringList &args = call->args;
    auto answer = callApi(*call->api, "POST", sitePath(args[0], QStringLiteral("domains")),
                          {{QStringLiteral("hostname"), args[1]}});
    if (!answer)
        return fail(answer.error().message);
    note() << text(*answer, "hostname") << " now serves " << args[0]
           << " (point its DNS at this server)." << Qt::endl;
    return Ok;
}

int domainsRemove(const QCommandLineParser &p) {
    auto call = remoteCallFor(p, QStringLiteral("domains remove SITE HOSTNAME"), 1, 1);
    if (!call)
        return usageError(call.error().message);
    const QStringList &args = call->args;
    auto done =
        callApi(*call->api, "DELETE",
                sitePath(args[0], QStringLiteral("domains/") +
                                      QString::fromLatin1(QUrl::toPercentEncoding(args[1]))));
    if (!done)
        return fail(done.error().message);
    note() << "Removed " << args[1] << " from " << args[0] << '.' << Qt::endl;
    return Ok;
}

} // namespace

QList<Command> siteCommands() {
    const auto site = [](QCommandLineParser &p) {
        p.addPositionalArgument(QStringLiteral("SITE"), QStringLiteral("The site, e.g. blog."));
        addConnectionOptions(p);
    };
    const auto siteAndHost = [site](QCommandLineParser &p) {
        site(p);
        p.addPositionalArgument(QStringLiteral("HOSTNAME"),
                                QStringLiteral("A name that points to this server, e.g. "
                                               "www.example.org."));
    };
    return {
        {QStringLiteral("sites"), QStringLiteral("list"),
         QStringLiteral("List a server's sites with their active deploy and address."), QString(),
         [](QCommandLineParser &p) {
             addConnectionOptions(p);
             p.addOption(jsonOption());
         },
         [](const QCommandLineParser &p) {
             return showRemote(p, "GET", QStringLiteral("/api/sites"), printSites);
         }},
        {QStringLiteral("sites"), QStringLiteral("show"),
         QStringLiteral("Show a site: its address, active deploy, settings and domains."),
         QStringLiteral("SITE"),
         [site](QCommandLineParser &p) {
             site(p);
             p.addOption(jsonOption());
         },
         sitesShow},
        {QStringLiteral("sites"), QStringLiteral("create"),
         QStringLiteral("Create an empty site (a deploy to a new name creates it too)."),
         QStringLiteral("SITE"), site, sitesCreate},
        {QStringLiteral("sites"), QStringLiteral("delete"),
         QStringLiteral("Delete a site with its deploys and domains (asks for its name)."),
         QStringLiteral("SITE"),
         [site](QCommandLineParser &p) {
             site(p);
             p.addOption(yesOption);
         },
         sitesDelete},
        {QStringLiteral("sites"), QStringLiteral("settings"),
         QStringLiteral("Show or change a site's settings: spa, development, function timeout."),
         QStringLiteral("SITE"),
         [site](QCommandLineParser &p) {
             site(p);
             p.addOption(spaOption);
             p.addOption(developmentOption);
             p.addOption(timeoutOption);
             p.addOption(jsonOption());
         },
         sitesSettings},
        {QStringLiteral("domains"), QStringLiteral("list"),
         QStringLiteral("List the custom domains that serve a site."), QStringLiteral("SITE"),
         [site](QCommandLineParser &p) {
             site(p);
             p.addOption(jsonOption());
         },
         domainsList},
        {QStringLiteral("domains"), QStringLiteral("add"),
         QStringLiteral("Serve a site on a custom domain too."), QStringLiteral("SITE HOSTNAME"),
         siteAndHost, domainsAdd},
        {QStringLiteral("domains"), QStringLiteral("remove"),
         QStringLiteral("Stop serving a site on a custom domain."), QStringLiteral("SITE HOSTNAME"),
         siteAndHost, domainsRemove},
    };
}

} // namespace fazt::cli
