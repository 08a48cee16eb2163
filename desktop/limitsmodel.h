#pragma once

#include "client/apiclient.h"

#include <QAbstractListModel>
#include <QJsonObject>
#include <QPointer>
#include <QtQml/qqmlregistration.h>

namespace fazt::console {

// The limits a server runs with next to the safe values Capacity computes for its machine
// (GET /api/system/limits). A value past the safe one may crash the server: the console
// warns, and sends it with force only after a deliberate confirmation.
class LimitsModel : public QAbstractListModel {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QObject *client READ client WRITE setClient NOTIFY clientChanged)
    Q_PROPERTY(bool isAvailable READ isAvailable NOTIFY loadedChanged)
    Q_PROPERTY(QString message READ message NOTIFY messageChanged)
    Q_PROPERTY(bool isBusy READ isBusy NOTIFY isBusyChanged)
    Q_PROPERTY(int count READ rowCount NOTIFY loadedChanged)

public:
    enum Role {
        KeyRole = Qt::UserRole + 1,
        LabelRole,
        UnitRole, // "bytes", "KiB", "count" or "ratio"
        ValueRole,
        SafeRole,
        IsEditableRole,
        IsPastSafeRole,
    };

    explicit LimitsModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = QModelIndex()) const override;
    QVariant data(const QModelIndex &index, int role) const override;
    QHash<int, QByteArray> roleNames() const override;

    QObject *client() const;
    void setClient(QObject *client);
    bool isAvailable() const { return m_isAvailable; }
    QString message() const { return m_message; }
    bool isBusy() const { return m_isBusy; }

    Q_INVOKABLE void refresh();
    // Whether `value` for the limit in `row` is past what the machine can safely carry.
    Q_INVOKABLE bool isPastSafe(int row, double value) const;
    // The crash-risk warning for that value; empty within the safe range.
    Q_INVOKABLE QString warningFor(int row, double value) const;
    // Sends the new value; past the safe range only with `acceptRisk` (the server refuses
    // otherwise, and its message is shown).
    Q_INVOKABLE void apply(int row, double value, bool acceptRisk);
    // The server measures its machine again and recomputes its limits.
    Q_INVOKABLE void recalibrate();
    // The answer of GET /api/system/limits, as the server sent it.
    Q_INVOKABLE void load(const QJsonObject &answer);

Q_SIGNALS:
    void clientChanged();
    void loadedChanged();
    void messageChanged();
    void isBusyChanged();
    // Applied; the server's warnings (e.g. past the safe value) if any.
    void applied(const QString &key, const QStringList &warnings);
    void recalibrated();

private:
    struct Limit {
        QString key;
        double value = 0;
        double safe = 0;
    };
    void setMessage(const QString &message);
    void setBusy(bool isBusy);

    QPointer<client::ApiClient> m_client;
    QList<Limit> m_limits;
    bool m_isAvailable = false;
    bool m_isBusy = false;
    QString m_message;
    quint64 m_generation = 0;
};

} // namespace fazt::console
