#pragma once

#include "archive/archivereader.h"
#include "result.h"

#include <QString>

#include <functional>

namespace fazt::archive {

struct PackOptions {
    // Also pack dotfiles and dot-folders (.env, .well-known/). .git and node_modules are
    // left out whatever this says.
    bool includeHidden = false;
};

struct PackProgress {
    qint64 files = 0; // files packed so far
    qint64 bytes = 0; // their bytes, counted as they are read
    qint64 totalFiles = 0;
    qint64 totalBytes = 0;
};

// Packs the regular files under `dir` into a tar.gz at `outputPath`, for a deploy. Files are
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
