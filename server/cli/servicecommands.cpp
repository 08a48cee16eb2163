// `fazt service install|uninstall|status|logs`: Fazt as a systemd service (fazt.service with
// fazt.socket), for people who know Fazt-Go's commands. They wrap systemctl and journalctl; the
// units are the package's (/usr/lib/systemd/system) or, for a binary copied by hand, the same
// units built into the binary, written to /etc/systemd/system.

#include "cli/cli.h"
#include "cli/command.h"
#include "result.h"
#include "system/privatefiles.h"

#include <QCoreApplication>
#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QProcess>
#include <QStandardPaths>

#include <pwd.h>
#include <unistd.h>

namespace fazt::cli {

namespace {

const QString stateFolder = QStringLiteral("/var/lib/fazt");
const QString localUnits = QStringLiteral("/etc/systemd/system");
// The first line of a unit `service install` wrote, so `service uninstall` removes only those.
const QByteArray writtenMarker = "# Written by 'fazt service install'; 'fazt service uninstall' "
                                 "removes it.\n";

Status needsSystemd() {
    if (!QFileInfo(QStringLiteral("/run/systemd/system")).isDir())
        return Error::invalid(QStringLiteral(
            "systemd is not running on this machine. Start the server in the foreground with "
            "'fazt server start --db /var/lib/fazt/fazt.db' instead."));
    return {};
}

Status needsRoot(const QString &command) {
    if (::geteuid() != 0)
        return Error::invalid(QStringLiteral("'fazt service %1' changes the system: run it as "
                                             "root, e.g. 'sudo fazt service %1'.")
                                  .arg(command));
    return {};
}

// Runs a program with the terminal's stdin, stdout and stderr; its exit code, or -1.
int runForwarded(const QString &program, const QStringList &arguments) {
    if (QStandardPaths::findExecutable(program).isEmpty()) {
        err() << "fazt: " << program << " is missing on this machine." << Qt::endl;
        return -1;
    }
    return QProcess::execute(program, arguments);
}

Status run(const QString &program, const QStringList &arguments) {
    const int code = runForwarded(program, arguments);
    if (code != 0)
        return Error::io(QStringLiteral("'%1 %2' failed (exit code %3).")
                             .arg(program, arguments.join(u' '))
                             .arg(code));
    return {};
}

bool isPackaged(const QString &unit) {
    return QFileInfo::exists(QStringLiteral("/usr/lib/systemd/system/") + unit) ||
           QFileInfo::exists(QStringLiteral("/lib/systemd/system/") + unit);
}

// The built-in unit, started from this binary rather than /usr/bin/fazt.
Status writeLocalUnit(const QString &unit) {
    QFile source(QStringLiteral(":/systemd/") + unit);
    if (!source.open(QIODevice::ReadOnly))
        return Error::internal(QStringLiteral("The built-in %1 is missing.").arg(unit));
    QByteArray text = source.readAll();
    text.replace("/usr/bin/fazt ",
                 QByteArray(QFile::encodeName(QCoreApplication::applicationFilePath()) + ' '));
    QFile target(localUnits + u'/' + unit);
    if (!target.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        target.write(QByteArray(writtenMarker + text)) < 0 ||
        !target.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner |
                               QFileDevice::ReadGroup | QFileDevice::ReadOther))
        return Error::io(
            QStringLiteral("Cannot write %1: %2").arg(target.fileName(), target.errorString()));
    out() << "Wrote " << target.fileName() << Qt::endl;
    return {};
}

// The `fazt` system user the service runs as, and its state folder (0700), as the package's
// postinst makes them.
Status ensureUserAndFolder() {
    if (!::getpwnam("fazt")) {
        if (Status s = run(QStringLiteral("adduser"),
                           {QStringLiteral("--system"), QStringLiteral("--group"),
                            QStringLiteral("--home"), stateFolder,
                            QStringLiteral("--no-create-home"), QStringLiteral("--shell"),
                            QStringLiteral("/usr/sbin/nologin"), QStringLiteral("fazt")});
            !s)
            return s;
    }
    if (Status s = system::PrivateFiles::makeFolder(stateFolder); !s)
        return s;
    return run(QStringLiteral("chown"), {QStringLiteral("fazt:fazt"), stateFolder});
}

int serviceInstall(const QCommandLineParser &) {
    for (const Status &s : {needsSystemd(), needsRoot(QStringLiteral("install"))})
        if (!s)
            return fail(s.error().message);
    for (const QString &unit : {QStringLiteral("fazt.service"), QStringLiteral("fazt.socket")})
        if (!isPackaged(unit))
            if (Status s = writeLocalUnit(unit); !s)
                return fail(s.error().message);
    if (Status s = ensureUserAndFolder(); !s)
        return fail(s.error().message);
    const QString systemctl = QStringLiteral("systemctl");
    for (const QStringList &step :
         {QStringList{QStringLiteral("daemon-reload")},
          QStringList{QStringLiteral("enable"), QStringLiteral("--now"),
                      QStringLiteral("fazt.socket")},
          QStringList{QStringLiteral("enable"), QStringLiteral("fazt.service")},
          // restart, not start: a new binary or new options take effect; the socket keeps the
          // ports, so no connection is refused meanwhile.
          QStringList{QStringLiteral("restart"), QStringLiteral("fazt.service")}})
        if (Status s = run(systemctl, step); !s)
            return fail(s.error().message + QStringLiteral(" See 'fazt service logs'."));
    out() << "Fazt runs as a service on ports 80 and 443 (fazt.socket), database " << stateFolder
          << "/fazt.db.\n"
          << "  fazt service status    is it running?\n"
          << "  fazt service logs -f   what it says\n"
          << "Server options go in /etc/default/fazt as FAZT_OPTIONS=\"...\"; then 'systemctl "
             "restart fazt'."
          << Qt::endl;
    return Ok;
}

int serviceUninstall(const QCommandLineParser &) {
    for (const Status &s : {needsSystemd(), needsRoot(QStringLiteral("uninstall"))})
        if (!s)
            return fail(s.error().message);
    (void)runForwarded(QStringLiteral("systemctl"),
                       {QStringLiteral("disable"), QStringLiteral("--now"),
                        QStringLiteral("fazt.service"), QStringLiteral("fazt.socket")});
    for (const QString &unit : {QStringLiteral("fazt.service"), QStringLiteral("fazt.socket")}) {
        QFile written(localUnits + u'/' + unit);
        if (written.open(QIODevice::ReadOnly) && written.readLine() == writtenMarker) {
            written.close();
            written.remove();
            out() << "Removed " << written.fileName() << Qt::endl;
        }
    }
    (void)runForwarded(QStringLiteral("systemctl"), {QStringLiteral("daemon-reload")});
    out() << "The service is stopped and disabled. The data stays in " << stateFolder
          << " (delete it yourself if you mean to)." << Qt::endl;
    return Ok;
}

int serviceStatus(const QCommandLineParser &) {
    if (Status s = needsSystemd(); !s)
        return fail(s.error().message);
    // systemctl's own codes: 0 running, 3 stopped; ours are 0 and 1.
    return runForwarded(QStringLiteral("systemctl"),
                        {QStringLiteral("status"), QStringLiteral("--no-pager"),
                         QStringLiteral("fazt.service"), QStringLiteral("fazt.socket")}) == 0
               ? Ok
               : Failure;
}

int serviceLogs(const QCommandLineParser &parser) {
    bool isNumber = false;
    const int lines = parser.value(QStringLiteral("lines")).toInt(&isNumber);
    if (!isNumber || lines < 0) {
        err() << "fazt: --lines takes a number, e.g. --lines 200." << Qt::endl;
        return Usage;
    }
    QStringList arguments{QStringLiteral("--unit=fazt.service"), QStringLiteral("--no-pager"),
                          QStringLiteral("--lines=%1").arg(lines)};
    if (parser.isSet(QStringLiteral("follow")))
        arguments << QStringLiteral("--follow");
    if (parser.isSet(QStringLiteral("since")))
        arguments << QStringLiteral("--since=") + parser.value(QStringLiteral("since"));
    if (parser.isSet(QStringLiteral("priority")))
        arguments << QStringLiteral("--priority=") + parser.value(QStringLiteral("priority"));
    return runForwarded(QStringLiteral("journalctl"), arguments) == 0 ? Ok : Failure;
}

} // namespace

QList<Command> serviceCommands() {
    const auto none = [](QCommandLineParser &) {};
    return {
        {QStringLiteral("service"), QStringLiteral("install"),
         QStringLiteral("Run Fazt as a systemd service on ports 80 and 443 (as root)."), QString(),
         none, serviceInstall},
        {QStringLiteral("service"), QStringLiteral("uninstall"),
         QStringLiteral("Stop and disable the service; the data stays (as root)."), QString(), none,
         serviceUninstall},
        {QStringLiteral("service"), QStringLiteral("status"),
         QStringLiteral("Show whether the service runs (systemctl status)."), QString(), none,
         serviceStatus},
        {QStringLiteral("service"), QStringLiteral("logs"),
         QStringLiteral("Show the service's log (journalctl)."), QString(),
         [](QCommandLineParser &p) {
             p.addOption({QStringList{QStringLiteral("f"), QStringLiteral("follow")},
                          QStringLiteral("Keep printing new lines.")});
             p.addOption({QStringList{QStringLiteral("n"), QStringLiteral("lines")},
                          QStringLiteral("How many of the last lines (default: 100)."),
                          QStringLiteral("N"), QStringLiteral("100")});
             p.addOption({QStringLiteral("since"),
                          QStringLiteral("Only lines since TIME (\"1 hour ago\", \"today\", "
                                         "\"2024-05-01 10:00\")."),
                          QStringLiteral("TIME")});
             p.addOption({QStringList{QStringLiteral("p"), QStringLiteral("priority")},
                          QStringLiteral("Only lines at least this important (err, warning, "
                                         "info)."),
                          QStringLiteral("PRIORITY")});
         },
         serviceLogs},
    };
}

} // namespace fazt::cli
