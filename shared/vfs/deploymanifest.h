#pragma once

#include "result.h"

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>

namespace fazt::vfs {

// One file of an incremental deploy: where it goes, and the SHA-256 and size of its content.
struct ManifestFile {
    QString path;    // normalized (Vfs::normalizePath)
    QByteArray hash; // SHA-256, 32 bytes
    qint64 size = 0;
};

// What a client says a deploy holds, checked before anything is stored: the body of
// POST /api/sites/NAME/deploy-jobs,
//     {"files": [{"path": "index.html", "sha256": "<64 hex digits>", "size": 1234}, ...]}
// Refused whole (Invalid, or TooLarge past a limit) for: not that shape, no files, too many,
// a path that leaves the site or names a file twice, a hash that is not 64 hex digits, a
// size that is negative or past the limits.
class DeployManifest {
public:
    struct Limits {
        qint64 maxFiles = 20000;
        qint64 maxFileBytes = qint64(1) << 30;
        qint64 maxTotalBytes = qint64(1) << 30;
    };

    static Result<DeployManifest> parse(const QByteArray &json, const Limits &limits);

    const QList<ManifestFile> &files() const { return m_files; }
    qint64 totalBytes() const { return m_totalBytes; }

private:
    QList<ManifestFile> m_files;
    qint64 m_totalBytes = 0;
};

} // namespace fazt::vfs
