// `fazt probe` and `fazt simulate`: what Fazt would allow itself on this machine, or on another.

#include "cli/cli.h"
#include "cli/command.h"
#include "config/settings.h"
#include "result.h"
#include "system/capacity.h"
#include "system/probe.h"
#include "system/units.h"

#include <QJsonDocument>
#include <QRegularExpression>

#include <cmath>

namespace fazt::cli {

Result<qint64> parseSize(const QString &text, const QString &option) {
    static const QRegularExpression pattern(
        QStringLiteral("^\\s*(\\d+(?:\\.\\d+)?)\\s*([kKmMgGtT]?)(?:i?[bB])?\\s*$"));
    const auto match = pattern.match(text);
    const double number = match.captured(1).toDouble();
    const int power = QStringLiteral("kmgt").indexOf(match.captured(2).toLower()) + 1;
    const double bytes = number * std::pow(1024.0, power);
    if (!match.hasMatch() || bytes < 1 || bytes > 1e18)
        return Error::invalid(QStringLiteral("%1 takes a size such as 512M, 1.5G or 20G, not '%2'.")
                                  .arg(option, text.left(50)));
    return qint64(bytes);
}

namespace {

QString number(qint64 n) {
    return QLocale::c().toString(n);
}

void printLimits(const system::Limits &limits, qint64 memoryBytes) {
    const auto row = [](const char *label, const QString &value) {
        out() << "  " << QString::fromLatin1(label).leftJustified(22) << value << Qt::endl;
    };
    out() << "Fazt's limits there:" << Qt::endl;
    row("memory budget", system::humanBytes(limits.usableMemoryBytes) +
                             QStringLiteral(" (70 % of what the OS leaves)"));
    row("file cache", system::humanBytes(limits.cacheBytes));
    row("upload RAM buffer", system::humanBytes(limits.uploadRamBytes) +
                                 QStringLiteral(" (larger uploads go to a temporary file)"));
    row("connections",
        number(limits.maxConnections) + QStringLiteral(" (then 503 with Retry-After)"));
    row("worker threads", number(limits.workerThreads));
    row("function workers",
        number(limits.maxConcurrentJs) + QStringLiteral(" (each may grow by %1)")
                                             .arg(system::humanBytes(limits.jsWorkerMemoryBytes)));
    row("SQLite cache", system::humanBytes(qint64(limits.sqliteCacheKiB) * 1024) +
                            QStringLiteral(" per connection"));
    out() << "That is about " << number(limits.concurrentVisitors)
          << " concurrent visitors; the largest upload is about "
          << system::humanBytes(limits.largestUploadBytes) << "." << Qt::endl;
    out() << "Maintenance mode starts when the database passes "
          << system::humanBytes(limits.maintenanceDbBytes) << " (" << limits.maintenanceRatio
          << " x " << system::humanBytes(memoryBytes) << " of memory)." << Qt::endl;
}

int probe(const QCommandLineParser &parser) {
    const QString path = parser.isSet(QStringLiteral("db"))
                             ? parser.value(QStringLiteral("db"))
                             : qEnvironmentVariable(settings::DatabaseVariable, QStringLiteral("fazt.db"));
    const system::ProbeResult result = system::Probe(system::Probe::defaultRoot()).run(path);
    const system::Limits limits = system::Capacity::compute(result.resources);
    if (parser.isSet(jsonOption())) {
        out() << QJsonDocument(QJsonObject{{QStringLiteral("probe"), result.toJson()},
                                           {QStringLiteral("limits"), limits.toJson()}})
                     .toJson();
        return Ok;
    }
    const auto source = [](const QString &s) {
        return s == QLatin1String("cgroup2")   ? QStringLiteral("cgroup v2 limit")
               : s == QLatin1String("cgroup1") ? QStringLiteral("cgroup v1 limit")
               : s == QLatin1String("cores")   ? QStringLiteral("online cores")
                                               : QStringLiteral("/proc/meminfo");
    };
    out() << "This machine, as Fazt sees it:" << Qt::endl;
    out() << "  memory  " << system::humanBytes(result.resources.memoryBytes) << " ("
          << source(result.memorySource) << "; the machine has "
          << system::humanBytes(result.physicalMemoryBytes) << ")" << Qt::endl;
    out() << "  CPUs    " << result.resources.cpus << " (" << source(result.cpuSource) << "; "
          << result.onlineCpus << " online)" << Qt::endl;
    out() << "  disk    " << system::humanBytes(result.resources.diskFreeBytes) << " free of "
          << system::humanBytes(result.resources.diskTotalBytes) << " (" << result.diskPath << ")"
          << Qt::endl;
    printLimits(limits, result.resources.memoryBytes);
    return Ok;
}

int simulate(const QCommandLineParser &parser) {
    system::Resources machine;
    auto ram = parseSize(parser.value(QStringLiteral("ram")), QStringLiteral("--ram"));
    if (!ram)
        return usageError(ram.error().message);
    auto disk = parseSize(parser.value(QStringLiteral("disk")), QStringLiteral("--disk"));
    if (!disk)
        return usageError(disk.error().message);
    bool ok = false;
    const double cpus = parser.value(QStringLiteral("cpus")).toDouble(&ok);
    if (!ok || !(cpus >= 0.1 && cpus <= 1024))
        return usageError(QStringLiteral("--cpus takes a number from 0.1 to 1024, e.g. 1 or 1.5."));
    machine.memoryBytes = *ram;
    machine.cpus = cpus;
    machine.diskTotalBytes = *disk;
    machine.diskFreeBytes = *disk;
    if (parser.isSet(QStringLiteral("disk-free"))) {
        auto free =
            parseSize(parser.value(QStringLiteral("disk-free")), QStringLiteral("--disk-free"));
        if (!free || *free > *disk)
            return usageError(QStringLiteral("--disk-free takes a size no larger than --disk."));
        machine.diskFreeBytes = *free;
    }
    const system::Limits limits = system::Capacity::compute(machine);
    if (parser.isSet(jsonOption())) {
        out() << QJsonDocument(
                     QJsonObject{
                         {QStringLiteral("resources"),
                          QJsonObject{{QStringLiteral("memoryBytes"), machine.memoryBytes},
                                      {QStringLiteral("cpus"), machine.cpus},
                                      {QStringLiteral("diskTotalBytes"), machine.diskTotalBytes},
                                      {QStringLiteral("diskFreeBytes"), machine.diskFreeBytes}}},
                         {QStringLiteral("limits"), limits.toJson()}})
                     .toJson();
        return Ok;
    }
    out() << "A machine with " << system::humanBytes(machine.memoryBytes) << " of memory, " << cpus
          << " CPU" << (cpus == 1 ? "" : "s") << " and "
          << system::humanBytes(machine.diskFreeBytes) << " of free disk:" << Qt::endl;
    printLimits(limits, machine.memoryBytes);
    return Ok;
}

} // namespace

QList<Command> systemCommands() {
    return {
        {QStringLiteral("probe"), QString(),
         QStringLiteral("Show the memory, CPUs and disk Fazt sees here, and the limits it takes."),
         QString(),
         [](QCommandLineParser &p) {
             p.addOption({QStringList{QStringLiteral("db")},
                          QStringLiteral("Measure the disk holding this database (default: "
                                         "$FAZT_DB, or ./fazt.db)."),
                          QStringLiteral("PATH")});
             p.addOption(jsonOption());
         },
         probe},
        {QStringLiteral("simulate"), QString(),
         QStringLiteral("Show the limits Fazt would take on another machine."), QString(),
         [](QCommandLineParser &p) {
             p.addOption({QStringLiteral("ram"), QStringLiteral("Its memory, e.g. 512M or 2G."),
                          QStringLiteral("SIZE"), QStringLiteral("512M")});
             p.addOption({QStringLiteral("cpus"), QStringLiteral("Its CPUs, e.g. 1 or 1.5."),
                          QStringLiteral("N"), QStringLiteral("1")});
             p.addOption({QStringLiteral("disk"), QStringLiteral("Its disk, e.g. 20G."),
                          QStringLiteral("SIZE"), QStringLiteral("20G")});
             p.addOption({QStringLiteral("disk-free"),
                          QStringLiteral("Free space on it (default: all of it)."),
                          QStringLiteral("SIZE")});
             p.addOption(jsonOption());
         },
         simulate},
    };
}

} // namespace fazt::cli
