#pragma once

#include "hosting/functions/wire.h"
#include "result.h"

#include <QString>

#include <sys/types.h>

namespace fazt::hosting::functions {

// The server's handle on one function worker: a child process started as
// `<this executable> __function-worker --memory BYTES` with one end of a socketpair as its fd 3
// and /dev/null as stdin and stdout (stderr is the server's, for the worker's own warnings).
// It inherits no other descriptor and an empty environment.
//
// Re-executing the binary, rather than forking the running server, is deliberate: the server
// has threads, locks and an open database by the time a worker is needed, and a fork would
// copy all of it into a process that runs hostile scripts. A fresh exec starts with nothing
// of the parent but what the channel brings. It costs a cold start (a few tens of ms), which
// the pool pays outside requests where it can.
class WorkerProcess {
public:
    // How a worker ended, as waitpid() reports it, read by the pool.
    struct Exit {
        enum class Kind { Exited, Signalled } kind = Kind::Exited;
        int code = 0; // exit code or signal number
    };

    // The first argument of a worker's command line. A program that serves functions starts
    // its workers as itself (/proc/self/exe): its main() hands such a command line to
    // runWorkerCommand() (scriptworker.h) before anything else.
    static constexpr QLatin1StringView Command{"__function-worker"};

    WorkerProcess() = default;
    ~WorkerProcess();
    WorkerProcess(const WorkerProcess &) = delete;
    WorkerProcess &operator=(const WorkerProcess &) = delete;

    // Starts a worker (replacing none: call after kill()/reap()). `memoryBytes` is the
    // address space the worker may add to what it uses once up. The worker dies with the
    // thread that starts it (PR_SET_PDEATHSIG): call from a thread that lives as long as the
    // server's function pool (its slot threads, an HTTP worker).
    Status start(qint64 memoryBytes);
    bool isRunning() const { return m_pid > 0; }
    pid_t pid() const { return m_pid; }
    Channel &channel() { return m_channel; }

    // Asks the worker to stop its current invocation (SIGUSR1: the engine is interrupted).
    void interrupt();
    // SIGKILL, then reaps it. Safe to call on a worker that is already gone.
    Exit kill();
    // Waits for a worker whose channel closed (it exited or was killed by the kernel).
    Exit reap();
    // A worker's memory now: resident, and of that its own (anonymous) pages; the rest is
    // code it shares with the server. Zeros if unknown.
    struct Memory {
        qint64 residentBytes = 0;
        qint64 privateBytes = 0;
    };
    static Memory memoryOf(pid_t pid);

private:
    void closeChannel();
    pid_t m_pid = -1;
    Channel m_channel;
};

} // namespace fazt::hosting::functions
