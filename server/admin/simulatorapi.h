#pragma once

namespace fazt::admin {

class AdminService;

// The capacity simulator, public and cheap (the landing page's sliders and the dashboard use
// it; limited per address like every public endpoint):
//   GET /api/simulate?memoryBytes=N&cpus=N[&diskBytes=N]
// answers what Fazt would allow itself on such a machine: the server's own Capacity::compute,
// so the site, the console and the CLI never disagree. Readable from any origin (no cookies).
void addSimulatorRoutes(AdminService &service);

} // namespace fazt::admin
