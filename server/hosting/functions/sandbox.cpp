#include "hosting/functions/sandbox.h"

#include <QFile>
#include <QTextStream>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fazt::hosting::functions::sandbox {

namespace {

// The address space in use now (VmSize), from /proc/self/statm.
qint64 addressSpaceBytes() {
    QFile statm(QStringLiteral("/proc/self/statm"));
    if (!statm.open(QIODevice::ReadOnly))
        return -1;
    const QByteArray pages = statm.readAll().split(' ').value(0);
    return pages.toLongLong() * ::sysconf(_SC_PAGESIZE);
}

// What the engine and the channel use once the worker is up. Everything else is refused:
// no new files or sockets (nothing to exfiltrate to, nothing to read), no new programs or
// processes, no signals to others, no ptrace.
constexpr int Allowed[] = {
    SCMP_SYS(read),          SCMP_SYS(write),        SCMP_SYS(readv),
    SCMP_SYS(writev),        SCMP_SYS(pread64),      SCMP_SYS(recvfrom),
    SCMP_SYS(sendto),        SCMP_SYS(recvmsg),      SCMP_SYS(sendmsg),
    SCMP_SYS(poll),          SCMP_SYS(ppoll),        SCMP_SYS(lseek),
    SCMP_SYS(close),         SCMP_SYS(fstat),        SCMP_SYS(mmap),
    SCMP_SYS(munmap),        SCMP_SYS(mprotect),     SCMP_SYS(mremap),
    SCMP_SYS(madvise),       SCMP_SYS(brk),          SCMP_SYS(futex),
    SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
    SCMP_SYS(nanosleep),     SCMP_SYS(clock_nanosleep), SCMP_SYS(sched_yield),
    SCMP_SYS(getpid),        SCMP_SYS(gettid),       SCMP_SYS(getrandom),
    SCMP_SYS(rt_sigaction),  SCMP_SYS(rt_sigprocmask), SCMP_SYS(rt_sigreturn),
    SCMP_SYS(sigaltstack),   SCMP_SYS(exit),         SCMP_SYS(exit_group),
    SCMP_SYS(getrusage),     SCMP_SYS(sched_getaffinity), SCMP_SYS(restart_syscall),
};

} // namespace

Status limitMemory(qint64 growthBytes) {
    const qint64 used = addressSpaceBytes();
    if (used < 0)
        return Error::io(QStringLiteral("Cannot read /proc/self/statm."));
    const rlimit limit{rlim_t(used + growthBytes), rlim_t(used + growthBytes)};
    if (::setrlimit(RLIMIT_AS, &limit) != 0)
        return Error::io(QStringLiteral("setrlimit(RLIMIT_AS): %1")
                             .arg(QString::fromLocal8Bit(std::strerror(errno))));
    return {};
}

Status enter() {
    scmp_filter_ctx filter = ::seccomp_init(SCMP_ACT_ERRNO(EPERM));
    if (!filter)
        return Error::internal(QStringLiteral("seccomp_init failed."));
    const auto fail = [&filter](const char *what, int rc) {
        ::seccomp_release(filter);
        return Error::internal(QStringLiteral("seccomp: %1 (%2)")
                                   .arg(QLatin1String(what),
                                        QString::fromLocal8Bit(std::strerror(-rc))));
    };
    int rc = ::seccomp_attr_set(filter, SCMP_FLTATR_CTL_TSYNC, 1); // every thread
    if (rc < 0)
        return fail("TSYNC", rc);
    // A binary tree over the syscall numbers: every call the worker makes passes the filter,
    // and a chain of 50 comparisons would cost each one.
    if ((rc = ::seccomp_attr_set(filter, SCMP_FLTATR_CTL_OPTIMIZE, 2)) < 0)
        return fail("optimize", rc);
    for (const int call : Allowed)
        if ((rc = ::seccomp_rule_add(filter, SCMP_ACT_ALLOW, call, 0)) < 0)
            return fail("allow", rc);
    // fstat through fstatat(fd, "", AT_EMPTY_PATH) only: no looking up paths.
    rc = ::seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(newfstatat), 1,
                            SCMP_A3(SCMP_CMP_EQ, AT_EMPTY_PATH));
    if (rc < 0)
        return fail("newfstatat", rc);
    // abort() signals its own thread; nothing else may be signalled.
    const auto self = scmp_datum_t(::getpid());
    if ((rc = ::seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(tgkill), 1,
                                 SCMP_A0(SCMP_CMP_EQ, self))) < 0 ||
        (rc = ::seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(kill), 1,
                                 SCMP_A0(SCMP_CMP_EQ, self))) < 0)
        return fail("signals", rc);
    // Reading limits (the engine asks for its stack size); never raising them.
    if ((rc = ::seccomp_rule_add(filter, SCMP_ACT_ALLOW, SCMP_SYS(prlimit64), 2,
                                 SCMP_A0(SCMP_CMP_EQ, 0), SCMP_A2(SCMP_CMP_EQ, 0))) < 0)
        return fail("prlimit64", rc);
    for (const int call : {SCMP_SYS(open), SCMP_SYS(openat), SCMP_SYS(creat)})
        if ((rc = ::seccomp_rule_add(filter, SCMP_ACT_ERRNO(EACCES), call, 0)) < 0)
            return fail("open", rc);
    // glibc falls back from clone3 to clone on ENOSYS; clone itself is refused.
    if ((rc = ::seccomp_rule_add(filter, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(clone3), 0)) < 0)
        return fail("clone3", rc);
    rc = ::seccomp_load(filter);
    ::seccomp_release(filter);
    if (rc < 0)
        return Error::internal(QStringLiteral("seccomp_load: %1")
                                   .arg(QString::fromLocal8Bit(std::strerror(-rc))));
    return {};
}

int check() {
    QTextStream out(stdout);
    if (Status s = enter(); !s) {
        out << "sandbox not entered: " << s.error().message << Qt::endl;
        return 1;
    }
    int refused = 0, tried = 0;
    const auto report = [&](const char *what, bool wasRefused) {
        ++tried;
        refused += wasRefused;
        out << what << ": " << (wasRefused ? "refused" : "ALLOWED") << Qt::endl;
    };
    const int file = ::open("/etc/hostname", O_RDONLY | O_CLOEXEC);
    report("open a file", file < 0 && errno == EACCES);
    const int socket = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    report("create a socket", socket < 0);
    const pid_t child = ::fork();
    if (child == 0)
        ::_exit(0);
    if (child > 0)
        ::waitpid(child, nullptr, 0);
    report("fork", child < 0);
    char *const argv[] = {const_cast<char *>("/bin/true"), nullptr};
    report("execute a program", ::execv("/bin/true", argv) < 0);
    report("signal another process", ::kill(1, 0) < 0 && errno == EPERM);
    if (refused == tried)
        out << "sandbox ok" << Qt::endl;
    return refused == tried ? 0 : 1;
}

} // namespace fazt::hosting::functions::sandbox
