#include "admin/upload.h"

#include "config/settings.h"

#include <QDir>
#include <QTemporaryFile>

namespace fazt::admin {

namespace {
const QLatin1String FilePrefix("fazt-upload-");
}

Upload::Upload(qint64 ramLimit)
    : m_ramLimit(ramLimit) {}

Upload::~Upload() = default; // QTemporaryFile removes its file

QString Upload::temporaryFolder() {
    const QString configured = qEnvironmentVariable(settings::TempDirVariable);
    return configured.isEmpty() ? QDir::tempPath() : configured;
}

int Upload::sweepLeftovers() {
    QDir folder(temporaryFolder());
    int removed = 0;
    for (const QString &name : folder.entryList({FilePrefix + QLatin1String("*")}, QDir::Files))
        removed += folder.remove(name) ? 1 : 0;
    return removed;
}

QString Upload::filePath() const {
    return m_file ? m_file->fileName() : QString();
}

Status Upload::append(QByteArrayView piece) {
    m_size += piece.size();
    if (!m_file && m_memory.size() + piece.size() <= m_ramLimit) {
        m_memory.append(piece);
        return {};
    }
    if (!m_file) {
        m_file = std::make_unique<QTemporaryFile>(
            QDir(temporaryFolder()).filePath(FilePrefix + QLatin1String("XXXXXX")));
        if (!m_file->open())
            return Error::io(
                QStringLiteral("Cannot create a temporary file in %1 for the upload: %2. Set "
                               "FAZT_TEMP_DIR to a writable folder.")
                    .arg(temporaryFolder(), m_file->errorString()));
        if (m_file->write(m_memory) != m_memory.size())
            return Error{Error::Code::DiskFull,
                         QStringLiteral("Cannot write the upload to %1: %2")
                             .arg(m_file->fileName(), m_file->errorString())};
        m_memory = QByteArray();
    }
    if (m_file->write(piece.data(), piece.size()) != piece.size())
        return Error{Error::Code::DiskFull, QStringLiteral("Cannot write the upload to %1: %2")
                                                .arg(m_file->fileName(), m_file->errorString())};
    return {};
}

Status Upload::finish() {
    if (m_file && !m_file->flush())
        return Error::io(QStringLiteral("Cannot write the upload: %1").arg(m_file->errorString()));
    return {};
}

} // namespace fazt::admin
