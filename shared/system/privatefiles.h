#pragma once

#include "result.h"

#include <QString>

namespace fazt::system {

// fazt.db holds every TLS private key, secret variables and KV data: what Fazt writes is for
// its own user only. Files are 0600 and folders 0700 whatever the umask the process inherited.
class PrivateFiles {
public:
    // From now on, files this process creates are 0600 and folders 0700 (umask 077). Call
    // first thing in main().
    static void restrictUmask();
    // Creates `path` and any missing parents, each new one 0700.
    static Status makeFolder(const QString &path);
    // Creates `path` empty and 0600 unless it exists.
    static Status createFile(const QString &path);
    // Takes away every permission of group and others from `path` (if it exists). Returns the
    // mode it had when it lost some (e.g. 0644), else 0.
    static Result<int> restrict(const QString &path);
};

} // namespace fazt::system
