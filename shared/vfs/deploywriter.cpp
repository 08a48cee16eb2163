#include "crypto/sha256.h"
#include "vfs/vfs.h"

#include <QBuffer>
#include <QDateTime>

#include <deque>

namespace fazt::vfs {

using db::Connection;

namespace {

qint64 now() {
    return QDateTime::currentSecsSinceEpoch();
}

// How many chunk writes of one file may wait in the WriteQueue at once: enough to keep the
// writer busy while the next chunk is read and hashed, few enough to bound RAM.
constexpr int ChunksInFlight = 4;

// Inserts a file row; the blob with `hash` must exist in this transaction.
Status insertFile(Connection &c, qint64 deployId, const QString &path, const QByteArray &hash,
                  qint64 size) {
    auto file = c.prepare(
        "INSERT INTO files(deploy_id, path, blob_hash, size, mime) VALUES (?, ?, ?, ?, ?)");
    if (!file)
        return file.error();
    file->bind(1, deployId)
        .bind(2, path)
        .bindBlob(3, hash)
        .bind(4, size)
        .bind(5, Vfs::mimeTypeFor(path));
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

Error contentMismatch(const QString &path, const QByteArray &hash, const QByteArray &expected) {
    return Error::invalid(QStringLiteral("The content sent for '%1' has the SHA-256 %2, not %3 "
                                         "as the manifest says; nothing of it was kept.")
                              .arg(path.left(200), QString::fromLatin1(hash.toHex()),
                                   QString::fromLatin1(expected.toHex())));
}

} // namespace

DeployWriter::DeployWriter(Vfs &vfs, QString site, qint64 siteId, qint64 deployId)
    : m_vfs(vfs)
    , m_site(std::move(site))
    , m_siteId(siteId)
    , m_deployId(deployId) {}

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
    return addFile(path, content, QByteArray());
}

Status DeployWriter::addFile(const QString &path, QIODevice &content,
                             const QByteArray &expectedHash) {
    if (m_isFinished)
        return Error::conflict(QStringLiteral("The deploy is already finished."));
    auto normalized = Vfs::normalizePath(path);
    if (!normalized)
        return normalized.error();
    auto first = readUpTo(content, ChunkSize);
    if (!first)
        return Error::io(
            QStringLiteral("Cannot read '%1': %2").arg(*normalized, first.error().message));
    if (first->size() < ChunkSize || content.atEnd())
        return storeSmall(*normalized, *first, expectedHash);
    return storeLarge(*normalized, std::move(*first), content, expectedHash);
}

// A file of at most one chunk: hashed first, so content already stored costs no write at all
// beyond the file row.
Status DeployWriter::storeSmall(const QString &path, const QByteArray &content,
                                const QByteArray &expectedHash) {
    const QByteArray hash = crypto::Sha256::hash(content);
    if (!expectedHash.isEmpty() && hash != expectedHash)
        return contentMismatch(path, hash, expectedHash);
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
            blob->bindBlob(1, hash)
                .bind(2, qint64(content.size()))
                .bind(3, ChunkSize)
                .bind(4, t)
                .bind(5, t);
            if (Status s = blob->exec(); !s)
                return s;
            if (!content.isEmpty()) {
                auto chunk =
                    c.prepare("INSERT INTO blob_chunks(blob_id, seq, data) VALUES (?, 0, ?)");
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
Status DeployWriter::storeLarge(const QString &path, QByteArray firstChunk, QIODevice &rest,
                                const QByteArray &expectedHash) {
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
                auto stmt =
                    c.prepare("INSERT INTO blob_chunks(blob_id, seq, data) VALUES (?, ?, ?)");
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
                return Error{s.error().code,
                             QStringLiteral("Cannot store '%1': %2").arg(path, s.error().message)};
            }
        }
        if (chunk.size() < ChunkSize || rest.atEnd())
            break;
        auto next = readUpTo(rest, ChunkSize);
        if (!next) {
            (void)firstFailure(true);
            dropBlob();
            return Error::io(
                QStringLiteral("Cannot read '%1': %2").arg(path, next.error().message));
        }
        chunk = std::move(*next);
    }
    if (Status s = firstFailure(true); !s) {
        dropBlob();
        return Error{s.error().code,
                     QStringLiteral("Cannot store '%1': %2").arg(path, s.error().message)};
    }

    const QByteArray hash = hasher.result();
    const qint64 deployId = m_deployId;
    Status finished = writer.run([=](Connection &c) -> Status {
        if (!expectedHash.isEmpty() && hash != expectedHash)
            return contentMismatch(path, hash, expectedHash);
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
            auto name =
                c.prepare("UPDATE blobs SET hash = ?, size = ?, touched_at = ? WHERE id = ?");
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

Result<QList<ManifestFile>> DeployWriter::addStored(const QList<ManifestFile> &files) {
    if (m_isFinished)
        return Error::conflict(QStringLiteral("The deploy is already finished."));
    const qint64 deployId = m_deployId;
    return m_vfs.m_database.writer().run([=](Connection &c) -> Result<QList<ManifestFile>> {
        QList<ManifestFile> missing;
        for (const ManifestFile &file : files) {
            auto stored = c.prepare("SELECT size FROM blobs WHERE hash = ?");
            if (!stored)
                return stored.error();
            stored->bindBlob(1, file.hash);
            if (!stored->next()) {
                if (stored->error())
                    return *stored->error();
                missing.append(file);
                continue;
            }
            if (stored->int64(0) != file.size)
                return Error::invalid(
                    QStringLiteral("'%1' is listed with %2 bytes, but its SHA-256 names content "
                                   "of %3 bytes.")
                        .arg(file.path.left(200))
                        .arg(file.size)
                        .arg(stored->int64(0)));
            if (Status s = insertFile(c, deployId, file.path, file.hash, file.size); !s)
                return s.error();
        }
        return missing;
    });
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
