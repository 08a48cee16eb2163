#pragma once

#include "http/serveroptions.h"
#include "system/capacity.h"
#include "system/probe.h"
#include "tls/httpssettings.h"

#include <QString>

#include <functional>
#include <optional>

namespace fazt::db {
class Database;
}
namespace fazt::vfs {
class Vfs;
}
namespace fazt::hosting {
class LiveReload;
}

namespace fazt::cli {

struct ServeSettings {
    http::ServerOptions http;
    QString domain;                            // base domain for host routing
    QString fixedSite;                         // if set, every host serves this site (preview)
    hosting::LiveReload *liveReload = nullptr; // preview: see SiteHandler::setLiveReload
    qint64 largeFileBytes = 2 << 20;
    // What the machine has and what Fazt allows itself on it (`server start` reads the limits
    // from config); when absent, serve() probes and computes them.
    std::optional<system::ProbeResult> probe;
    std::optional<system::Limits> limits;
    // The HTTP worker count follows the limits' workerThreads, live on recalibration (false
    // when --workers fixed it).
    bool workersFollowLimits = false;
    quint16 publicPort = 0;   // the port URLs in API answers use (0: the listening port)
    tls::HttpsSettings https; // off unless --https-port
    // Called on the main thread once listening, with the port; may print the URL.
    std::function<void(quint16 port, vfs::Vfs &vfs)> onListening;
};

// Holds SIGTERM and SIGINT back from this thread and every thread it starts from now on. A
// command that will serve() calls it first: a stop asked for while it opens (or migrates) the
// database then waits for serve(), which shuts down in order, instead of killing the process
// half-way.
void holdStopSignals();

// Runs the HTTP server on `database` until SIGTERM or SIGINT, then shuts down gracefully
// (stop accepting, finish in-flight requests, flush) and returns the exit code.
int serve(db::Database &database, const ServeSettings &settings);

} // namespace fazt::cli
