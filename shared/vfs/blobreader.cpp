#include "vfs/blobreader.h"

#include "db/database.h"

#include <sqlite3.h>

#include <cstring>

namespace fazt::vfs {

BlobReader::BlobReader(db::Database &database, qint64 blobId, qint64 size, qint64 chunkSize)
    : m_database(database), m_blobId(blobId), m_size(size), m_chunkSize(chunkSize) {}

Result<QByteArray> BlobReader::chunk(qint64 index) {
    if (index < 0 || index >= chunkCount())
        return Error::invalid(QStringLiteral("Chunk %1 is outside the file").arg(index));
    if (index == m_loadedIndex)
        return m_loaded;
    QByteArray data(std::min(m_chunkSize, m_size - index * m_chunkSize), Qt::Uninitialized);
    if (Status read = readInto(index, 0, data.data(), data.size()); !read)
        return read.error();
    m_loadedIndex = index;
    m_loaded = data;
    return data;
}

Status BlobReader::readInto(qint64 index, qint64 from, char *into, qint64 length) {
    const qint64 chunkBytes = std::min(m_chunkSize, m_size - index * m_chunkSize);
    if (index < 0 || index >= chunkCount() || from < 0 || length < 0 || from + length > chunkBytes)
        return Error::invalid(QStringLiteral("Bytes %1-%2 of chunk %3 are outside the file")
                                  .arg(from)
                                  .arg(from + length)
                                  .arg(index));
    db::Connection &reader = m_database.reader();
    // The statement stays on its row until the read is done: the chunk cannot go away (or its
    // rowid be reused) in between.
    auto stmt = reader.prepare(
        "SELECT rowid, length(data) FROM blob_chunks WHERE blob_id = ? AND seq = ?");
    if (!stmt)
        return stmt.error();
    stmt->bindAll(m_blobId, index);
    if (!stmt->next()) {
        if (stmt->error())
            return *stmt->error();
        return Error::notFound(
            QStringLiteral("Chunk %1 of blob %2 is missing").arg(index).arg(m_blobId));
    }
    if (stmt->int64(1) != chunkBytes)
        return Error{Error::Code::Database, QStringLiteral("Chunk %1 of blob %2 has %3 bytes, expected %4")
                                                .arg(index)
                                                .arg(m_blobId)
                                                .arg(stmt->int64(1))
                                                .arg(chunkBytes)};
    sqlite3_blob *blob = nullptr;
    int rc = sqlite3_blob_open(reader.handle(), "main", "blob_chunks", "data", stmt->int64(0), 0,
                               &blob);
    if (rc == SQLITE_OK)
        rc = sqlite3_blob_read(blob, into, int(length), int(from));
    sqlite3_blob_close(blob); // a no-op on null
    if (rc != SQLITE_OK)
        return reader.lastError(
            QStringLiteral("Cannot read chunk %1 of blob %2").arg(index).arg(m_blobId));
    return {};
}

qint64 BlobReader::readData(char *data, qint64 maxSize) {
    const qint64 position = pos();
    if (position >= m_size)
        return 0; // end of data
    qint64 copied = 0;
    while (copied < maxSize && position + copied < m_size) {
        const qint64 offset = position + copied;
        auto loaded = chunk(offset / m_chunkSize);
        if (!loaded) {
            setErrorString(loaded.error().message);
            return copied > 0 ? copied : -1;
        }
        const qint64 within = offset % m_chunkSize;
        const qint64 n = std::min(maxSize - copied, qint64(loaded->size()) - within);
        std::memcpy(data + copied, loaded->constData() + within, size_t(n));
        copied += n;
    }
    return copied;
}

} // namespace fazt::vfs
