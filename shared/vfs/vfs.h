#pragma once

#include "db/database.h"
#include "result.h"
#include "vfs/blobreader.h"
#include "vfs/deploymanifest.h"
#include "vfs/vfstypes.h"

#include <QIODevice>
#include <QList>

#include <atomic>
#include <chrono>
#include <memory>

namespace fazt::vfs {

class DeployWriter;
class VfsCache;

// The virtual filesystem: sites, their deploys and files, stored as content-addressed chunked
// blobs in fazt.db. Reads use the calling thread's read connection; every write goes through
// the WriteQueue. Usable from any thread.
class Vfs {
public:
    enum class Activation { Activate, Keep };
    struct GarbageReport {
        qint64 deploysRemoved = 0;
        qint64 blobsRemoved = 0;
        qint64 bytesFreed = 0;
    };

    // `cache`, if given, is invalidated for a site whenever its active deploy changes.
    explicit Vfs(db::Database &database, VfsCache *cache = nullptr);

    // A site name is a DNS label: 1-63 of a-z, 0-9 and '-', not starting or ending with '-'.
    static Status validateSiteName(const QString &name);
    // Names a user cannot give a new site (admin, root, www, api, ...): what the host router
    // and the server keep for themselves.
    static bool isReservedSiteName(const QString &name);
    // validateSiteName(), and not reserved: for sites a user creates.
    static Status validateNewSiteName(const QString &name);
    // A path inside a site, normalized: '/'-separated, no leading '/', no empty, '.' or '..'
    // segments, no NUL, backslash or control characters, at most 1024 bytes of UTF-8.
    static Result<QString> normalizePath(const QString &path);
    // The Content-Type for a path, by extension (with charset=utf-8 for text).
    static QString mimeTypeFor(const QString &path);

    Result<SiteInfo> createSite(const QString &name);
    Result<SiteInfo> site(const QString &name);
    Result<QList<SiteInfo>> sites();
    // Replaces the site's settings (a JSON object, e.g. {"spa": true}).
    Status setSiteSettings(const QString &name, const QString &json);
    // Deletes the site, its domains, deploys and files; blobs go with the next garbage collection.
    Status deleteSite(const QString &name);

    // Starts a deploy of `site` (which must exist); files are added through the writer.
    Result<std::unique_ptr<DeployWriter>> beginDeploy(const QString &site);
    // Deploys every regular file under `directory` (symlinks are skipped).
    Result<DeployInfo> deployDirectory(const QString &site, const QString &directory,
                                       Activation activation = Activation::Activate);
    Result<DeployInfo> deploy(qint64 deployId);
    // The site's complete deploys, newest first.
    Result<QList<DeployInfo>> deploys(const QString &site);
    // Makes `deployId` (a complete deploy of `site`) the one served, atomically.
    Status activate(const QString &site, qint64 deployId);
    // Activates the newest complete deploy older than the active one.
    Result<DeployInfo> rollback(const QString &site);

    // The file at `path` in the site's active deploy; NotFound if none.
    Result<FileInfo> resolve(const QString &site, const QString &path);
    // Every file of a deploy, by path.
    Result<QList<FileInfo>> files(qint64 deployId);
    // A reader over the file's content, open and positioned at 0.
    std::unique_ptr<BlobReader> open(const FileInfo &file);
    // The whole content, for small files (refuses files over `limit` bytes).
    Result<QByteArray> readAll(const FileInfo &file, qint64 limit = 16 * 1024 * 1024);

    // Removes abandoned pending deploys and blobs (no progress for `abandonedAfter`) and every
    // blob no file refers to.
    Result<GarbageReport> collectGarbage(std::chrono::seconds abandonedAfter = std::chrono::hours(1));

    db::Database &database() { return m_database; }
    // Bumped after every committed change to a site's row (activation, settings, deletion):
    // whoever keeps something derived from site() may reuse it while this stays the same
    // (read it before calling site()).
    quint64 generation() const { return m_generation.load(std::memory_order_acquire); }

private:
    friend class DeployWriter;
    void invalidate(const QString &site);

    db::Database &m_database;
    VfsCache *m_cache;
    std::atomic<quint64> m_generation{0};
};

// Writes one deploy: add files (streamed, chunk by chunk, with a bounded number of chunks in
// flight), then commit. Until commit() nothing is visible; destroying an uncommitted writer
// (or a crash) leaves the site as it was.
class DeployWriter {
public:
    ~DeployWriter();
    DeployWriter(const DeployWriter &) = delete;
    DeployWriter &operator=(const DeployWriter &) = delete;

    qint64 id() const { return m_deployId; }
    const QString &site() const { return m_site; }

    // Streams `content` from its current position to its end.
    Status addFile(const QString &path, QIODevice &content);
    Status addFile(const QString &path, const QByteArray &content);
    // The same, for content that must hash to `expectedHash` (SHA-256, 32 bytes): otherwise
    // Invalid, and nothing of it is kept.
    Status addFile(const QString &path, QIODevice &content, const QByteArray &expectedHash);
    // Adds, in one transaction, the files whose content is stored already (an incremental
    // deploy), and returns the others, whose content has to come through addFile(). A file
    // whose hash is stored with another size is refused (Invalid).
    Result<QList<ManifestFile>> addStored(const QList<ManifestFile> &files);

    // Marks the deploy complete (immutable from then on) and, by default, activates it.
    Result<DeployInfo> commit(Vfs::Activation activation = Vfs::Activation::Activate);
    // Drops the deploy and what was written for it. Called by the destructor if needed.
    Status abort();

private:
    friend class Vfs;
    DeployWriter(Vfs &vfs, QString site, qint64 siteId, qint64 deployId);
    Status storeSmall(const QString &path, const QByteArray &content,
                      const QByteArray &expectedHash);
    Status storeLarge(const QString &path, QByteArray firstChunk, QIODevice &rest,
                      const QByteArray &expectedHash);

    Vfs &m_vfs;
    const QString m_site;
    const qint64 m_siteId;
    const qint64 m_deployId;
    bool m_isFinished = false;
};

} // namespace fazt::vfs
