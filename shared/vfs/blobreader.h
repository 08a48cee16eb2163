#pragma once

#include "result.h"

#include <QByteArray>
#include <QIODevice>

namespace fazt::db {
class Database;
}

namespace fazt::vfs {

// Reads one stored blob as a random-access QIODevice, one chunk from the database at a time:
// whatever the file's size, at most one chunk is held in RAM. Uses the read connection of the
// thread that calls it; use it from one thread at a time.
class BlobReader : public QIODevice {
    Q_OBJECT
public:
    BlobReader(db::Database &database, qint64 blobId, qint64 size, qint64 chunkSize);

    bool isSequential() const override { return false; }
    qint64 size() const override { return m_size; }

    qint64 chunkSize() const { return m_chunkSize; }
    qint64 chunkCount() const { return (m_size + m_chunkSize - 1) / m_chunkSize; }
    // The chunk at `index`, shared without a copy.
    Result<QByteArray> chunk(qint64 index);
    // Reads bytes [from, from + length) of chunk `index` straight into `into`, with SQLite's
    // incremental blob I/O: no copy of the chunk through a buffer SQLite allocates, so a
    // caller that reuses `into` streams a file of any size without allocating. Each call is
    // one short read transaction: a slow download never holds the WAL back.
    Status readInto(qint64 index, qint64 from, char *into, qint64 length);

protected:
    qint64 readData(char *data, qint64 maxSize) override;
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    db::Database &m_database;
    const qint64 m_blobId;
    const qint64 m_size;
    const qint64 m_chunkSize;
    qint64 m_loadedIndex = -1;
    QByteArray m_loaded;
};

} // namespace fazt::vfs
