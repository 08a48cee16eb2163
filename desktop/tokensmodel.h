#pragma once

#include "client/apiclient.h"

#include <QObject>
#include <QPointer>
#include <QVariantList>
#include <QtQml/qqmlregistration.h>

namespace fazt::console {

// The API tokens of one server (GET /api/tokens, never their secrets), for the Tokens panel:
// each with its name, scopes, sites, when it was created and last used, and whether this
// console made it; revoke() takes one away (DELETE /api/tokens/{id}) and reloads the list.
class TokensModel : public QObject {
    Q_OBJECT
    QML_ELEMENT
    Q_PROPERTY(QObject *client READ client WRITE setClient NOTIFY clientChanged)
    Q_PROPERTY(QVariantList tokens READ tokens NOTIFY tokensChanged)
    Q_PROPERTY(bool isLoading READ isLoading NOTIFY isLoadingChanged)
    Q_PROPERTY(QString error READ error NOTIFY errorChanged)

public:
    explicit TokensModel(QObject *parent = nullptr);

    QObject *client() const;
    void setClient(QObject *client);
    // [{id, name, scopes, sites, createdAt, lastUsedAt, isThisConsole}], oldest first.
    QVariantList tokens() const { return m_tokens; }
    bool isLoading() const { return m_pending > 0; }
    QString error() const { return m_error; }

    Q_INVOKABLE void refresh();
    Q_INVOKABLE void revoke(qint64 id);

Q_SIGNALS:
    void clientChanged();
    void tokensChanged();
    void isLoadingChanged();
    void errorChanged();
    void revoked(qint64 id);

private:
    void setError(const QString &error);
    void setPending(int pending);

    QPointer<client::ApiClient> m_client;
    QVariantList m_tokens;
    QString m_error;
    int m_pending = 0;
    quint64 m_generation = 0; // answers for an earlier server are dropped
};

} // namespace fazt::console
