#pragma once

#include "archive/archivereader.h"
#include "result.h"

#include <QString>

#include <functional>
#include <vector>

namespace fazt::archive {

// How much to squeeze a deploy: the link decides. On this machine or a LAN, bytes are cheap
// and time is not: a plain tar, or gzip's fastest level; over the internet, zstd with a
// thread per core.
enum class Compression { None, Fast, Small };

struct PackOptions {
    // Also pack dotfiles and dot-folders (.env, .well-known/). .git and node_modules are
    // left out whatever this says.
    bool includeHidden = false;
    Compression compression = Compression::Fast;
    // Told each path the folder's .gitignore or .faztignore leaves out ("logs/", with a '/'
    // for a folder) and the rule that does ("'.gitignore: *.log'").
    std::function<void(const QString &path, const QString &rule)> onIgnored;
};

struct PackProgress {
    qint64 files = 0; // files packed so far
    qint64 bytes = 0; // their bytes, counted as they are read
    qint64 totalFiles = 0;
    qint64 totalBytes = 0;
};

// A file of a folder to deploy.
struct FileToPack {
    QString path; // relative to the folder, '/'-separated: the name in the archive
    QString absolutePath;
    qint64 size = 0;
};

// The files of `dir` that a deploy takes, sorted by path (as packDirectory() packs them);
// symbolic links and special files are counted in Summary::skipped. `leaveOut`: a file not
// to take (an archive being written inside the folder).
Result<std::vector<FileToPack>> listDeployFiles(const QString &dir, const PackOptions &options,
                                                Summary &summary,
                                                const QString &leaveOut = QString());
// Packs `files` (under the names in their `path`) as packDirectory() does.
Result<Summary> packFiles(const std::vector<FileToPack> &files, const QString &outputPath,
                          const PackOptions &options,
                          const std::function<void(const PackProgress &)> &progress = {},
                          const std::function<bool()> &isCancelled = {});

// Packs the regular files under `dir` into a tar (compressed as PackOptions say: .tar,
// .tar.gz or .tar.zst) at `outputPath`, for a deploy, leaving
// out what the folder's .gitignore and .faztignore name (see IgnoreRules). Files are
// sorted by path and written with mtime 0, owner 0 and mode 0644, so the same folder always
// gives the same bytes. Symbolic links, sockets and pipes are left out and counted in
// Summary::skipped. Content is streamed in chunks; `progress` is called once with the totals
// before the first byte, then after every chunk and every file. The output appears only when
// complete: after an error, `outputPath` is as it was before. `isCancelled` is asked between
// chunks; once it answers true, packing stops with an error (the console's Cancel button).
Result<Summary> packDirectory(const QString &dir, const QString &outputPath,
                              const PackOptions &options,
                              const std::function<void(const PackProgress &)> &progress = {},
                              const std::function<bool()> &isCancelled = {});

} // namespace fazt::archive
