#pragma once

namespace fazt::admin {
class AdminService;
}

namespace fazt::tls {

class CertManager;

// GET  /api/certificates                  names, issuer, validity, last error, next attempt
// POST /api/certificates/{name}/renew     orders a fresh certificate now (202)
void addCertificateRoutes(admin::AdminService &service, CertManager &manager);

} // namespace fazt::tls
