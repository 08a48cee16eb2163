#include "admin/deploysapi.h"

#include "admin/adminservice.h"
#include "admin/deployjobs.h"
#include "vfs/vfs.h"

#include <QJsonArray>

namespace fazt::admin {

using http::Method;
using http::Response;

namespace {

// What the deploy endpoints work on: references, cheap to copy into each route.
struct DeployEndpoints {
    AdminService &service;
    vfs::Vfs &vfs;

    Response listDeploys(ApiRequest &request) const;
    Response activateDeploy(ApiRequest &request) const;
    Response rollback(ApiRequest &request) const;
};

Response DeployEndpoints::listDeploys(ApiRequest &request) const {
    auto deploys = vfs.deploys(request.params.value(QStringLiteral("name")));
    if (!deploys)
        return apiError(deploys.error());
    QJsonArray list;
    for (const vfs::DeployInfo &d : *deploys)
        list.append(service.deployJson(d));
    return jsonResponse(200, QJsonObject{{QStringLiteral("deploys"), list}});
}

Response DeployEndpoints::activateDeploy(ApiRequest &request) const {
    const QString name = request.params.value(QStringLiteral("name"));
    bool ok = false;
    const qint64 id = request.params.value(QStringLiteral("id")).toLongLong(&ok);
    if (!ok)
        return apiError(400, "invalid", QStringLiteral("A deploy id is a number."));
    if (Status s = vfs.activate(name, id); !s)
        return apiError(s.error());
    auto deploy = vfs.deploy(id);
    return deploy ? jsonResponse(200, service.deployJson(*deploy)) : apiError(deploy.error());
}

Response DeployEndpoints::rollback(ApiRequest &request) const {
    auto deploy = vfs.rollback(request.params.value(QStringLiteral("name")));
    return deploy ? jsonResponse(200, service.deployJson(*deploy)) : apiError(deploy.error());
}

} // namespace

void addDeployRoutes(AdminService &service, vfs::Vfs &vfs, DeployJobs &jobs) {
    const DeployEndpoints deploys{service, vfs};
    const auto add = [&service,
                      deploys](Method method, const char *pattern, Access access, BodyKind body,
                               Response (DeployEndpoints::*endpoint)(ApiRequest &) const) {
        service.addRoute({method, QString::fromLatin1(pattern), access, body, false,
                          [deploys, endpoint](ApiRequest &r) { return (deploys.*endpoint)(r); }});
    };
    const auto addJobs = [&service, &jobs](Method method, const char *pattern, Access access,
                                           BodyKind body,
                                           Response (DeployJobs::*endpoint)(ApiRequest &)) {
        service.addRoute({method, QString::fromLatin1(pattern), access, body, false,
                          [&jobs, endpoint](ApiRequest &r) { return (jobs.*endpoint)(r); }});
    };
    add(Method::Get, "/api/sites/{name}/deploys", Access::Read, BodyKind::None,
        &DeployEndpoints::listDeploys);
    // Stored by a job on the jobs thread: answered at once (Prefer: respond-async) or at its end.
    addJobs(Method::Post, "/api/sites/{name}/deploys", Access::Deploy, BodyKind::Archive,
            &DeployJobs::start);
    addJobs(Method::Get, "/api/sites/{name}/deploy-jobs", Access::Deploy, BodyKind::None,
            &DeployJobs::list);
    addJobs(Method::Get, "/api/sites/{name}/deploy-jobs/{id}", Access::Read, BodyKind::None,
            &DeployJobs::get);
    // Incremental deploys: a manifest, the content the server lacks, a commit.
    addJobs(Method::Post, "/api/sites/{name}/deploy-jobs", Access::Deploy, BodyKind::Archive,
            &DeployJobs::startFromManifest);
    addJobs(Method::Post, "/api/sites/{name}/deploy-jobs/{id}/blobs", Access::Deploy,
            BodyKind::Archive, &DeployJobs::receiveBlobs);
    addJobs(Method::Post, "/api/sites/{name}/deploy-jobs/{id}/commit", Access::Deploy,
            BodyKind::None, &DeployJobs::commit);
    add(Method::Post, "/api/sites/{name}/deploys/{id}/activate", Access::Deploy, BodyKind::None,
        &DeployEndpoints::activateDeploy);
    add(Method::Post, "/api/sites/{name}/rollback", Access::Deploy, BodyKind::None,
        &DeployEndpoints::rollback);
}

} // namespace fazt::admin
