#pragma once

#include "archive/archivewriter.h"
#include "client/apiclient.h"
#include "result.h"

#include <functional>

namespace fazt::cli {

// How `fazt deploy FOLDER` deploys, and what it reports on the way.
struct FolderDeploy {
    client::DeployOptions deploy;
    archive::PackOptions pack; // which files (hidden ones, ignore files) and the compression
    std::function<void(const QString &line)> say;
    std::function<void(qint64 sent, qint64 total)> uploadProgress;
    std::function<void(const client::DeployProgress &job)> deployProgress;
};

// An incremental deploy of a folder: the files are listed and hashed (SHA-256, on every core),
// the server is sent the manifest and answers which contents it lacks; only those are packed
// and sent, then the deploy is committed. Unchanged files cost the server nothing but their
// line in the manifest. (A server older than deploy jobs has no GET .../deploy-jobs: the
// caller asks first, and deploys the folder as an archive to such a server.)
Result<client::Deploy> deployFolder(client::ApiClient &api, const QString &site,
                                    const QString &folder, const FolderDeploy &how);

} // namespace fazt::cli
