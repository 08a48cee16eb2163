#pragma once

#include "archive/archivewriter.h"

#include <QFile>
#include <QIODevice>

#include <vector>

namespace fazt::archive {

// A plain tar of `files`, made as it is read: each file is opened when its turn comes, so an
// upload packs while it sends, and nothing is written to disk first. Its size is known before
// the first byte (size()), which lets an HTTP client stream it with a Content-Length. Names
// must fit a ustar header (at most 100 bytes of ASCII: SHA-256 hex names do); entries have mode
// 0644, owner 0 and time 0, as packDirectory() writes them. A file that changes size while it
// is read fails the read (QIODevice::errorString() says which).
class TarStream : public QIODevice {
public:
    explicit TarStream(std::vector<FileToPack> files);

    bool isSequential() const override { return true; }
    qint64 size() const override { return m_size; }
    bool atEnd() const override { return m_position >= m_size; }
    qint64 bytesAvailable() const override {
        return m_size - m_position + QIODevice::bytesAvailable();
    }
    // Whether every name fits a ustar header.
    static bool fits(const std::vector<FileToPack> &files);

protected:
    qint64 readData(char *data, qint64 maxSize) override;
    qint64 writeData(const char *, qint64) override { return -1; }

private:
    static QByteArray header(const FileToPack &file);
    bool startNext();

    std::vector<FileToPack> m_files;
    qint64 m_size = 0;
    qint64 m_position = 0;
    size_t m_next = 0;
    QByteArray m_pending; // a header, padding or the end of the archive, before more data
    QFile m_current;
    qint64 m_currentLeft = 0;
    qint64 m_currentPadding = 0;
};

} // namespace fazt::archive
