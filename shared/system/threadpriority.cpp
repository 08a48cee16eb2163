#include "system/threadpriority.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

namespace fazt::system {

namespace {

// The nice value as far as an unprivileged process may go towards `nice` (RLIMIT_NICE's soft
// limit is 20 minus the lowest nice value allowed); `current` when it may not go lower.
int allowedNice(int nice, int current) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NICE, &limit) != 0)
        return current;
    if (limit.rlim_cur == RLIM_INFINITY)
        return nice;
    return std::min(current, std::max(nice, 20 - int(std::min<rlim_t>(limit.rlim_cur, 40))));
}

// Reads a small /proc file whole; false when it cannot be read.
bool readSmallFile(const char *path, char *buffer, size_t size) {
    const int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    const ssize_t n = ::read(fd, buffer, size - 1);
    ::close(fd);
    if (n <= 0)
        return false;
    buffer[n] = '\0';
    return true;
}

bool writeAutogroupNice(int nice) {
    const int fd = ::open("/proc/self/autogroup", O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return false;
    char text[16];
    const int length = std::snprintf(text, sizeof text, "%d", nice);
    const bool isWritten = ::write(fd, text, size_t(length)) == length;
    ::close(fd);
    return isWritten;
}

} // namespace

std::optional<int> sessionNice() {
    char text[64];
    if (!readSmallFile("/proc/sys/kernel/sched_autogroup_enabled", text, sizeof text) ||
        text[0] != '1')
        return std::nullopt;
    // "/autogroup-123 nice -10"
    if (!readSmallFile("/proc/self/autogroup", text, sizeof text))
        return std::nullopt;
    const char *niceText = std::strstr(text, " nice ");
    int nice = 0;
    if (!niceText || std::sscanf(niceText + 6, "%d", &nice) != 1)
        return std::nullopt;
    return nice;
}

std::optional<int> favourThisSession(int nice) {
    const std::optional<int> current = sessionNice();
    if (!current || *current <= nice || getsid(0) != getpid())
        return current;
    if (writeAutogroupNice(nice))
        return sessionNice();
    const int allowed = allowedNice(nice, *current);
    if (allowed < *current)
        (void)writeAutogroupNice(allowed);
    return sessionNice();
}

int favourThisThread(int nice) {
    const pid_t thread = gettid();
    errno = 0;
    const int current = getpriority(PRIO_PROCESS, id_t(thread));
    if (errno != 0 || nice >= current)
        return current;
    if (setpriority(PRIO_PROCESS, id_t(thread), nice) == 0)
        return nice;
    // Without the privilege: as far as RLIMIT_NICE lets an unprivileged thread go.
    const int allowed = allowedNice(nice, current);
    if (allowed < current && setpriority(PRIO_PROCESS, id_t(thread), allowed) == 0)
        return allowed;
    return current;
}

} // namespace fazt::system
