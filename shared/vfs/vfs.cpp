#include "vfs/vfs.h"

#include "crypto/sha256.h"
#include "vfs/vfscache.h"

#include <QDateTime>
#include <QDir>
#include <QBuffer>
#include <QDirIterator>
#include <QFile>
#include <QHash>
#include <QJsonDocument>
#include <QRandomGenerator>

#include <deque>

namespace fazt::vfs {

using db::Connection;

namespace {

qint64 now() { return QDateTime::currentSecsSinceEpoch(); }

// How many chunk writes of one file may wait in the WriteQueue at once: enough to keep the
// writer busy while the next chunk is read and hashed, few enough to bound RAM.
constexpr int ChunksInFlight = 4;

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

// Inserts a file row; the blob with `hash` must exist in this transaction.
Status insertFile(Connection &c, qint64 deployId, const QString &path, const QByteArray &hash,
                  qint64 size) {
    auto file = c.prepare(
        "INSERT INTO files(deploy_id, path, blob_hash, size, mime) VALUES (?, ?, ?, ?, ?)");
    if (!file)
        return file.error();
    file->bind(1, deployId).bind(2, path).bindBlob(3, hash).bind(4, size).bind(5,
                                                                             Vfs::mimeTypeFor(path));
    if (Status s = file->exec(); !s) {
        if (s.error().code == Error::Code::Conflict)
            return Error::conflict(QStringLiteral("The deploy has '%1' twice.").arg(path));
        return s;
    }
    auto deploy = c.prepare("UPDATE deploys SET file_count = file_count + 1, bytes = bytes + ?, "
                            "updated_at = ? WHERE id = ?");
    if (!deploy)
        return deploy.error();
    return deploy->bindAll(size, now(), deployId).exec();
}

Result<qint64> blobIdByHash(Connection &c, const QByteArray &hash) {
    auto stmt = c.prepare("SELECT id FROM blobs WHERE hash = ?");
    if (!stmt)
        return stmt.error();
    stmt->bindBlob(1, hash);
    if (stmt->next())
        return stmt->int64(0);
    if (stmt->error())
        return *stmt->error();
    return qint64(0);
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

// Reads `size` bytes, or fewer only at the end of the stream (waits on sequential devices).
Result<QByteArray> readUpTo(QIODevice &device, qint64 size) {
    QByteArray data(size, Qt::Uninitialized);
    qint64 filled = 0;
    while (filled < size) {
        const qint64 n = device.read(data.data() + filled, size - filled);
        if (n < 0)
            return Error::io(device.errorString());
        filled += n;
        if (n == 0) {
            if (!device.isSequential() || device.atEnd())
                break;
            if (!device.waitForReadyRead(30000))
                return Error::io(QStringLiteral("the stream stalled for 30 s"));
        }
    }
    data.truncate(filled);
    return data;
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

DeployWriter::DeployWriter(Vfs &vfs, QString site, qint64 siteId, qint64 deployId)
    : m_vfs(vfs), m_site(std::move(site)), m_siteId(siteId), m_deployId(deployId) {}

DeployWriter::~DeployWriter() {
    if (!m_isFinished)
        (void)abort(); // nothing to tell: the deploy was abandoned; GC removes any leftovers
}

Status DeployWriter::addFile(const QString &path, const QByteArray &content) {
    QByteArray shared = content;
    QBuffer buffer(&shared);
    buffer.open(QIODevice::ReadOnly);
    return addFile(path, buffer);
}

Status DeployWriter::addFile(const QString &path, QIODevice &content) {
    if (m_isFinished)
        return Error::conflict(QStringLiteral("The deploy is already finished."));
    auto normalized = Vfs::normalizePath(path);
    if (!normalized)
        return normalized.error();
    auto first = readUpTo(content, ChunkSize);
    if (!first)
        return Error::io(QStringLiteral("Cannot read '%1': %2").arg(*normalized, first.error().message));
    if (first->size() < ChunkSize || content.atEnd())
        return storeSmall(*normalized, *first);
    return storeLarge(*normalized, std::move(*first), content);
}

// A file of at most one chunk: hashed first, so content already stored costs no write at all
// beyond the file row.
Status DeployWriter::storeSmall(const QString &path, const QByteArray &content) {
    const QByteArray hash = crypto::Sha256::hash(content);
    const qint64 deployId = m_deployId;
    return m_vfs.m_database.writer().run([=](Connection &c) -> Status {
        auto existing = blobIdByHash(c, hash);
        if (!existing)
            return existing.error();
        if (*existing == 0) {
            auto blob = c.prepare("INSERT INTO blobs(hash, size, chunk_size, created_at, "
                                  "touched_at) VALUES (?, ?, ?, ?, ?)");
            if (!blob)
                return blob.error();
            const qint64 t = now();
            blob->bindBlob(1, hash).bind(2, qint64(content.size())).bind(3, ChunkSize).bind(4, t).bind(5, t);
            if (Status s = blob->exec(); !s)
                return s;
            if (!content.isEmpty()) {
                auto chunk = c.prepare("INSERT INTO blob_chunks(blob_id, seq, data) VALUES (?, 0, ?)");
                if (!chunk)
                    return chunk.error();
                chunk->bind(1, c.lastInsertRowId()).bindBlob(2, content);
                if (Status s = chunk->exec(); !s)
                    return s;
            }
        }
        return insertFile(c, deployId, path, hash, content.size());
    });
}

// A file of many chunks: its hash is known only at the end, so its chunks are written under a
// new blob row without a hash; the last write names the blob, or drops it when the same
// content is stored already, and adds the file row in the same transaction (so garbage
// collection can never see a named blob that no file refers to yet).
Status DeployWriter::storeLarge(const QString &path, QByteArray firstChunk, QIODevice &rest) {
    db::WriteQueue &writer = m_vfs.m_database.writer();
    auto blob = writer.run([](Connection &c) -> Result<qint64> {
        auto stmt = c.prepare("INSERT INTO blobs(hash, size, chunk_size, created_at, touched_at) "
                              "VALUES (NULL, 0, ?, ?, ?)");
        if (!stmt)
            return stmt.error();
        const qint64 t = now();
        if (Status s = stmt->bindAll(ChunkSize, t, t).exec(); !s)
            return s.error();
        return c.lastInsertRowId();
    });
    if (!blob)
        return blob.error();
    const qint64 blobId = *blob;
    const auto dropBlob = [&] {
        (void)writer.run([blobId](Connection &c) -> Status {
            auto stmt = c.prepare("DELETE FROM blobs WHERE id = ? AND hash IS NULL");
            if (!stmt)
                return stmt.error();
            return stmt->bindAll(blobId).exec();
        });
    };

    crypto::Sha256 hasher;
    std::deque<QFuture<Status>> inFlight;
    const auto firstFailure = [&](bool waitAll) -> Status {
        while (!inFlight.empty() && (waitAll || int(inFlight.size()) >= ChunksInFlight)) {
            Status s = inFlight.front().result();
            inFlight.pop_front();
            if (!s) {
                for (auto &f : inFlight)
                    f.waitForFinished();
                inFlight.clear();
                return s;
            }
        }
        return {};
    };

    qint64 size = 0;
    qint64 seq = 0;
    QByteArray chunk = std::move(firstChunk);
    for (;;) {
        if (!chunk.isEmpty()) {
            hasher.addData(chunk);
            size += chunk.size();
            inFlight.push_back(writer.submit([blobId, seq, chunk](Connection &c) -> Status {
                auto stmt = c.prepare("INSERT INTO blob_chunks(blob_id, seq, data) VALUES (?, ?, ?)");
                if (!stmt)
                    return stmt.error();
                stmt->bind(1, blobId).bind(2, seq).bindBlob(3, chunk);
                if (Status s = stmt->exec(); !s)
                    return s;
                auto touch = c.prepare("UPDATE blobs SET touched_at = ? WHERE id = ?");
                if (!touch)
                    return touch.error();
                return touch->bindAll(now(), blobId).exec();
            }));
            ++seq;
            if (Status s = firstFailure(false); !s) {
                dropBlob();
                return Error{s.error().code, QStringLiteral("Cannot store '%1': %2").arg(path, s.error().message)};
            }
        }
        if (chunk.size() < ChunkSize || rest.atEnd())
            break;
        auto next = readUpTo(rest, ChunkSize);
        if (!next) {
            (void)firstFailure(true);
            dropBlob();
            return Error::io(QStringLiteral("Cannot read '%1': %2").arg(path, next.error().message));
        }
        chunk = std::move(*next);
    }
    if (Status s = firstFailure(true); !s) {
        dropBlob();
        return Error{s.error().code, QStringLiteral("Cannot store '%1': %2").arg(path, s.error().message)};
    }

    const QByteArray hash = hasher.result();
    const qint64 deployId = m_deployId;
    Status finished = writer.run([=](Connection &c) -> Status {
        auto existing = blobIdByHash(c, hash);
        if (!existing)
            return existing.error();
        if (*existing != 0) {
            auto drop = c.prepare("DELETE FROM blobs WHERE id = ?");
            if (!drop)
                return drop.error();
            if (Status s = drop->bindAll(blobId).exec(); !s)
                return s;
        } else {
            auto name = c.prepare("UPDATE blobs SET hash = ?, size = ?, touched_at = ? WHERE id = ?");
            if (!name)
                return name.error();
            name->bindBlob(1, hash).bind(2, size).bind(3, now()).bind(4, blobId);
            if (Status s = name->exec(); !s)
                return s;
        }
        return insertFile(c, deployId, path, hash, size);
    });
    if (!finished)
        dropBlob();
    return finished;
}

Result<DeployInfo> DeployWriter::commit(Vfs::Activation activation) {
    if (m_isFinished)
        return Error::conflict(QStringLiteral("The deploy is already finished."));
    const qint64 deployId = m_deployId;
    const qint64 siteId = m_siteId;
    Status committed = m_vfs.m_database.writer().run([=](Connection &c) -> Status {
        auto complete = c.prepare("UPDATE deploys SET status = 'complete', updated_at = ? "
                                  "WHERE id = ? AND status = 'pending'");
        if (!complete)
            return complete.error();
        if (Status s = complete->bindAll(now(), deployId).exec(); !s)
            return s;
        if (c.changes() != 1)
            return Error::conflict(QStringLiteral("Deploy %1 was removed before it finished "
                                                  "(abandoned too long?). Deploy again.")
                                       .arg(deployId));
        if (activation == Vfs::Activation::Keep)
            return {};
        auto activate = c.prepare("UPDATE sites SET active_deploy_id = ? WHERE id = ?");
        if (!activate)
            return activate.error();
        return activate->bindAll(deployId, siteId).exec();
    });
    if (!committed)
        return committed.error();
    m_isFinished = true;
    if (activation == Vfs::Activation::Activate)
        m_vfs.invalidate(m_site);
    return m_vfs.deploy(m_deployId);
}

Status DeployWriter::abort() {
    if (m_isFinished)
        return {};
    m_isFinished = true;
    const qint64 deployId = m_deployId;
    return m_vfs.m_database.writer().run([deployId](Connection &c) -> Status {
        auto stmt = c.prepare("DELETE FROM deploys WHERE id = ? AND status = 'pending'");
        if (!stmt)
            return stmt.error();
        return stmt->bindAll(deployId).exec();
    });
}

} // namespace fazt::vfs
