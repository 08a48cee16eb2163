// `fazt server status`: what the database holds (read-only: it never migrates or writes) and
// whether a server answers on this machine, with its version, uptime, connections and breakers
// (its /metrics, which answers requests from the machine itself without a token).

#include "cli/cli.h"
#include "cli/command.h"
#include "db/connection.h"
#include "db/database.h"
#include "system/units.h"

#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QTcpSocket>

namespace fazt::cli {

namespace {

struct DatabaseFacts {
    qint64 bytes = 0; // the file, its -wal and -shm
    qint64 schemaVersion = 0;
    qint64 sites = 0;
    QString domain;
};

Result<DatabaseFacts> readDatabase(const QString &path) {
    if (!QFileInfo::exists(path))
        return Error::notFound(QStringLiteral("There is no database at %1 (see --db).").arg(path));
    auto connection = db::Connection::open(path, db::OpenMode::ReadOnly);
    if (!connection)
        return connection.error();
    DatabaseFacts facts;
    for (const char *suffix : {"", "-wal", "-shm"})
        facts.bytes += QFileInfo(path + QLatin1String(suffix)).size();
    auto version = (*connection)->queryInt("PRAGMA user_version");
    auto sites =
        (*connection)->queryInt("SELECT count(*) FROM sites WHERE name NOT IN ('root', 'admin')");
    if (!version || !sites)
        return version ? sites.error() : version.error();
    facts.schemaVersion = *version;
    facts.sites = *sites;
    auto domain = (*connection)->prepare("SELECT value FROM config WHERE key = 'domain'");
    if (domain && domain->next())
        facts.domain = domain->text(0);
    return facts;
}

// The server's /metrics (Prometheus text) on 127.0.0.1:port, or empty if none answers.
QByteArray fetchMetrics(quint16 port) {
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!socket.waitForConnected(2000))
        return {};
    socket.write("GET /metrics HTTP/1.1\r\nHost: admin.localhost\r\nConnection: close\r\n\r\n");
    QByteArray response;
    while (socket.waitForReadyRead(3000))
        response += socket.readAll();
    response += socket.readAll();
    if (!response.startsWith("HTTP/1.1 200"))
        return {};
    return response.mid(response.indexOf("\r\n\r\n") + 4);
}

// `name{labels} value` lines of Prometheus text, as (labels, value) pairs.
QList<QPair<QString, double>> samples(const QByteArray &metrics, const char *name) {
    QList<QPair<QString, double>> found;
    const QRegularExpression line(
        QStringLiteral("^%1(?:\\{([^}]*)\\})? (\\S+)$").arg(QLatin1String(name)),
        QRegularExpression::MultilineOption);
    for (auto it = line.globalMatch(QString::fromUtf8(metrics)); it.hasNext();) {
        const auto match = it.next();
        found.append({match.captured(1), match.captured(2).toDouble()});
    }
    return found;
}

QString duration(qint64 seconds) {
    if (seconds < 120)
        return QStringLiteral("%1 s").arg(seconds);
    if (seconds < 7200)
        return QStringLiteral("%1 min").arg(seconds / 60);
    if (seconds < 172800)
        return QStringLiteral("%1 h %2 min").arg(seconds / 3600).arg(seconds / 60 % 60);
    return QStringLiteral("%1 days %2 h").arg(seconds / 86400).arg(seconds / 3600 % 24);
}

int serverStatus(const QCommandLineParser &parser) {
    bool isNumber = false;
    const uint port = parser.value(QStringLiteral("port")).toUInt(&isNumber);
    if (!isNumber || port == 0 || port > 65535) {
        err() << "fazt: --port takes a number from 1 to 65535." << Qt::endl;
        return Usage;
    }
    const QString path = databasePath(parser);
    auto facts = readDatabase(path);
    if (!facts)
        return fail(facts.error().message);
    const QByteArray metrics = fetchMetrics(quint16(port));
    const bool isRunning = !metrics.isEmpty();
    QJsonObject server{{QStringLiteral("running"), isRunning}, {QStringLiteral("port"), int(port)}};
    QStringList tripped;
    if (isRunning) {
        static const QRegularExpression versionLabel(QStringLiteral("version=\"([^\"]*)\""));
        for (const auto &[labels, value] : samples(metrics, "fazt_build_info"))
            server.insert(QStringLiteral("version"), versionLabel.match(labels).captured(1));
        for (const auto &[labels, value] : samples(metrics, "fazt_uptime_seconds"))
            server.insert(QStringLiteral("uptimeSeconds"), qint64(value));
        for (const auto &[labels, value] : samples(metrics, "fazt_connections_open"))
            server.insert(QStringLiteral("connections"), qint64(value));
        for (const auto &[labels, value] : samples(metrics, "fazt_breaker_tripped"))
            if (value != 0)
                tripped << QString(labels).remove(QStringLiteral("kind=")).remove(u'"');
        server.insert(QStringLiteral("trippedBreakers"), QJsonArray::fromStringList(tripped));
    }
    if (parser.isSet(QStringLiteral("json"))) {
        const QJsonObject database{{QStringLiteral("path"), QFileInfo(path).absoluteFilePath()},
                                   {QStringLiteral("bytes"), facts->bytes},
                                   {QStringLiteral("schemaVersion"), facts->schemaVersion},
                                   {QStringLiteral("sites"), facts->sites},
                                   {QStringLiteral("domain"), facts->domain}};
        out() << QJsonDocument(QJsonObject{{QStringLiteral("database"), database},
                                           {QStringLiteral("server"), server}})
                     .toJson();
        return isRunning ? Ok : Failure;
    }
    out() << "Database  " << QFileInfo(path).absoluteFilePath() << " ("
          << system::humanBytes(facts->bytes) << ", schema version " << facts->schemaVersion
          << "): domain " << facts->domain << ", " << facts->sites
          << (facts->sites == 1 ? " site" : " sites") << Qt::endl;
    if (!isRunning) {
        out() << "Server    not answering on port " << port
              << " (start it: fazt service install, or fazt server start)" << Qt::endl;
        return Failure;
    }
    out() << "Server    running on port " << port << ": version "
          << server.value(QStringLiteral("version")).toString() << ", up "
          << duration(server.value(QStringLiteral("uptimeSeconds")).toInteger()) << ", "
          << server.value(QStringLiteral("connections")).toInteger() << " open connection(s)"
          << Qt::endl;
    out() << "Breakers  "
          << (tripped.isEmpty() ? QStringLiteral("none tripped")
                                : QStringLiteral("tripped: ") + tripped.join(QStringLiteral(", ")))
          << Qt::endl;
    return Ok;
}

} // namespace

QList<Command> statusCommands() {
    return {{QStringLiteral("server"), QStringLiteral("status"),
             QStringLiteral("Is the server running? Version, uptime, sites, database size, "
                            "breakers (exit code 1 when it does not answer)."),
             QString(),
             [](QCommandLineParser &p) {
                 p.addOption(databaseOption());
                 p.addOption({QStringLiteral("port"),
                              QStringLiteral("The HTTP port the server listens on (default: 80, "
                                             "the service's)."),
                              QStringLiteral("PORT"), QStringLiteral("80")});
                 p.addOption({QStringLiteral("json"), QStringLiteral("Print JSON.")});
             },
             serverStatus}};
}

} // namespace fazt::cli
