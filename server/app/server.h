#pragma once

#include "http/serveroptions.h"
#include "result.h"
#include "system/capacity.h"
#include "system/probe.h"
#include "tls/httpssettings.h"

#include <QString>

#include <memory>
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

namespace fazt::app {

// One Fazt server on one database: the composition root. start() makes every part and wires
// them (the cache and the VFS, host routing and the sites, analytics, functions, the admin
// API and dashboard, the guard with its metrics, the access log, HTTPS, the HTTP listener)
// and applies the config's live settings; stop() takes them down in order: no new
// connections, in-flight requests finished, the admin's and the functions' threads ended, the
// analytics still in RAM written. What the process does around it (signals, systemd's
// notifications, printing the URLs) is the caller's: `fazt server start`, `fazt preview`, the
// console's preview (through Preview).
class Server {
public:
    struct Options {
        http::ServerOptions http;
        QString domain; // base domain for host routing
        // A preview: every host serves this one site, and there is no admin API and no
        // analytics.
        QString fixedSite;
        hosting::LiveReload *liveReload = nullptr; // a preview's: see SiteHandler::setLiveReload
        qint64 largeFileBytes = 2 << 20;
        // What the machine has and what Fazt allows itself on it (`server start` reads the
        // limits from config); when absent, start() probes and computes them.
        std::optional<system::ProbeResult> probe;
        std::optional<system::Limits> limits;
        // The HTTP worker count follows the limits' workerThreads, live on recalibration
        // (false when --workers fixed it).
        bool workersFollowLimits = false;
        quint16 publicPort = 0;   // the port URLs in API answers use (0: the listening port)
        tls::HttpsSettings https; // off unless --https-port
    };

    Server(db::Database &database, Options options);
    ~Server();
    Server(const Server &) = delete;
    Server &operator=(const Server &) = delete;

    // Makes the parts and listens. On an error (a sealed secret without its key, a config or
    // admin that does not load, a port taken) nothing is left running, and the message says
    // what to do.
    Status start();
    // Graceful: stops accepting, lets in-flight requests finish (ServerOptions'
    // shutdownGraceMs), ends the admin's and the functions' threads and writes every
    // analytics event a client was told was accepted. Does nothing when not running.
    void stop();
    bool isRunning() const { return m_parts != nullptr; }

    // While running:
    quint16 port() const;      // the plain HTTP port
    quint16 httpsPort() const; // 0 without HTTPS
    bool isSocketActivated() const;
    const QString &domain() const { return m_options.domain; }
    // The serving VFS: a deploy through it drops the site's files from the cache as it
    // activates (what a preview redeploys through).
    vfs::Vfs &servingVfs();

private:
    struct Parts;

    db::Database &m_database;
    const Options m_options;
    std::unique_ptr<Parts> m_parts;
};

} // namespace fazt::app
