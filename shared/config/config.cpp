#include "config/config.h"

#include "config/settings.h"
#include "db/database.h"

#include <QDateTime>

namespace fazt {

Config::Config(db::Database &database, QObject *parent)
    : QObject(parent)
    , m_database(database) {}

Status Config::load() {
    auto stmt = m_database.reader().prepare("SELECT key, value FROM config");
    if (!stmt)
        return stmt.error();
    QHash<QString, QString> values;
    while (stmt->next())
        values.insert(stmt->text(0), stmt->text(1));
    if (stmt->error())
        return *stmt->error();
    QWriteLocker lock(&m_lock);
    m_values = std::move(values);
    return {};
}

QString Config::value(const QString &key, const QString &fallback) const {
    QReadLocker lock(&m_lock);
    return m_values.value(key, fallback);
}

qint64 Config::intValue(const QString &key, qint64 fallback) const {
    bool ok = false;
    const qint64 v = value(key).toLongLong(&ok);
    return ok ? v : fallback;
}

QString Config::setting(const char *key) const {
    const Setting *known = Setting::find(QLatin1String(key));
    Q_ASSERT_X(known, "Config::setting", key);
    return value(QLatin1String(key),
                 known && known->defaultValue ? QLatin1String(known->defaultValue) : QString());
}

qint64 Config::intSetting(const char *key, qint64 fallback) const {
    const Setting *known = Setting::find(QLatin1String(key));
    Q_ASSERT_X(known && known->type == Setting::Type::Number, "Config::intSetting", key);
    if (known && known->defaultValue)
        fallback = QByteArray(known->defaultValue).toLongLong();
    return intValue(QLatin1String(key), fallback);
}

bool Config::contains(const QString &key) const {
    QReadLocker lock(&m_lock);
    return m_values.contains(key);
}

QHash<QString, QString> Config::all() const {
    QReadLocker lock(&m_lock);
    return m_values;
}

Status Config::set(const QString &key, const QString &value) {
    if (key.isEmpty() || key.size() > 200)
        return Error::invalid(QStringLiteral("A config key must have 1 to 200 characters."));
    Status stored = m_database.writer().run([key, value](db::Connection &c) -> Status {
        auto stmt = c.prepare("INSERT INTO config(key, value, updated_at) VALUES (?, ?, ?) "
                              "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                              "updated_at = excluded.updated_at");
        if (!stmt)
            return stmt.error();
        return stmt->bindAll(key, value, QDateTime::currentSecsSinceEpoch()).exec();
    });
    if (!stored)
        return stored;
    {
        QWriteLocker lock(&m_lock);
        m_values.insert(key, value);
    }
    Q_EMIT changed(key, value);
    return {};
}

Status Config::remove(const QString &key) {
    Status removed = m_database.writer().run([key](db::Connection &c) -> Status {
        auto stmt = c.prepare("DELETE FROM config WHERE key = ?");
        if (!stmt)
            return stmt.error();
        return stmt->bindAll(key).exec();
    });
    if (!removed)
        return removed;
    {
        QWriteLocker lock(&m_lock);
        m_values.remove(key);
    }
    Q_EMIT changed(key, QString());
    return {};
}

} // namespace fazt
