#include "vfs/vfs.h"

#include "crypto/sha256.h"
#include "vfs/vfscache.h"

#include <QDateTime>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QRandomGenerator>

namespace fazt::vfs {

using db::Connection;

namespace {

qint64 now() { return QDateTime::currentSecsSinceEpoch(); }

Error siteNotFound(const QString &site) {
    return Error::notFound(QStringLiteral("There is no site named '%1'.").arg(site));
}

DeployInfo deployFromRow(const db::Statement &row, const QString &site) {
    // columns: id, created_at, file_count, bytes, status, is_active
    DeployInfo d;
    d.id = row.int64(0);
    d.site = site;
    d.createdAt = row.int64(1);
    d.fileCount = row.int64(2);
    d.bytes = row.int64(3);
    d.isComplete = row.text(4) == QLatin1String("complete");
    d.isActive = row.int64(5) != 0;
    return d;
}

FileInfo fileFromRow(const db::Statement &row, qint64 deployId, QString path) {
    // columns: blob_hash, size, mime, deploy created_at, blob id, chunk_size
    FileInfo f;
    f.deployId = deployId;
    f.path = std::move(path);
    f.hash = row.blob(0);
    f.size = row.int64(1);
    f.mime = row.text(2);
    f.modifiedAt = row.int64(3);
    f.blobId = row.int64(4);
    f.chunkSize = row.int64(5);
    return f;
}

Result<qint64> siteId(Connection &c, const QString &name) {
    auto stmt = c.prepare("SELECT id FROM sites WHERE name = ?");
    if (!stmt)
        return stmt.error();
    stmt->bindAll(name);
    if (stmt->next())
        return stmt->int64(0);
    if (stmt->error())
        return *stmt->error();
    return siteNotFound(name);
}

} // namespace

Vfs::Vfs(db::Database &database, VfsCache *cache) : m_database(database), m_cache(cache) {}

void Vfs::invalidate(const QString &site) {
    m_generation.fetch_add(1, std::memory_order_acq_rel);
    if (m_cache)
        m_cache->removeSite(site);
}

Status Vfs::validateSiteName(const QString &name) {
    const auto isValid = [&] {
        if (name.isEmpty() || name.size() > 63 || name.startsWith(u'-') || name.endsWith(u'-'))
            return false;
        for (QChar ch : name) {
            const bool ok = (ch >= u'a' && ch <= u'z') || (ch >= u'0' && ch <= u'9') || ch == u'-';
            if (!ok)
                return false;
        }
        return true;
    }();
    if (isValid)
        return {};
    return Error::invalid(QStringLiteral("'%1' is not a valid site name: use 1 to 63 lower-case "
                                         "letters, digits and '-', not starting or ending with '-'.")
                              .arg(name.left(80)));
}

bool Vfs::isReservedSiteName(const QString &name) {
    // admin.<domain> is the admin API and root the landing site (seeded by `server init`);
    // the others are names people expect to be the server's own.
    static const QStringList reserved{
        QStringLiteral("admin"), QStringLiteral("root"),       QStringLiteral("www"),
        QStringLiteral("api"),   QStringLiteral("localhost"),  QStringLiteral("fazt"),
        QStringLiteral("mail"),  QStringLiteral("autoconfig"), QStringLiteral("autodiscover")};
    return reserved.contains(name);
}

Status Vfs::validateNewSiteName(const QString &name) {
    if (Status s = validateSiteName(name); !s)
        return s;
    if (isReservedSiteName(name))
        return Error::invalid(QStringLiteral("'%1' is reserved for the server itself; choose "
                                             "another name for the site.")
                                  .arg(name));
    return {};
}

Result<QString> Vfs::normalizePath(const QString &path) {
    const auto reject = [&](const QString &why) {
        return Error::invalid(QStringLiteral("The path '%1' is not allowed: %2.")
                                  .arg(path.left(200), why));
    };
    if (path.toUtf8().size() > 1024)
        return reject(QStringLiteral("it is longer than 1024 bytes"));
    QStringList kept;
    for (const QString &segment : path.split(u'/')) {
        if (segment.isEmpty() || segment == QLatin1String("."))
            continue;
        if (segment == QLatin1String(".."))
            return reject(QStringLiteral("'..' is not allowed"));
        for (QChar ch : segment) {
            if (ch.unicode() < 0x20 || ch.unicode() == 0x7f)
                return reject(QStringLiteral("it contains a control character"));
            if (ch == u'\\')
                return reject(QStringLiteral("it contains a backslash"));
            if (ch.isSurrogate() && !(ch.isHighSurrogate() || ch.isLowSurrogate()))
                return reject(QStringLiteral("it is not valid UTF-8"));
        }
        kept.append(segment);
    }
    if (kept.isEmpty())
        return reject(QStringLiteral("it names no file"));
    return kept.join(u'/');
}

QString Vfs::mimeTypeFor(const QString &path) {
    static const QHash<QString, QString> types = {
        {QStringLiteral("html"), QStringLiteral("text/html; charset=utf-8")},
        {QStringLiteral("htm"), QStringLiteral("text/html; charset=utf-8")},
        {QStringLiteral("css"), QStringLiteral("text/css; charset=utf-8")},
        {QStringLiteral("js"), QStringLiteral("text/javascript; charset=utf-8")},
        {QStringLiteral("mjs"), QStringLiteral("text/javascript; charset=utf-8")},
        {QStringLiteral("json"), QStringLiteral("application/json")},
        {QStringLiteral("map"), QStringLiteral("application/json")},
        {QStringLiteral("webmanifest"), QStringLiteral("application/manifest+json")},
        {QStringLiteral("xml"), QStringLiteral("application/xml")},
        {QStringLiteral("rss"), QStringLiteral("application/rss+xml")},
        {QStringLiteral("atom"), QStringLiteral("application/atom+xml")},
        {QStringLiteral("txt"), QStringLiteral("text/plain; charset=utf-8")},
        {QStringLiteral("md"), QStringLiteral("text/markdown; charset=utf-8")},
        {QStringLiteral("csv"), QStringLiteral("text/csv; charset=utf-8")},
        {QStringLiteral("svg"), QStringLiteral("image/svg+xml")},
        {QStringLiteral("png"), QStringLiteral("image/png")},
        {QStringLiteral("jpg"), QStringLiteral("image/jpeg")},
        {QStringLiteral("jpeg"), QStringLiteral("image/jpeg")},
        {QStringLiteral("gif"), QStringLiteral("image/gif")},
        {QStringLiteral("webp"), QStringLiteral("image/webp")},
        {QStringLiteral("avif"), QStringLiteral("image/avif")},
        {QStringLiteral("ico"), QStringLiteral("image/x-icon")},
        {QStringLiteral("bmp"), QStringLiteral("image/bmp")},
        {QStringLiteral("woff"), QStringLiteral("font/woff")},
        {QStringLiteral("woff2"), QStringLiteral("font/woff2")},
        {QStringLiteral("ttf"), QStringLiteral("font/ttf")},
        {QStringLiteral("otf"), QStringLiteral("font/otf")},
        {QStringLiteral("wasm"), QStringLiteral("application/wasm")},
        {QStringLiteral("pdf"), QStringLiteral("application/pdf")},
        {QStringLiteral("zip"), QStringLiteral("application/zip")},
        {QStringLiteral("gz"), QStringLiteral("application/gzip")},
        {QStringLiteral("mp4"), QStringLiteral("video/mp4")},
        {QStringLiteral("webm"), QStringLiteral("video/webm")},
        {QStringLiteral("mp3"), QStringLiteral("audio/mpeg")},
        {QStringLiteral("ogg"), QStringLiteral("audio/ogg")},
        {QStringLiteral("wav"), QStringLiteral("audio/wav")},
    };
    const qsizetype slash = path.lastIndexOf(u'/');
    const qsizetype dot = path.lastIndexOf(u'.');
    if (dot <= slash + 1) // no extension, or a dotfile like ".htaccess"
        return QStringLiteral("application/octet-stream");
    return types.value(path.mid(dot + 1).toLower(), QStringLiteral("application/octet-stream"));
}

Result<SiteInfo> Vfs::createSite(const QString &name) {
    if (Status s = validateSiteName(name); !s)
        return s.error();
    auto created = m_database.writer().run([name](Connection &c) -> Result<SiteInfo> {
        auto stmt = c.prepare("INSERT INTO sites(name, created_at) VALUES (?, ?)");
        if (!stmt)
            return stmt.error();
        const qint64 createdAt = now();
        if (Status s = stmt->bindAll(name, createdAt).exec(); !s) {
            if (s.error().code == Error::Code::Conflict)
                return Error::conflict(QStringLiteral("A site named '%1' exists already.").arg(name));
            return s.error();
        }
        return SiteInfo{c.lastInsertRowId(), name, createdAt, 0, QStringLiteral("{}")};
    });
    if (created)
        invalidate(name);
    return created;
}

Result<SiteInfo> Vfs::site(const QString &name) {
    auto stmt = m_database.reader().prepare(
        "SELECT id, created_at, active_deploy_id, settings FROM sites WHERE name = ?");
    if (!stmt)
        return stmt.error();
    stmt->bindAll(name);
    if (stmt->next())
        return SiteInfo{stmt->int64(0), name, stmt->int64(1), stmt->int64(2), stmt->text(3)};
    if (stmt->error())
        return *stmt->error();
    return siteNotFound(name);
}

Result<QList<SiteInfo>> Vfs::sites() {
    auto stmt = m_database.reader().prepare(
        "SELECT id, name, created_at, active_deploy_id, settings FROM sites ORDER BY name");
    if (!stmt)
        return stmt.error();
    QList<SiteInfo> list;
    while (stmt->next())
        list.append({stmt->int64(0), stmt->text(1), stmt->int64(2), stmt->int64(3), stmt->text(4)});
    if (stmt->error())
        return *stmt->error();
    return list;
}

Status Vfs::setSiteSettings(const QString &name, const QString &json) {
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(json.toUtf8(), &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return Error::invalid(QStringLiteral("Site settings must be a JSON object, like {\"spa\": true}."));
    Status stored = m_database.writer().run([name, json](Connection &c) -> Status {
        auto stmt = c.prepare("UPDATE sites SET settings = ? WHERE name = ?");
        if (!stmt)
            return stmt.error();
        if (Status s = stmt->bindAll(json, name).exec(); !s)
            return s;
        return c.changes() == 1 ? Status() : Status(siteNotFound(name));
    });
    if (stored)
        invalidate(name);
    return stored;
}

Status Vfs::deleteSite(const QString &name) {
    Status deleted = m_database.writer().run([name](Connection &c) -> Status {
        auto stmt = c.prepare("DELETE FROM sites WHERE name = ?");
        if (!stmt)
            return stmt.error();
        if (Status s = stmt->bindAll(name).exec(); !s)
            return s;
        if (c.changes() == 0)
            return siteNotFound(name);
        return {};
    });
    if (deleted)
        invalidate(name);
    return deleted;
}

Result<std::unique_ptr<DeployWriter>> Vfs::beginDeploy(const QString &site) {
    auto created = m_database.writer().run([site](Connection &c) -> Result<QPair<qint64, qint64>> {
        auto id = siteId(c, site);
        if (!id)
            return id.error();
        auto stmt = c.prepare("INSERT INTO deploys(site_id, created_at, updated_at) VALUES (?, ?, ?)");
        if (!stmt)
            return stmt.error();
        const qint64 t = now();
        if (Status s = stmt->bindAll(*id, t, t).exec(); !s)
            return s.error();
        return qMakePair(*id, c.lastInsertRowId());
    });
    if (!created)
        return created.error();
    return std::unique_ptr<DeployWriter>(
        new DeployWriter(*this, site, created->first, created->second));
}

Result<DeployInfo> Vfs::deployDirectory(const QString &site, const QString &directory,
                                        Activation activation) {
    const QDir root(directory);
    if (!root.exists())
        return Error::notFound(QStringLiteral("The folder %1 does not exist.").arg(directory));
    auto writer = beginDeploy(site);
    if (!writer)
        return writer.error();
    QStringList paths;
    QDirIterator it(directory, QDir::Files | QDir::Hidden | QDir::NoSymLinks,
                    QDirIterator::Subdirectories);
    while (it.hasNext())
        paths.append(it.next());
    paths.sort();
    for (const QString &path : paths) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            return Error::io(QStringLiteral("Cannot read %1: %2").arg(path, file.errorString()));
        if (Status s = (*writer)->addFile(root.relativeFilePath(path), file); !s)
            return s.error();
    }
    return (*writer)->commit(activation);
}

Result<DeployInfo> Vfs::deploy(qint64 deployId) {
    auto stmt = m_database.reader().prepare(
        "SELECT d.id, d.created_at, d.file_count, d.bytes, d.status, "
        "s.active_deploy_id IS d.id, s.name FROM deploys d JOIN sites s ON s.id = d.site_id "
        "WHERE d.id = ?");
    if (!stmt)
        return stmt.error();
    stmt->bindAll(deployId);
    if (stmt->next())
        return deployFromRow(*stmt, stmt->text(6));
    if (stmt->error())
        return *stmt->error();
    return Error::notFound(QStringLiteral("There is no deploy %1.").arg(deployId));
}

Result<QList<DeployInfo>> Vfs::deploys(const QString &site) {
    auto info = this->site(site);
    if (!info)
        return info.error();
    auto stmt = m_database.reader().prepare(
        "SELECT id, created_at, file_count, bytes, status, id = ? FROM deploys "
        "WHERE site_id = ? AND status = 'complete' ORDER BY id DESC");
    if (!stmt)
        return stmt.error();
    stmt->bindAll(info->activeDeployId, info->id);
    QList<DeployInfo> list;
    while (stmt->next())
        list.append(deployFromRow(*stmt, site));
    if (stmt->error())
        return *stmt->error();
    return list;
}

Status Vfs::activate(const QString &site, qint64 deployId) {
    Status activated = m_database.writer().run([site, deployId](Connection &c) -> Status {
        auto id = siteId(c, site);
        if (!id)
            return id.error();
        auto check = c.prepare("SELECT status FROM deploys WHERE id = ? AND site_id = ?");
        if (!check)
            return check.error();
        check->bindAll(deployId, *id);
        if (!check->next())
            return check->error() ? *check->error()
                                  : Error::notFound(QStringLiteral("Site '%1' has no deploy %2.")
                                                        .arg(site)
                                                        .arg(deployId));
        if (check->text(0) != QLatin1String("complete"))
            return Error::conflict(
                QStringLiteral("Deploy %1 is not complete and cannot be activated.").arg(deployId));
        auto stmt = c.prepare("UPDATE sites SET active_deploy_id = ? WHERE id = ?");
        if (!stmt)
            return stmt.error();
        return stmt->bindAll(deployId, *id).exec();
    });
    if (activated)
        invalidate(site);
    return activated;
}

Result<DeployInfo> Vfs::rollback(const QString &site) {
    auto info = this->site(site);
    if (!info)
        return info.error();
    if (info->activeDeployId == 0)
        return Error::conflict(QStringLiteral("Site '%1' has no active deploy to roll back.").arg(site));
    auto stmt = m_database.reader().prepare(
        "SELECT id FROM deploys WHERE site_id = ? AND status = 'complete' AND id < ? "
        "ORDER BY id DESC LIMIT 1");
    if (!stmt)
        return stmt.error();
    stmt->bindAll(info->id, info->activeDeployId);
    if (!stmt->next())
        return stmt->error() ? *stmt->error()
                             : Error::conflict(QStringLiteral("Site '%1' has no earlier deploy to "
                                                              "roll back to.")
                                                   .arg(site));
    const qint64 previous = stmt->int64(0);
    if (Status s = activate(site, previous); !s)
        return s.error();
    return deploy(previous);
}

Result<FileInfo> Vfs::resolve(const QString &site, const QString &path) {
    auto stmt = m_database.reader().prepare(
        "SELECT f.blob_hash, f.size, f.mime, d.created_at, b.id, b.chunk_size, d.id "
        "FROM sites s JOIN deploys d ON d.id = s.active_deploy_id "
        "JOIN files f ON f.deploy_id = d.id AND f.path = ? "
        "JOIN blobs b ON b.hash = f.blob_hash WHERE s.name = ?");
    if (!stmt)
        return stmt.error();
    stmt->bindAll(path, site);
    if (stmt->next())
        return fileFromRow(*stmt, stmt->int64(6), path);
    if (stmt->error())
        return *stmt->error();
    return Error::notFound(QStringLiteral("Site '%1' has no file '%2'.").arg(site, path));
}

Result<QList<FileInfo>> Vfs::files(qint64 deployId) {
    auto stmt = m_database.reader().prepare(
        "SELECT f.blob_hash, f.size, f.mime, d.created_at, b.id, b.chunk_size, f.path "
        "FROM files f JOIN deploys d ON d.id = f.deploy_id JOIN blobs b ON b.hash = f.blob_hash "
        "WHERE f.deploy_id = ? ORDER BY f.path");
    if (!stmt)
        return stmt.error();
    stmt->bindAll(deployId);
    QList<FileInfo> list;
    while (stmt->next())
        list.append(fileFromRow(*stmt, deployId, stmt->text(6)));
    if (stmt->error())
        return *stmt->error();
    return list;
}

std::unique_ptr<BlobReader> Vfs::open(const FileInfo &file) {
    auto reader =
        std::make_unique<BlobReader>(m_database, file.blobId, file.size, file.chunkSize);
    reader->open(QIODevice::ReadOnly | QIODevice::Unbuffered);
    return reader;
}

Result<QByteArray> Vfs::readAll(const FileInfo &file, qint64 limit) {
    if (file.size > limit)
        return Error{Error::Code::TooLarge,
                     QStringLiteral("'%1' has %2 bytes, more than %3 to read at once: stream it.")
                         .arg(file.path)
                         .arg(file.size)
                         .arg(limit)};
    auto reader = open(file);
    if (reader->chunkCount() == 1)
        return reader->chunk(0);
    QByteArray all;
    all.reserve(file.size);
    for (qint64 i = 0; i < reader->chunkCount(); ++i) {
        auto chunk = reader->chunk(i);
        if (!chunk)
            return chunk.error();
        all.append(*chunk);
    }
    return all;
}

Result<Vfs::GarbageReport> Vfs::collectGarbage(std::chrono::seconds abandonedAfter) {
    const qint64 cutoff = now() - abandonedAfter.count();
    return m_database.writer().run([cutoff](Connection &c) -> Result<GarbageReport> {
        GarbageReport report;
        auto deploys = c.prepare("DELETE FROM deploys WHERE status = 'pending' AND updated_at < ?");
        if (!deploys)
            return deploys.error();
        if (Status s = deploys->bindAll(cutoff).exec(); !s)
            return s.error();
        report.deploysRemoved = c.changes();

        auto measure = c.prepare(
            "SELECT count(*), coalesce(sum(size), 0) FROM blobs WHERE "
            "(hash IS NULL AND touched_at < ?1) OR (hash IS NOT NULL AND NOT EXISTS "
            "(SELECT 1 FROM files WHERE files.blob_hash = blobs.hash))");
        if (!measure)
            return measure.error();
        measure->bindAll(cutoff);
        if (!measure->next())
            return measure->error() ? *measure->error() : Error::internal(QStringLiteral("no row"));
        report.blobsRemoved = measure->int64(0);
        report.bytesFreed = measure->int64(1);

        auto blobs = c.prepare(
            "DELETE FROM blobs WHERE (hash IS NULL AND touched_at < ?1) OR (hash IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM files WHERE files.blob_hash = blobs.hash))");
        if (!blobs)
            return blobs.error();
        if (Status s = blobs->bindAll(cutoff).exec(); !s)
            return s.error();
        return report;
    });
}

} // namespace fazt::vfs
