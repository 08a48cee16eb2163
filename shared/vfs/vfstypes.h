#pragma once

#include <QByteArray>
#include <QString>

namespace fazt::vfs {

// Blobs are stored in chunks of this size: any file streams, and a Range request seeks to
// one chunk. Stored per blob, so it can change without rewriting old data.
inline constexpr qint64 ChunkSize = 256 * 1024;

struct SiteInfo {
    qint64 id = 0;
    QString name;
    qint64 createdAt = 0;
    qint64 activeDeployId = 0; // 0: nothing deployed yet
    QString settings = QStringLiteral("{}"); // JSON object, e.g. {"spa": true}
};

struct DeployInfo {
    qint64 id = 0;
    QString site;
    qint64 createdAt = 0;
    qint64 fileCount = 0;
    qint64 bytes = 0;
    bool isComplete = false;
    bool isActive = false;
};

// What a (site, path) resolves to in the active deploy.
struct FileInfo {
    qint64 deployId = 0;
    QString path;
    QByteArray hash; // SHA-256, 32 bytes: the identity of the content (and its ETag)
    qint64 blobId = 0;
    qint64 size = 0;
    qint64 chunkSize = ChunkSize;
    QString mime;
    qint64 modifiedAt = 0; // the deploy's time, Unix seconds

    QByteArray etag() const { return '"' + hash.toHex() + '"'; }
};

} // namespace fazt::vfs
