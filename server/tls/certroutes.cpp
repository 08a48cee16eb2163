#include "tls/certroutes.h"

#include "admin/adminservice.h"
#include "tls/certmanager.h"

#include <QDateTime>
#include <QJsonArray>

namespace fazt::tls {

namespace {

QJsonValue isoTime(qint64 seconds) {
    if (seconds <= 0)
        return QJsonValue::Null;
    return QDateTime::fromSecsSinceEpoch(seconds, Qt::UTC).toString(Qt::ISODate);
}

} // namespace

void addCertificateRoutes(admin::AdminService &service, CertManager &manager) {
    using admin::Access;
    using admin::BodyKind;
    service.addRoute(
        {http::Method::Get, QStringLiteral("/api/certificates"), Access::Read, BodyKind::None,
         false, [&manager](admin::ApiRequest &) {
             QJsonArray list;
             for (const CertManager::CertStatus &c : manager.certificates()) {
                 list.append(QJsonObject{
                     {QStringLiteral("name"), c.name},
                     {QStringLiteral("issuer"), c.issuer},
                     {QStringLiteral("not_before"), isoTime(c.notBefore)},
                     {QStringLiteral("not_after"), isoTime(c.notAfter)},
                     {QStringLiteral("fingerprint"), QString::fromLatin1(c.fingerprint)},
                     {QStringLiteral("managed"), c.isManaged},
                     {QStringLiteral("failures"), c.failures},
                     {QStringLiteral("last_error"),
                      c.lastError.isEmpty() ? QJsonValue::Null : QJsonValue(c.lastError)},
                     {QStringLiteral("next_attempt"), isoTime(c.nextAttempt)}});
             }
             return admin::jsonResponse(
                 200, QJsonObject{{QStringLiteral("certificates"), list},
                                  {QStringLiteral("orders"), manager.ordersPlaced()}});
         }});
    service.addRoute({http::Method::Post, QStringLiteral("/api/certificates/{name}/renew"),
                      Access::Admin, BodyKind::None, false, [&manager](admin::ApiRequest &request) {
                          const QString name = request.params.value(QStringLiteral("name"));
                          if (Status s = manager.renew(name); !s)
                              return admin::apiError(s.error());
                          return admin::jsonResponse(
                              202, QJsonObject{{QStringLiteral("name"), name},
                                               {QStringLiteral("renewing"), true}});
                      }});
}

} // namespace fazt::tls
