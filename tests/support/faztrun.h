#pragma once

// Runs the real `fazt` binary (FAZT_BIN) as a command, to its end.

#include <QProcess>
#include <QString>
#include <QStringList>

#include <cstdlib>

namespace fazt::test {

struct Run {
    int exitCode = -1; // -1: it crashed
    QString out;
    QString err;
};

// `fazt ARGS` with `env`; standard input is closed at once (not a terminal).
inline Run runFazt(const QStringList &args,
                   const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment()) {
    QProcess p;
    p.setProcessEnvironment(env);
    p.start(qEnvironmentVariable("FAZT_BIN"), args);
    p.closeWriteChannel();
    if (!p.waitForFinished(120000))
        qFatal("fazt %s did not finish", qPrintable(args.join(u' ')));
    return {p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError())};
}

} // namespace fazt::test
