#pragma once

#include "result.h"

#include <QByteArray>
#include <QString>

#include <memory>

class QTemporaryFile;

namespace fazt::admin {

// A request body being received: held in RAM while it is under `ramLimit`, then spilled to a
// temporary file in FAZT_TEMP_DIR (default: the system's temp folder). The file is removed
// when the Upload is destroyed, whatever happened; leftovers of a crash are swept at start.
class Upload {
public:
    explicit Upload(qint64 ramLimit);
    ~Upload();
    Upload(const Upload &) = delete;
    Upload &operator=(const Upload &) = delete;

    Status append(QByteArrayView piece);
    // Ends writing; afterwards the content is in memory() or at filePath().
    Status finish();

    qint64 size() const { return m_size; }
    bool isInMemory() const { return !m_file; }
    const QByteArray &memory() const { return m_memory; }
    QString filePath() const;

    // The folder uploads spill to.
    static QString temporaryFolder();
    // Removes spilled uploads left by an earlier process (called at start).
    static int sweepLeftovers();

private:
    const qint64 m_ramLimit;
    qint64 m_size = 0;
    QByteArray m_memory;
    std::unique_ptr<QTemporaryFile> m_file;
};

} // namespace fazt::admin
