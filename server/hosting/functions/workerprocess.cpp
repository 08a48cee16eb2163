#include "hosting/functions/workerprocess.h"

#include <QByteArray>
#include <QFile>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fazt::hosting::functions {

namespace {

// The worker's end of the channel, as the worker finds it.
constexpr int WorkerFd = 3;
// How long reap() waits for a worker to exit on its own before it kills it.
constexpr int ReapGraceMs = 200;

} // namespace

WorkerProcess::~WorkerProcess() {
    (void)kill();
}

Status WorkerProcess::start(qint64 memoryBytes) {
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
        return Error::io(QStringLiteral("socketpair: %1")
                             .arg(QString::fromLocal8Bit(std::strerror(errno))));
    // dup2 onto the same number would keep close-on-exec: make sure the child's end is not 3.
    if (fds[1] == WorkerFd) {
        const int moved = ::fcntl(fds[1], F_DUPFD_CLOEXEC, WorkerFd + 1);
        ::close(fds[1]);
        fds[1] = moved;
    }
    posix_spawn_file_actions_t actions;
    ::posix_spawn_file_actions_init(&actions);
    ::posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
    ::posix_spawn_file_actions_addopen(&actions, 1, "/dev/null", O_WRONLY, 0);
    ::posix_spawn_file_actions_adddup2(&actions, fds[1], WorkerFd);
    // Nothing else of the server: no database, no listening socket, no client connection.
    ::posix_spawn_file_actions_addclosefrom_np(&actions, WorkerFd + 1);
    posix_spawnattr_t attributes;
    ::posix_spawnattr_init(&attributes);
    // Signals the server blocks or ignores (its signalfd's) are the default again.
    sigset_t none, all;
    ::sigemptyset(&none);
    ::sigfillset(&all);
    ::posix_spawnattr_setsigmask(&attributes, &none);
    ::posix_spawnattr_setsigdefault(&attributes, &all);
    ::posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    const QByteArray memory = QByteArray::number(memoryBytes);
    char *const argv[] = {const_cast<char *>("fazt"), const_cast<char *>(Command.data()),
                          const_cast<char *>("--memory"), const_cast<char *>(memory.constData()),
                          nullptr};
    char *const environment[] = {nullptr};
    pid_t pid = -1;
    const int spawned = ::posix_spawn(&pid, "/proc/self/exe", &actions, &attributes, argv,
                                      environment);
    ::posix_spawn_file_actions_destroy(&actions);
    ::posix_spawnattr_destroy(&attributes);
    ::close(fds[1]);
    if (spawned != 0) {
        ::close(fds[0]);
        return Error::io(QStringLiteral("Cannot start a function worker: %1")
                             .arg(QString::fromLocal8Bit(std::strerror(spawned))));
    }
    ::fcntl(fds[0], F_SETFL, ::fcntl(fds[0], F_GETFL) | O_NONBLOCK);
    m_pid = pid;
    m_channel.reset(fds[0]);
    return {};
}

void WorkerProcess::interrupt() {
    if (m_pid > 0)
        ::kill(m_pid, SIGUSR1);
}

void WorkerProcess::closeChannel() {
    if (m_channel.fd() >= 0)
        ::close(m_channel.fd());
    m_channel.reset(-1);
}

WorkerProcess::Exit WorkerProcess::kill() {
    if (m_pid > 0)
        ::kill(m_pid, SIGKILL);
    return reap();
}

WorkerProcess::Exit WorkerProcess::reap() {
    closeChannel();
    Exit exit;
    if (m_pid <= 0)
        return exit;
    // A worker whose channel closed is exiting; one that closed it and went on is hostile
    // and gets SIGKILL once the grace is up.
    int status = 0;
    pid_t waited = 0;
    for (int waitedMs = 0; waited == 0; ++waitedMs) {
        waited = ::waitpid(m_pid, &status, WNOHANG);
        if (waited < 0 && errno == EINTR)
            waited = 0;
        if (waited != 0)
            break;
        if (waitedMs == ReapGraceMs)
            ::kill(m_pid, SIGKILL);
        ::usleep(waitedMs < 10 ? 100 : 1000);
    }
    m_pid = -1;
    if (waited > 0 && WIFSIGNALED(status))
        exit = {Exit::Kind::Signalled, WTERMSIG(status)};
    else if (waited > 0 && WIFEXITED(status))
        exit = {Exit::Kind::Exited, WEXITSTATUS(status)};
    return exit;
}

WorkerProcess::Memory WorkerProcess::memoryOf(pid_t pid) {
    Memory memory;
    QFile status(QStringLiteral("/proc/%1/status").arg(pid));
    if (pid <= 0 || !status.open(QIODevice::ReadOnly))
        return memory;
    for (const QByteArray &line : status.readAll().split('\n')) {
        const auto kib = [&line] { return line.mid(line.indexOf(':') + 1).trimmed().split(' ')
                                              .value(0).toLongLong() * 1024; };
        if (line.startsWith("VmRSS:"))
            memory.residentBytes = kib();
        else if (line.startsWith("RssAnon:"))
            memory.privateBytes = kib();
    }
    return memory;
}

} // namespace fazt::hosting::functions
