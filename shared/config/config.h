#pragma once

#include "result.h"

#include <QHash>
#include <QObject>
#include <QReadWriteLock>
#include <QString>

namespace fazt::db {
class Database;
}

namespace fazt {

// The `config` table, held in RAM: reads never touch the database; a write goes to RAM and,
// through the WriteQueue, to the database, and returns once both hold it.
class Config : public QObject {
    Q_OBJECT
public:
    explicit Config(db::Database &database, QObject *parent = nullptr);

    // Reads every row into RAM (done once at start).
    Status load();

    QString value(const QString &key, const QString &fallback = {}) const;
    qint64 intValue(const QString &key, qint64 fallback) const;
    // A setting of the registry (Setting::all()): its stored value, else its default.
    QString setting(const char *key) const;
    // A number of the registry: its stored value if it is one, else its default (`fallback`
    // for a setting whose default is computed, such as functions.queue_length).
    qint64 intSetting(const char *key, qint64 fallback = 0) const;
    bool contains(const QString &key) const;
    QHash<QString, QString> all() const;

    // Stores in the database, then in RAM; on error RAM is unchanged.
    Status set(const QString &key, const QString &value);
    Status set(const QString &key, qint64 value) { return set(key, QString::number(value)); }
    Status remove(const QString &key);

Q_SIGNALS:
    void changed(const QString &key, const QString &value);

private:
    db::Database &m_database;
    mutable QReadWriteLock m_lock;
    QHash<QString, QString> m_values;
};

} // namespace fazt
