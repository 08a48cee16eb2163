#include "tokensmodel.h"

#include "secretstore.h"
#include "serverlistmodel.h"

#include <QJsonArray>

namespace fazt::console {

TokensModel::TokensModel(QObject *parent)
    : QObject(parent) {}

QObject *TokensModel::client() const {
    return m_client;
}

void TokensModel::setClient(QObject *client) {
    auto *api = qobject_cast<client::ApiClient *>(client);
    if (m_client == api)
        return;
    m_client = api;
    ++m_generation;
    setPending(0);
    m_tokens.clear();
    setError({});
    Q_EMIT tokensChanged();
    Q_EMIT clientChanged();
    refresh();
}

void TokensModel::setError(const QString &error) {
    if (m_error == error)
        return;
    m_error = error;
    Q_EMIT errorChanged();
}

void TokensModel::setPending(int pending) {
    const bool wasLoading = isLoading();
    m_pending = pending;
    if (wasLoading != isLoading())
        Q_EMIT isLoadingChanged();
}

void TokensModel::refresh() {
    if (!m_client)
        return;
    setPending(m_pending + 1);
    m_client
        ->call("GET", QStringLiteral("/api/tokens"), QString(), {},
               [this, generation = m_generation](Result<QJsonObject> listed) {
                   if (generation != m_generation)
                       return;
                   setPending(m_pending - 1);
                   if (!listed) {
                       setError(listed.error().message);
                       return;
                   }
                   setError({});
                   const QString mine = ServerListModel::consoleTokenName();
                   m_tokens.clear();
                   for (const QJsonValue &v : listed->value(QStringLiteral("tokens")).toArray()) {
                       QVariantMap token = v.toObject().toVariantMap();
                       token.insert(QStringLiteral("isThisConsole"),
                                    token.value(QStringLiteral("name")).toString() == mine);
                       m_tokens.append(token);
                   }
                   Q_EMIT tokensChanged();
               })
        ->boundTo(this);
}

void TokensModel::revoke(qint64 id) {
    if (!m_client)
        return;
    setPending(m_pending + 1);
    m_client
        ->call("DELETE", QStringLiteral("/api/tokens/%1").arg(id), QString(), {},
               [this, id, generation = m_generation](Result<QJsonObject> done) {
                   if (generation != m_generation)
                       return;
                   setPending(m_pending - 1);
                   if (!done) {
                       setError(done.error().message);
                       return;
                   }
                   Q_EMIT revoked(id);
                   refresh();
               })
        ->boundTo(this);
}

} // namespace fazt::console
