#pragma once

#include "result.h"

#include <QByteArray>
#include <QIODevice>
#include <QString>

#include <functional>
#include <optional>

namespace fazt::archive {

// What an archive may hold before it is refused. The defaults fit a static site; every one is
// checked while reading, so a hostile archive is stopped as soon as it crosses one.
struct Limits {
    qint64 maxEntries = 20000;        // files, folders and skipped metadata entries
    qint64 maxTotalBytes = 1LL << 30; // sum of the uncompressed sizes of all entries
    qint64 maxFileBytes = 1LL << 30;  // uncompressed size of one entry
    double maxRatio = 100.0;          // uncompressed bytes / archive bytes, once past 1 MiB out
    int maxPathBytes = 1024;          // UTF-8 bytes of one path
};

struct Summary {
    qint64 files = 0;   // regular files (what forEachFile() hands out, or what was packed)
    qint64 bytes = 0;   // their uncompressed bytes
    qint64 skipped = 0; // packDirectory(): symbolic links and special files left out
};

// Reads a deploy archive: zip, or tar plain or compressed with gzip, zstd, xz or bzip2. The
// format and the compression are recognised from the content, never from a file name.
//
// Reading is two passes. validate() reads every header and decompresses every byte, storing
// nothing, and stops at the first entry that breaks a rule (a path that leaves the site, a
// link, a device, a limit, corruption) with an Error naming it. forEachFile() then hands out
// the files one at a time as streams. It applies the same rules again, so an archive file
// swapped between the passes cannot slip anything past them.
//
// Paths are kept as the archive has them, but for a leading "./". Folders are implied by the
// files' paths; macOS metadata ("__MACOSX/", "._name", ".DS_Store") is left out silently.
class ArchiveReader {
public:
    static ArchiveReader fromFile(const QString &path, Limits limits = {});
    static ArchiveReader fromMemory(QByteArray data, Limits limits = {});

    // Pass 1: the number of files and their bytes, or the first problem. An archive without
    // files is an error.
    Result<Summary> validate();

    // Pass 2, after validate() succeeded: calls store(path, content) for each regular file in
    // archive order. `content` is a sequential device streaming the file's bytes; it is valid
    // only during the call, and whatever store() leaves unread is skipped. The first error,
    // store()'s or the archive's, ends the walk and is returned.
    Status forEachFile(const std::function<Status(const QString &path, QIODevice &content)> &store);

private:
    ArchiveReader(QString path, QByteArray data, bool isInMemory, const Limits &limits);

    QString m_path;    // the archive on disk, for fromFile()
    QByteArray m_data; // the archive itself, for fromMemory()
    bool m_isInMemory = false;
    Limits m_limits;
    std::optional<Summary> m_validated;
};

} // namespace fazt::archive
