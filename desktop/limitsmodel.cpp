#include "limitsmodel.h"

#include "format.h"

#include <QJsonArray>

namespace fazt::console {

namespace {

struct Description {
    const char *key;
    const char *label;
    const char *unit;
    bool isEditable;
};

// In the order a person reads them; the computed ones (usable memory, visitors, the DB size at
// which maintenance starts) follow from the others and are shown, not set.
constexpr Description kDescriptions[] = {
    {"usableMemoryBytes", "Usable memory", "bytes", false},
    {"cacheBytes", "File cache", "bytes", true},
    {"uploadRamBytes", "Upload RAM buffer", "bytes", true},
    {"largestUploadBytes", "Largest upload", "bytes", true},
    {"maxConnections", "Connections", "count", true},
    {"workerThreads", "HTTP worker threads", "count", true},
    {"maxConcurrentJs", "Function workers", "count", true},
    {"jsWorkerMemoryBytes", "Memory per function worker", "bytes", true},
    {"sqliteCacheKiB", "SQLite cache", "KiB", true},
    {"concurrentVisitors", "Concurrent visitors (estimate)", "count", false},
    {"maintenanceRatio", "Maintenance at DB size / RAM", "ratio", true},
    {"maintenanceDbBytes", "Maintenance at DB size", "bytes", false},
};

const Description *describe(const QString &key) {
    for (const Description &d : kDescriptions)
        if (key == QLatin1String(d.key))
            return &d;
    return nullptr;
}

QString formatted(const Description *d, double value) {
    const QString unit = d ? QString::fromLatin1(d->unit) : QString();
    if (unit == QLatin1String("bytes"))
        return Format::bytes(value);
    if (unit == QLatin1String("KiB"))
        return Format::bytes(value * 1024);
    if (unit == QLatin1String("ratio"))
        return QString::number(value) + u'x';
    return QString::number(qint64(value));
}

} // namespace

LimitsModel::LimitsModel(QObject *parent)
    : QAbstractListModel(parent) {}

int LimitsModel::rowCount(const QModelIndex &parent) const {
    return parent.isValid() ? 0 : int(m_limits.size());
}

QHash<int, QByteArray> LimitsModel::roleNames() const {
    return {{KeyRole, "key"},
            {LabelRole, "label"},
            {UnitRole, "unit"},
            {ValueRole, "value"},
            {SafeRole, "safe"},
            {IsEditableRole, "isEditable"},
            {IsPastSafeRole, "isPastSafe"}};
}

QVariant LimitsModel::data(const QModelIndex &index, int role) const {
    if (!checkIndex(index, CheckIndexOption::IndexIsValid))
        return {};
    const Limit &limit = m_limits[index.row()];
    const Description *d = describe(limit.key);
    switch (role) {
    case KeyRole:
        return limit.key;
    case Qt::DisplayRole:
    case LabelRole:
        return d ? tr(d->label) : limit.key;
    case UnitRole:
        return d ? QString::fromLatin1(d->unit) : QStringLiteral("count");
    case ValueRole:
        return limit.value;
    case SafeRole:
        return limit.safe;
    case IsEditableRole:
        return d && d->isEditable;
    case IsPastSafeRole:
        return isPastSafe(index.row(), limit.value);
    default:
        return {};
    }
}

QObject *LimitsModel::client() const {
    return m_client;
}

void LimitsModel::setClient(QObject *client) {
    auto *api = qobject_cast<client::ApiClient *>(client);
    if (m_client == api)
        return;
    m_client = api;
    ++m_generation;
    load({});
    setMessage({});
    Q_EMIT clientChanged();
    refresh();
}

void LimitsModel::setMessage(const QString &message) {
    if (m_message == message)
        return;
    m_message = message;
    Q_EMIT messageChanged();
}

void LimitsModel::setBusy(bool isBusy) {
    if (m_isBusy == isBusy)
        return;
    m_isBusy = isBusy;
    Q_EMIT isBusyChanged();
}

void LimitsModel::load(const QJsonObject &answer) {
    const QJsonObject limits = answer.value(QStringLiteral("limits")).toObject();
    const QJsonObject safe = answer.value(QStringLiteral("safe")).toObject();
    beginResetModel();
    m_limits.clear();
    for (const Description &d : kDescriptions) {
        const QString key = QString::fromLatin1(d.key);
        if (limits.contains(key))
            m_limits.append({key, limits.value(key).toDouble(), safe.value(key).toDouble()});
    }
    endResetModel();
    m_isAvailable = !m_limits.isEmpty();
    Q_EMIT loadedChanged();
}

void LimitsModel::refresh() {
    if (!m_client)
        return;
    m_client->limits([this, generation = m_generation](Result<QJsonObject> answer) {
        if (generation != m_generation)
            return;
        if (!answer) {
            load({});
            setMessage(answer.error().code == Error::Code::NotFound
                           ? tr("Limits are not available on this server (it is older than "
                                "this console).")
                           : answer.error().message);
            return;
        }
        setMessage({});
        load(*answer);
    })->boundTo(this);
}

bool LimitsModel::isPastSafe(int row, double value) const {
    if (row < 0 || row >= m_limits.size())
        return false;
    const Limit &limit = m_limits[row];
    const Description *d = describe(limit.key);
    return d && d->isEditable && limit.safe > 0 && value > limit.safe;
}

QString LimitsModel::warningFor(int row, double value) const {
    if (!isPastSafe(row, value))
        return {};
    const Limit &limit = m_limits[row];
    const Description *d = describe(limit.key);
    return tr("%1 is past the safe value of %2 for this machine. The server may run out of "
              "memory and be killed by the system, taking every site down with it. Set it only "
              "if you know the machine can carry it.")
        .arg(formatted(d, value), formatted(d, limit.safe));
}

void LimitsModel::apply(int row, double value, bool acceptRisk) {
    if (!m_client || row < 0 || row >= m_limits.size())
        return;
    const QString key = m_limits[row].key;
    const Description *d = describe(key);
    if (!d || !d->isEditable)
        return;
    const QJsonValue json = QLatin1String(d->unit) == QLatin1String("ratio")
                                ? QJsonValue(value)
                                : QJsonValue(qint64(value));
    setBusy(true);
    m_client->setLimits(
        QJsonObject{{key, json}},
        acceptRisk ? client::LimitOverride::Force : client::LimitOverride::WithinSafe,
        [this, key, generation = m_generation](Result<QJsonObject> answer) {
            if (generation != m_generation)
                return;
            setBusy(false);
            if (!answer) {
                setMessage(answer.error().message);
                return;
            }
            QStringList warnings;
            for (const QJsonValue &w : answer->value(QStringLiteral("warnings")).toArray())
                warnings.append(w.toString());
            setMessage(warnings.join(u'\n'));
            Q_EMIT applied(key, warnings);
            refresh();
        })->boundTo(this);
}

void LimitsModel::recalibrate() {
    if (!m_client)
        return;
    setBusy(true);
    m_client->recalibrate([this, generation = m_generation](Result<QJsonObject> answer) {
        if (generation != m_generation)
            return;
        setBusy(false);
        if (!answer) {
            setMessage(answer.error().code == Error::Code::NotFound
                           ? tr("Recalibration is not available on this server.")
                           : answer.error().message);
            return;
        }
        setMessage(tr("Recalibrated: the limits now follow the machine as measured just now."));
        Q_EMIT recalibrated();
        refresh();
    })->boundTo(this);
}

} // namespace fazt::console
