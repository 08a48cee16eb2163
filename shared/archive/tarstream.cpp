#include "archive/tarstream.h"

#include <cstring>

namespace fazt::archive {

namespace {

constexpr qint64 Block = 512;

qint64 paddingOf(qint64 size) {
    return (Block - size % Block) % Block;
}

} // namespace

TarStream::TarStream(std::vector<FileToPack> files)
    : m_files(std::move(files)) {
    for (const FileToPack &file : m_files)
        m_size += Block + file.size + paddingOf(file.size);
    m_size += 2 * Block; // the end of the archive: two zero blocks
    open(QIODevice::ReadOnly | QIODevice::Unbuffered);
}

bool TarStream::fits(const std::vector<FileToPack> &files) {
    return std::all_of(files.begin(), files.end(), [](const FileToPack &file) {
        const QByteArray name = file.path.toUtf8();
        return !name.isEmpty() && name.size() < 100 && name == file.path.toLatin1();
    });
}

// A ustar header: name, mode 0644, owner 0, size, time 0, a regular file.
QByteArray TarStream::header(const FileToPack &file) {
    QByteArray h(Block, '\0');
    const auto put = [&h](int offset, const QByteArray &value) {
        std::memcpy(h.data() + offset, value.constData(), size_t(value.size()));
    };
    const auto octal = [](qint64 value, int digits) {
        return QByteArray::number(value, 8).rightJustified(digits, '0');
    };
    put(0, file.path.toLatin1());
    put(100, octal(0644, 7));
    put(108, octal(0, 7));
    put(116, octal(0, 7));
    put(124, octal(file.size, 11));
    put(136, octal(0, 11));
    put(148, QByteArray(8, ' ')); // the checksum counts its own field as spaces
    h[156] = '0';
    put(257, QByteArrayLiteral("ustar"));
    put(263, QByteArrayLiteral("00"));
    unsigned sum = 0;
    for (char c : h)
        sum += static_cast<unsigned char>(c);
    put(148, octal(sum, 6) + '\0' + ' ');
    return h;
}

bool TarStream::startNext() {
    const FileToPack &file = m_files[m_next++];
    m_current.setFileName(file.absolutePath);
    if (!m_current.open(QIODevice::ReadOnly)) {
        setErrorString(
            QStringLiteral("Cannot read '%1': %2").arg(file.absolutePath, m_current.errorString()));
        return false;
    }
    m_pending = header(file);
    m_currentLeft = file.size;
    m_currentPadding = paddingOf(file.size);
    return true;
}

qint64 TarStream::readData(char *data, qint64 maxSize) {
    qint64 done = 0;
    while (done < maxSize) {
        if (!m_pending.isEmpty()) {
            const qint64 n = std::min<qint64>(m_pending.size(), maxSize - done);
            std::memcpy(data + done, m_pending.constData(), size_t(n));
            m_pending.remove(0, n);
            done += n;
        } else if (m_current.isOpen() && m_currentLeft > 0) {
            const qint64 n = m_current.read(data + done, std::min(maxSize - done, m_currentLeft));
            if (n <= 0) {
                setErrorString(QStringLiteral("'%1' changed while it was being sent: deploy "
                                              "again.")
                                   .arg(m_current.fileName()));
                return -1;
            }
            m_currentLeft -= n;
            done += n;
        } else if (m_current.isOpen()) {
            m_current.close();
            m_pending = QByteArray(m_currentPadding, '\0');
        } else if (m_next < m_files.size()) {
            if (!startNext())
                return -1;
        } else if (m_position + done < m_size) {
            m_pending = QByteArray(m_size - m_position - done, '\0'); // the end of the archive
        } else {
            break;
        }
    }
    m_position += done;
    return done;
}

} // namespace fazt::archive
