// naivestatsserver: the peer bench_stats measures the StatsBuffer against. It serves what
// `fazt server start` serves for analytics (POST /track events, every other request counted)
// the way the system the StatsBuffer replaced did: one INSERT, in its own transaction, per
// record, on the request's thread. It runs on fazt's own HTTP engine, so the two differ only
// in how they write.
//
//   naivestatsserver --db FILE --listen ADDRESS --port PORT [--workers N] [--tuned]
//
// Without --tuned the connection keeps SQLite's defaults (synchronous=FULL: a sync per event,
// as a straightforward implementation gets); with it, the server's own pragmas (WAL,
// synchronous=NORMAL), which isolates the pattern from durability. On SIGTERM or SIGINT it
// stops and prints the line bench_stats reads, as fazt does:
//   fazt: analytics: N records written in N transactions, 0 dropped

#include "bench/stats/naivewriter.h"
#include "db/database.h"
#include "http/exchange.h"
#include "http/httpserver.h"
#include "http/responses.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QDateTime>
#include <QJsonDocument>
#include <QJsonObject>

#include <csignal>

using namespace fazt;
using fazt::bench::NaiveWriter;

namespace {

constexpr qint64 MaxEventBytes = 4096;

class NaiveHandler : public http::Handler {
public:
    explicit NaiveHandler(NaiveWriter &writer)
        : m_writer(writer) {}

    void handle(http::Exchange &exchange) override {
        const http::Request &request = exchange.request();
        const QByteArray site = request.host().toByteArray().split('.').value(0);
        if (request.path() != "/track") {
            m_writer.insert(site, request.path(), "pageview", QDateTime::currentMSecsSinceEpoch());
            exchange.respond(http::makeResponse(200, "text/html; charset=utf-8",
                                                "<!doctype html><title>naive</title>"));
            return;
        }
        auto body = std::make_shared<QByteArray>();
        exchange.receiveBody(MaxEventBytes, [this, site, body, &exchange](QByteArrayView piece,
                                                                          bool last) {
            body->append(piece);
            if (!last)
                return;
            const QJsonObject event = QJsonDocument::fromJson(*body).object();
            const QByteArray name = event.value(QLatin1String("event")).toString().toUtf8();
            if (name.isEmpty()) {
                exchange.respond(http::errorResponse(400, QStringLiteral("No event.")));
                return;
            }
            const QByteArray path = event.value(QLatin1String("path")).toString().toUtf8();
            exchange.respond(m_writer.insert(site, path, name, QDateTime::currentMSecsSinceEpoch())
                                 ? http::makeResponse(204, "text/plain", {})
                                 : http::errorResponse(500, QStringLiteral("Not stored.")));
        });
    }

private:
    NaiveWriter &m_writer;
};

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.addOptions(
        {{QStringLiteral("db"), QStringLiteral("The database."), QStringLiteral("FILE")},
         {QStringLiteral("listen"), QStringLiteral("The address."), QStringLiteral("ADDRESS"),
          QStringLiteral("127.0.0.1")},
         {QStringLiteral("port"), QStringLiteral("The port."), QStringLiteral("PORT")},
         {QStringLiteral("workers"), QStringLiteral("HTTP workers."), QStringLiteral("N"),
          QStringLiteral("2")},
         {QStringLiteral("tuned"), QStringLiteral("The server's own pragmas.")}});
    parser.process(app);
    // SIGTERM and SIGINT are waited for below; blocked first, so every thread inherits that.
    sigset_t stopSignals;
    sigemptyset(&stopSignals);
    sigaddset(&stopSignals, SIGTERM);
    sigaddset(&stopSignals, SIGINT);
    pthread_sigmask(SIG_BLOCK, &stopSignals, nullptr);

    auto database = db::Database::open(parser.value(QStringLiteral("db")));
    if (!database) {
        qCritical("naivestatsserver: %s", qPrintable(database.error().message));
        return 1;
    }
    auto writer = NaiveWriter::open(**database, parser.isSet(QStringLiteral("tuned"))
                                                    ? NaiveWriter::Pragmas::ServerPragmas
                                                    : NaiveWriter::Pragmas::SqliteDefaults);
    if (!writer) {
        qCritical("naivestatsserver: %s", qPrintable(writer.error().message));
        return 1;
    }
    NaiveHandler handler(**writer);
    http::ServerOptions options;
    options.address = QHostAddress(parser.value(QStringLiteral("listen")));
    options.port = quint16(parser.value(QStringLiteral("port")).toUInt());
    options.workers = parser.value(QStringLiteral("workers")).toInt();
    http::HttpServer server(handler, options);
    if (Status s = server.listen(); !s) {
        qCritical("naivestatsserver: %s", qPrintable(s.error().message));
        return 1;
    }
    int signal = 0;
    sigwait(&stopSignals, &signal);
    server.stop();
    const quint64 written = (*writer)->written();
    qInfo("fazt: analytics: %llu records written in %llu transactions, 0 dropped", written,
          written);
    return 0;
}
