#pragma once

namespace fazt::vfs {
class Vfs;
}

namespace fazt::admin {

class AdminService;
class DeployJobs;

// The deploys of a site in the admin API:
//   GET  /api/sites/{name}/deploys                     its deploys, newest first
//   POST /api/sites/{name}/deploys                     an archive, stored by a job (DeployJobs)
//   GET  /api/sites/{name}/deploy-jobs[/{id}]          the jobs, or one of them
//   POST /api/sites/{name}/deploy-jobs                 an incremental deploy: a manifest,
//   POST /api/sites/{name}/deploy-jobs/{id}/blobs      the content the server lacks,
//   POST /api/sites/{name}/deploy-jobs/{id}/commit     a commit
//   POST /api/sites/{name}/deploys/{id}/activate       serves that deploy again
//   POST /api/sites/{name}/rollback                    serves the newest deploy older than
//                                                      the active one
void addDeployRoutes(AdminService &service, vfs::Vfs &vfs, DeployJobs &jobs);

} // namespace fazt::admin
