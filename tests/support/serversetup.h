#pragma once

// What integration tests prepare before they start a server: files to deploy, and settings
// written into the database the way an owner's `PUT /api/config` would leave them.

#include "config/config.h"
#include "db/database.h"
#include "system/limitstore.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRandomGenerator>
#include <QTest>

namespace fazt::test {

// Writes `content` to `path`, making its folders.
inline void writeFile(const QString &path, const QByteArray &content) {
    QDir().mkpath(QFileInfo(path).path());
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(content);
}

// `size` incompressible bytes, the same for the same seed.
inline QByteArray randomBytes(qsizetype size, quint32 seed) {
    QByteArray bytes(size, Qt::Uninitialized);
    QRandomGenerator generator(seed);
    generator.fillRange(reinterpret_cast<quint32 *>(bytes.data()), size / 4);
    return bytes;
}

// Runs `fazt deploy SOURCE --site SITE` (and `extra`) against the server on `port`; returns
// its stderr, starting with "FAILED: " if it did not exit with 0.
inline QString deployWithCli(quint16 port, const QByteArray &token, const QString &source,
                             const QString &site, const QStringList &extra = {}) {
    QProcess cli;
    cli.start(qEnvironmentVariable("FAZT_BIN"),
              QStringList{QStringLiteral("deploy"), source, QStringLiteral("--site"), site,
                          QStringLiteral("--server"),
                          QStringLiteral("http://127.0.0.1:%1").arg(port),
                          QStringLiteral("--token"), QString::fromLatin1(token)} +
                  extra);
    if (!cli.waitForFinished(60000))
        return QStringLiteral("FAILED: timed out");
    const QString err = QString::fromUtf8(cli.readAllStandardError());
    return cli.exitStatus() == QProcess::NormalExit && cli.exitCode() == 0
               ? err
               : QStringLiteral("FAILED: ") + err;
}

// Sets one config key in `db` (read by the next server start).
inline bool setConfig(const QString &db, const QString &key, const QString &value) {
    auto database = db::Database::open(db);
    if (!database)
        return false;
    Config config(**database);
    return bool(config.load()) && bool(config.set(key, value));
}

// Overrides some of the limits `server init` stored in `db` ({"maxConcurrentJs": 4}, ...).
inline bool overrideLimits(const QString &db, const QJsonObject &overrides) {
    auto database = db::Database::open(db);
    if (!database)
        return false;
    Config config(**database);
    if (!config.load())
        return false;
    QJsonObject limits =
        QJsonDocument::fromJson(config.value(system::LimitStore::LimitsKey).toUtf8()).object();
    if (limits.isEmpty())
        return false;
    for (auto it = overrides.begin(); it != overrides.end(); ++it)
        limits.insert(it.key(), it.value());
    return bool(config.set(system::LimitStore::LimitsKey,
                           QString::fromUtf8(QJsonDocument(limits).toJson())));
}

} // namespace fazt::test
