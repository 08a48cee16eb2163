#include "archive/archivewriter.h"

#include "archive/ignorerules.h"
#include "archive/utf8locale.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QSaveFile>
#include <QThread>

#include <algorithm>
#include <archive.h>
#include <archive_entry.h>
#include <cerrno>
#include <memory>
#include <vector>

namespace fazt::archive {

namespace {

constexpr qint64 ChunkBytes = 256 << 10;

struct WriterFree {
    void operator()(::archive *a) const { archive_write_free(a); }
};
struct EntryFree {
    void operator()(archive_entry *entry) const { archive_entry_free(entry); }
};

bool isAlwaysLeftOut(const QString &name) {
    return name == u".git" || name == u"node_modules";
}

// The files to pack, sorted by path. `leaveOut` is the output archive, in case it is written
// inside the folder being packed. What the folder's .gitignore and .faztignore leave out goes
// to PackOptions::onIgnored.
Result<std::vector<FileToPack>> listFiles(const QString &root, const PackOptions &options,
                                          const QString &leaveOut, Summary &summary) {
    const IgnoreRules ignore = IgnoreRules::forFolder(root);
    std::vector<FileToPack> files;
    QStringList pending{QString()}; // folders still to list, relative to root
    while (!pending.isEmpty()) {
        const QString folder = pending.takeLast();
        const QDir dir(folder.isEmpty() ? root : root + u'/' + folder);
        if (!QFileInfo(dir.path()).isReadable()) {
            return Error::io(u"Cannot read the folder '" + dir.path() +
                             u"': check its permissions.");
        }
        const QFileInfoList entries = dir.entryInfoList(
            QDir::AllEntries | QDir::NoDotAndDotDot | QDir::Hidden | QDir::System, QDir::NoSort);
        for (const QFileInfo &info : entries) {
            const QString name = info.fileName();
            if (isAlwaysLeftOut(name) || (!options.includeHidden && name.startsWith(u'.')))
                continue;
            const QString path = folder.isEmpty() ? name : folder + u'/' + name;
            const bool isFolder = info.isDir() && !info.isSymLink();
            if (const QString why = ignore.why(path, isFolder); !why.isEmpty()) {
                if (options.onIgnored)
                    options.onIgnored(isFolder ? path + u'/' : path, why);
            } else if (info.isSymLink() || (!info.isDir() && !info.isFile())) {
                ++summary.skipped; // a link, a socket, a pipe or a device
            } else if (info.isDir()) {
                pending.append(path);
            } else if (info.absoluteFilePath() != leaveOut) {
                files.push_back({path, info.absoluteFilePath(), info.size()});
            }
        }
    }
    std::sort(files.begin(), files.end(),
              [](const FileToPack &a, const FileToPack &b) { return a.path < b.path; });
    return files;
}

bool addCompression(::archive *writer, Compression compression) {
    switch (compression) {
    case Compression::None:
        return true;
    case Compression::Fast:
        return archive_write_add_filter_gzip(writer) == ARCHIVE_OK &&
               archive_write_set_options(writer, "gzip:!timestamp,gzip:compression-level=1") ==
                   ARCHIVE_OK;
    case Compression::Small:
        break;
    }
    if (archive_write_add_filter_zstd(writer) != ARCHIVE_OK ||
        archive_write_set_options(writer, "zstd:compression-level=3") != ARCHIVE_OK)
        return false;
    // A libarchive without the threads option compresses on one thread.
    const std::string threads =
        "zstd:threads=" + std::to_string(std::max(1, QThread::idealThreadCount()));
    (void)archive_write_set_options(writer, threads.c_str());
    return true;
}

Error writeError(::archive *writer, const QString &outputPath) {
    const char *message = archive_error_string(writer);
    const QString text = u"Cannot write the archive '" + outputPath + u"': " +
                         QString::fromUtf8(message ? message : "unknown error");
    if (archive_errno(writer) == ENOSPC)
        return Error{Error::Code::DiskFull, text + u" (the disk is full)."};
    return Error::io(text);
}

// Streams one file into the archive as a regular file entry.
Status packFile(::archive *writer, archive_entry *entry, const FileToPack &file,
                const QString &outputPath, PackProgress &progress,
                const std::function<void(const PackProgress &)> &report,
                const std::function<bool()> &isCancelled, QByteArray &buffer) {
    QFile input(file.absolutePath);
    if (!input.open(QIODevice::ReadOnly))
        return Error::io(u"Cannot read '" + file.absolutePath + u"': " + input.errorString());
    // The size now, not when the folder was listed: the header must say what follows.
    const qint64 size = input.size();
    archive_entry_clear(entry);
    archive_entry_set_pathname_utf8(entry, file.path.toUtf8().constData());
    archive_entry_set_filetype(entry, AE_IFREG);
    archive_entry_set_perm(entry, 0644);
    archive_entry_set_size(entry, size);
    archive_entry_set_mtime(entry, 0, 0);
    {
        const Utf8LocaleScope utf8; // the pax writer converts the name through the locale
        if (archive_write_header(writer, entry) != ARCHIVE_OK)
            return writeError(writer, outputPath);
    }
    qint64 written = 0;
    while (written < size) {
        if (isCancelled && isCancelled())
            return Error::io(QStringLiteral("Packing was cancelled."));
        const qint64 count =
            input.read(buffer.data(), std::min<qint64>(buffer.size(), size - written));
        if (count <= 0)
            break;
        if (archive_write_data(writer, buffer.constData(), size_t(count)) != count)
            return writeError(writer, outputPath);
        written += count;
        progress.bytes += count;
        if (report)
            report(progress);
    }
    if (written != size || !input.atEnd()) {
        return Error::io(u"'" + file.absolutePath +
                         u"' changed while it was being packed: try again.");
    }
    ++progress.files;
    if (report)
        report(progress);
    return {};
}

} // namespace

Result<std::vector<FileToPack>> listDeployFiles(const QString &dir, const PackOptions &options,
                                                Summary &summary, const QString &leaveOut) {
    const QFileInfo root(dir);
    if (!root.isDir())
        return Error::notFound(u"'" + dir + u"' is not a folder.");
    Result<std::vector<FileToPack>> files =
        listFiles(root.absoluteFilePath(), options, leaveOut, summary);
    if (files && files->empty())
        return Error::invalid(u"The folder '" + dir +
                              u"' has no files to pack (dotfiles are left out unless asked for).");
    return files;
}

Result<Summary> packDirectory(const QString &dir, const QString &outputPath,
                              const PackOptions &options,
                              const std::function<void(const PackProgress &)> &progress,
                              const std::function<bool()> &isCancelled) {
    Summary listed;
    auto files = listDeployFiles(dir, options, listed, QFileInfo(outputPath).absoluteFilePath());
    if (!files)
        return files.error();
    auto packed = packFiles(*files, outputPath, options, progress, isCancelled);
    if (packed)
        packed->skipped = listed.skipped;
    return packed;
}

Result<Summary> packFiles(const std::vector<FileToPack> &files, const QString &outputPath,
                          const PackOptions &options,
                          const std::function<void(const PackProgress &)> &progress,
                          const std::function<bool()> &isCancelled) {
    Summary summary;
    PackProgress state;
    state.totalFiles = qint64(files.size());
    for (const FileToPack &file : files)
        state.totalBytes += file.size;
    if (progress)
        progress(state);

    QSaveFile output(outputPath);
    if (!output.open(QIODevice::WriteOnly))
        return Error::io(u"Cannot create '" + outputPath + u"': " + output.errorString());
    const std::unique_ptr<::archive, WriterFree> writer(archive_write_new());
    const std::unique_ptr<archive_entry, EntryFree> entry(archive_entry_new());
    if (!writer || !entry)
        return Error::internal(QStringLiteral("libarchive could not allocate a writer."));
    ::archive *a = writer.get();
    // gzip:!timestamp keeps the time out of the gzip header, for reproducible output.
    if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
        !addCompression(a, options.compression) ||
        archive_write_set_bytes_in_last_block(a, 1) != ARCHIVE_OK ||
        archive_write_open_fd(a, output.handle()) != ARCHIVE_OK) {
        return writeError(a, outputPath);
    }
    QByteArray buffer(ChunkBytes, Qt::Uninitialized);
    for (const FileToPack &file : files) {
        if (Status packed =
                packFile(a, entry.get(), file, outputPath, state, progress, isCancelled, buffer);
            !packed) {
            return packed.error();
        }
    }
    if (archive_write_close(a) != ARCHIVE_OK)
        return writeError(a, outputPath);
    if (!output.commit())
        return Error::io(u"Cannot write '" + outputPath + u"': " + output.errorString());
    summary.files = state.files;
    summary.bytes = state.bytes;
    return summary;
}

} // namespace fazt::archive
