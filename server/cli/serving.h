#pragma once

#include "app/server.h"

#include <functional>

namespace fazt::vfs {
class Vfs;
}

namespace fazt::cli {

// Holds SIGTERM and SIGINT back from this thread and every thread it starts from now on. A
// command that will serve calls it first: a stop asked for while it opens (or migrates) the
// database then waits for the server, which shuts down in order, instead of killing the
// process half-way.
void holdStopSignals();

// What a command that serves (`server start`, `preview`) does to its process, made before any
// thread starts: SIGPIPE ignored (a client that goes away is an EPIPE from send()), SIGTERM and
// SIGINT held (holdStopSignals) and read as data on a signalfd by the main loop, so that the
// shutdown runs as ordinary code on the main thread, and the allocator tuned
// (guard::Guard::tuneAllocator).
class ServingProcess {
public:
    ServingProcess();
    ~ServingProcess();
    ServingProcess(const ServingProcess &) = delete;
    ServingProcess &operator=(const ServingProcess &) = delete;

    // Runs the event loop until SIGTERM or SIGINT (one that arrived while held is read at
    // once): logs it, calls `onStop`, and returns 0. QCoreApplication::exit(code) ends it too,
    // with `code`.
    int run(const std::function<void()> &onStop = {});

private:
    int m_signalFd = -1;
};

// `fazt server start`: runs an app::Server on `database` until SIGTERM or SIGINT, telling
// systemd when it is ready and when it stops, then shuts down gracefully and returns the exit
// code. `onListening` is called once it listens (it prints the URLs).
int serve(db::Database &database, app::Server::Options options,
          const std::function<void(quint16 port, vfs::Vfs &vfs)> &onListening);

} // namespace fazt::cli
