#pragma once

namespace fazt::admin {

class AdminService;

// The API tokens of the admin API (admin scope):
//   GET    /api/tokens        every token, without its secret
//   POST   /api/tokens        {"name", "scopes": "read,deploy" or [...], "sites": [...]}
//                             -> the token, shown once
//   DELETE /api/tokens/{id}   revokes it
void addTokenRoutes(AdminService &service);

} // namespace fazt::admin
