// The 200 MB machine as a benchmark: the soak of tst_cgroup (a database over 10x the memory,
// traffic over many sites with large Range downloads, the admin asking for metrics), once
// under a 200 MiB cgroup and once without a limit as the peer, same database, same clients.
// Prints req/s, p99s, peak RSS, the 503 share and the admin's p99.
//
//   bench_memory FAZT_BIN [SECONDS] [CLIENTS]

#include "support/faztprocess.h"
#include "support/soak.h"

#include <QCoreApplication>
#include <QTemporaryDir>
#include <QTextStream>

using namespace fazt;
using namespace fazt::test;

namespace {

constexpr qint64 Limit = qint64(200) << 20;

QByteArray runFazt(const QString &program, const QStringList &args) {
    QProcess p;
    p.start(program, args);
    p.waitForFinished(120000);
    return p.readAllStandardOutput();
}

struct Row {
    QString name;
    SoakReport report;
};

std::optional<SoakReport> soak(const QString &program, const QString &db, const QByteArray &token,
                               const SoakSites &sites, int seconds, int clients) {
    FaztProcess fazt;
    const QString real = qEnvironmentVariable("FAZT_BIN");
    qputenv("FAZT_BIN", QFile::encodeName(program));
    const bool started =
        fazt.start({QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db});
    qputenv("FAZT_BIN", QFile::encodeName(real));
    if (!started)
        return std::nullopt;
    SoakReport report = runSoak(fazt.port(), token, fazt.pid(), sites, seconds, clients);
    if (fazt.stop() != 0)
        report.badAnswers.append("the server did not stop cleanly");
    return report;
}

} // namespace

int main(int argc, char **argv) {
    QCoreApplication app(argc, argv);
    QTextStream out(stdout);
    const QStringList args = app.arguments();
    if (args.size() < 2) {
        QTextStream(stderr) << "usage: bench_memory FAZT_BIN [SECONDS] [CLIENTS]\n";
        return 2;
    }
    const QString faztBin = args.at(1);
    qputenv("FAZT_BIN", QFile::encodeName(faztBin));
    const int seconds = args.size() > 2 ? args.at(2).toInt() : 60;
    const int clients = args.size() > 3 ? args.at(3).toInt() : 16;
    QString why;
    const auto cgroup = MemoryCgroup::create(Limit, &why);
    if (!cgroup) {
        out << "bench_memory: skipped: " << why << Qt::endl;
        return 0;
    }
    QTemporaryDir dir;
    const QString db = dir.filePath(QStringLiteral("fazt.db"));
    const SoakSites sites;
    out << "Building a " << (qint64(sites.sites) * sites.largeBytes >> 20) << " MiB database over "
        << sites.sites << " sites..." << Qt::endl;
    if (Status s = sites.build(db); !s) {
        out << "bench_memory: " << s.error().message << Qt::endl;
        return 1;
    }
    const QString launcher = cgroup->writeLauncher(dir.path(), faztBin);
    runFazt(launcher, {QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                       QStringLiteral("localhost"), QStringLiteral("--db"), db});
    const QByteArray token =
        runFazt(faztBin,
                {QStringLiteral("server"), QStringLiteral("create-token"), QStringLiteral("--name"),
                 QStringLiteral("bench"), QStringLiteral("--scopes"), QStringLiteral("admin"),
                 QStringLiteral("--db"), db})
            .trimmed();
    QList<Row> rows;
    // Same stored limits (computed for 200 MiB) in both runs: only the cgroup differs.
    for (const auto &[name, program] :
         {std::pair{QStringLiteral("fazt, 200 MiB cgroup"), launcher},
          std::pair{QStringLiteral("fazt, no limit (peer)"), faztBin}}) {
        out << "Running " << name << " for " << seconds << " s with " << clients << " clients..."
            << Qt::endl;
        auto report = soak(program, db, token, sites, seconds, clients);
        if (!report) {
            out << "bench_memory: the server did not start" << Qt::endl;
            return 1;
        }
        rows.append({name, *report});
    }
    out << Qt::endl
        << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8 %9")
               .arg(QStringLiteral("run"), -24)
               .arg(QStringLiteral("req/s"), 8)
               .arg(QStringLiteral("MB/s"), 8)
               .arg(QStringLiteral("page p50"), 9)
               .arg(QStringLiteral("page p99"), 9)
               .arg(QStringLiteral("range p99"), 10)
               .arg(QStringLiteral("admin p99"), 10)
               .arg(QStringLiteral("503"), 7)
               .arg(QStringLiteral("peak RSS"), 9)
        << Qt::endl;
    for (const Row &row : rows) {
        const SoakReport &r = row.report;
        out << QStringLiteral("%1 %2 %3 %4 %5 %6 %7 %8 %9")
                   .arg(row.name, -24)
                   .arg(double(r.requests) / r.seconds, 8, 'f', 0)
                   .arg(double(r.bytes) / r.seconds / 1e6, 8, 'f', 0)
                   .arg(
                       QStringLiteral("%1ms").arg(SoakReport::percentile(r.pageMs, 0.5), 0, 'f', 1),
                       9)
                   .arg(QStringLiteral("%1ms").arg(SoakReport::percentile(r.pageMs, 0.99), 0, 'f',
                                                   1),
                        9)
                   .arg(QStringLiteral("%1ms").arg(SoakReport::percentile(r.rangeMs, 0.99), 0, 'f',
                                                   0),
                        10)
                   .arg(QStringLiteral("%1ms").arg(SoakReport::percentile(r.adminMs, 0.99), 0, 'f',
                                                   1),
                        10)
                   .arg(QStringLiteral("%1%").arg(r.share503() * 100, 0, 'f', 2), 7)
                   .arg(QStringLiteral("%1MiB").arg(double(r.peakRssBytes) / (1 << 20), 0, 'f', 1),
                        9)
            << Qt::endl;
        if (!r.badAnswers.isEmpty())
            out << "  " << r.badAnswers.size() << " bad answers, first: " << r.badAnswers.first()
                << Qt::endl;
    }
    out << "OOM kills in the cgroup: " << cgroup->oomKills() << Qt::endl;
    return 0;
}
