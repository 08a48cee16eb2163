#include "system/threadpriority.h"

#include <algorithm>
#include <cerrno>
#include <sys/resource.h>
#include <unistd.h>

namespace fazt::system {

int favourThisThread(int nice) {
    const pid_t thread = gettid();
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, id_t(thread));
    if (errno != 0 || nice >= current)
        return current;
    if (setpriority(PRIO_PROCESS, id_t(thread), nice) == 0)
        return nice;
    // Without the privilege: as far as RLIMIT_NICE lets an unprivileged thread go (its soft
    // limit is 20 minus the lowest nice value allowed).
    rlimit limit{};
    if (getrlimit(RLIMIT_NICE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY)
        return current;
    const int allowed = std::max(nice, 20 - int(std::min<rlim_t>(limit.rlim_cur, 40)));
    if (allowed < current && setpriority(PRIO_PROCESS, id_t(thread), allowed) == 0)
        return allowed;
    return current;
}

} // namespace fazt::system
