#pragma once

// A real `fazt` for the console's tests: a fresh database with the owner's password, an admin
// API token and the demo site, served on a free loopback port.

#include "support/faztprocess.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QTemporaryDir>

namespace fazt::test {

class ConsoleServer {
public:
    static constexpr const char *password = "console-test-password";

    // Runs `fazt ARGS` to its end; returns its standard output, or an empty array on failure.
    static QByteArray runFazt(const QStringList &args) {
        QProcess p;
        p.start(qEnvironmentVariable("FAZT_BIN"), args);
        if (!p.waitForFinished(60000) || p.exitStatus() != QProcess::NormalExit ||
            p.exitCode() != 0) {
            qWarning("fazt %s failed: %s", qPrintable(args.join(u' ')),
                     p.readAllStandardError().constData());
            return {};
        }
        return p.readAllStandardOutput();
    }

    bool start() {
        if (!m_dir.isValid())
            return false;
        const QString db = m_dir.filePath(QStringLiteral("fazt.db"));
        const QString passwordFile = m_dir.filePath(QStringLiteral("password"));
        QFile file(passwordFile);
        if (!file.open(QIODevice::WriteOnly))
            return false;
        file.write(QByteArray(password) + '\n');
        file.close();
        if (runFazt({QStringLiteral("server"), QStringLiteral("init"), QStringLiteral("--domain"),
                     QStringLiteral("localhost"), QStringLiteral("--db"), db,
                     QStringLiteral("--password-file"), passwordFile})
                .isEmpty())
            return false;
        // create-token prints the token alone on its last line.
        m_token = runFazt({QStringLiteral("server"), QStringLiteral("create-token"),
                           QStringLiteral("--name"), QStringLiteral("console-test"),
                           QStringLiteral("--scopes"), QStringLiteral("admin"),
                           QStringLiteral("--db"), db})
                      .trimmed()
                      .split('\n')
                      .last()
                      .trimmed();
        if (m_token.isEmpty())
            return false;
        if (!m_process.start(
                {QStringLiteral("server"), QStringLiteral("start"), QStringLiteral("--db"), db}))
            return false;
        m_url = QStringLiteral("http://127.0.0.1:%1").arg(m_process.port());
        return true;
    }

    QString url() const { return m_url; }
    QByteArray token() const { return m_token; }
    quint16 port() const { return m_process.port(); }
    FaztProcess &process() { return m_process; }
    QString path(const QString &name) const { return m_dir.filePath(name); }

private:
    QTemporaryDir m_dir;
    FaztProcess m_process;
    QString m_url;
    QByteArray m_token;
};

// Writes `content` to `path`, creating folders.
inline bool writeFile(const QString &path, const QByteArray &content) {
    QDir().mkpath(QFileInfo(path).absolutePath());
    QFile file(path);
    return file.open(QIODevice::WriteOnly | QIODevice::Truncate) &&
           file.write(content) == content.size();
}

} // namespace fazt::test
