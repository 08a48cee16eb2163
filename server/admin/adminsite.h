#pragma once

#include "http/response.h"
#include "result.h"

#include <QByteArray>
#include <QString>

namespace fazt::db {
class Database;
}

namespace fazt::admin {

// The web dashboard on admin.<domain>. Its files are built into the binary (resources/admin,
// with uPlot from node_modules) and stored as the system site `admin`, whose stamp (the
// binary's version and a SHA-256 of those files) is kept in config: a binary whose built-in
// dashboard differs from the stored one replaces it when it starts, so the dashboard always
// matches the API of the binary that serves it. The site is not reachable through the API
// (no deploys, settings, domains or deletion: a deploy token must not be able to put script
// on the owner's admin origin). The server pins its files in the VfsCache before the port
// opens and serves them with securityHeaders().
class AdminSite {
public:
    static const QString SiteName; // "admin"
    static const QString StampKey; // config key of the stored dashboard's stamp

    enum class Replace { IfOutdated, Always };

    // The stamp of the dashboard built into this binary.
    static QString builtInStamp();
    // Stores the built-in dashboard as the admin site's new active deploy when the site is
    // missing, its stamp differs, or `replace` is Always. Returns a line saying what was done,
    // or an empty string when the stored one was already this binary's.
    static Result<QString> install(db::Database &database, Replace replace);

    // What every dashboard file is served with, beyond the usual headers: a strict
    // Content-Security-Policy (scripts, styles and connections from the admin origin only; no
    // inline script or style, no frames). Lines of "Name: value\r\n".
    static std::vector<http::Header> securityHeaders();
};

} // namespace fazt::admin
