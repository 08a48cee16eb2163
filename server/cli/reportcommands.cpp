// What a server reports, over the admin API: `fazt stats` (the last day's traffic) and
// `fazt certificates list|renew`.

#include "cli/cli.h"
#include "cli/command.h"
#include "client/apiclient.h"
#include "system/units.h"
#include "vfs/vfs.h"

#include <QDateTime>
#include <QJsonArray>
#include <QLocale>
#include <QUrl>

namespace fazt::cli {

namespace {

const QCommandLineOption siteOption(QStringList{QStringLiteral("site")},
                                    QStringLiteral("One site's traffic (default: every site)."),
                                    QStringLiteral("NAME"));

QString count(const QJsonObject &o, const char *key) {
    return QLocale::c().toString(o.value(QLatin1String(key)).toInteger());
}

void printStats(const QString &title, const QJsonObject &answer) {
    const QJsonObject totals = answer.value(QLatin1String("totals")).toObject();
    out() << coloured(title, Colour::Bold) << ", the last 24 hours: " << count(totals, "visits")
          << " visits, " << count(totals, "visitors") << " visitors, " << count(totals, "hits")
          << " hits, " << system::humanBytes(totals.value(QLatin1String("bytes")).toInteger())
          << ", " << count(totals, "events") << " events" << Qt::endl
          << Qt::endl;
    QList<QStringList> hours{{QStringLiteral("HOUR (UTC)"), QStringLiteral("VISITS"),
                              QStringLiteral("VISITORS"), QStringLiteral("HITS"),
                              QStringLiteral("BYTES")}};
    for (const QJsonValue &v : answer.value(QLatin1String("series")).toArray()) {
        const QJsonObject b = v.toObject();
        const QDateTime at =
            QDateTime::fromString(b.value(QLatin1String("t")).toString(), Qt::ISODate).toUTC();
        hours.append({at.toString(QStringLiteral("MM-dd HH:00")), count(b, "visits"),
                      count(b, "visitors"), count(b, "hits"),
                      system::humanBytes(b.value(QLatin1String("bytes")).toInteger())});
    }
    printTable(hours);
    const QJsonArray paths = answer.value(QLatin1String("topPaths")).toArray();
    if (!paths.isEmpty()) {
        out() << Qt::endl;
        QList<QStringList> rows{
            {QStringLiteral("TOP PATHS"), QStringLiteral("VISITS"), QStringLiteral("HITS")}};
        for (qsizetype i = 0; i < std::min<qsizetype>(paths.size(), 5); ++i) {
            const QJsonObject row = paths[i].toObject();
            rows.append({row.value(QLatin1String("site")).toString() + u' ' +
                             row.value(QLatin1String("path")).toString(),
                         count(row, "visits"), count(row, "hits")});
        }
        printTable(rows);
    }
}

int stats(const QCommandLineParser &p) {
    QString query;
    if (p.isSet(siteOption)) {
        if (Status s = vfs::Vfs::validateSiteName(p.value(siteOption)); !s)
            return usageError(s.error().message);
        query = QStringLiteral("site=") + p.value(siteOption);
    }
    const QString title = p.isSet(siteOption) ? p.value(siteOption) : QStringLiteral("All sites");
    return showRemote(
        p, "GET", QStringLiteral("/api/stats"),
        [&title](const QJsonObject &answer) { printStats(title, answer); }, query);
}

int certificatesList(const QCommandLineParser &p) {
    auto api = clientFor(p);
    if (!api)
        return usageError(api.error().message);
    auto answer = callApi(**api, "GET", QStringLiteral("/api/certificates"));
    if (!answer && answer.error().code == Error::Code::NotFound)
        return fail(QStringLiteral("This server does not serve HTTPS, so it has no certificates "
                                   "(start it with --https-port)."));
    if (!answer)
        return fail(answer.error().message);
    if (p.isSet(jsonOption())) {
        printJson(*answer);
        return Ok;
    }
    const QJsonArray certificates = answer->value(QLatin1String("certificates")).toArray();
    if (certificates.isEmpty()) {
        note() << "No certificates yet: each name gets one at its first HTTPS visit." << Qt::endl;
        return Ok;
    }
    QList<QStringList> rows{{QStringLiteral("NAME"), QStringLiteral("ISSUER"),
                             QStringLiteral("EXPIRES (UTC)"), QStringLiteral("LAST ERROR")}};
    for (const QJsonValue &v : certificates) {
        const QJsonObject c = v.toObject();
        const QString error = c.value(QLatin1String("last_error")).toString();
        rows.append(
            {c.value(QLatin1String("name")).toString(),
             c.value(QLatin1String("issuer")).toString().left(40),
             c.value(QLatin1String("not_after")).toString().replace(u'T', u' ').remove(u'Z'),
             error.isEmpty() ? QStringLiteral("-") : coloured(error.left(60), Colour::Red)});
    }
    printTable(rows);
    return Ok;
}

int certificatesRenew(const QCommandLineParser &p) {
    const QStringList args = p.positionalArguments();
    if (args.size() != 1)
        return usageError(
            QStringLiteral("Usage: fazt certificates renew NAME, e.g. blog.example.com"));
    auto api = clientFor(p);
    if (!api)
        return usageError(api.error().message);
    auto answer = callApi(**api, "POST",
                          QStringLiteral("/api/certificates/%1/renew")
                              .arg(QString::fromLatin1(QUrl::toPercentEncoding(args[0]))));
    if (!answer)
        return fail(answer.error().message);
    note() << "Renewing the certificate of " << args[0]
           << " now; 'fazt certificates list' shows when it is done." << Qt::endl;
    return Ok;
}

} // namespace

QList<Command> reportCommands() {
    return {
        {QStringLiteral("stats"), QString(),
         QStringLiteral("Show the last 24 hours of traffic, hour by hour, with the top paths."),
         QString(),
         [](QCommandLineParser &p) {
             p.addOption(siteOption);
             addConnectionOptions(p);
             p.addOption(jsonOption());
         },
         stats},
        {QStringLiteral("certificates"), QStringLiteral("list"),
         QStringLiteral("List the HTTPS certificates with their expiry and last error."), QString(),
         [](QCommandLineParser &p) {
             addConnectionOptions(p);
             p.addOption(jsonOption());
         },
         certificatesList},
        {QStringLiteral("certificates"), QStringLiteral("renew"),
         QStringLiteral("Renew one certificate now."), QStringLiteral("NAME"),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("NAME"),
                                     QStringLiteral("The hostname, e.g. blog.example.com."));
             addConnectionOptions(p);
         },
         certificatesRenew},
    };
}

} // namespace fazt::cli
