#pragma once

#include <QStringList>

namespace fazt::hosting::functions {

// The function worker's side: `fazt __function-worker`, started by the server's WorkerProcess
// with one end of a socketpair as fd 3 and nothing else of the server (no database, no other
// descriptors, no environment). It runs one site's scripts in QJSEngine on a thread with a
// large stack and a guard page, one invocation at a time, after limiting its own address
// space and entering the seccomp sandbox. Everything a script asks of the host (fazt.kv,
// fazt.fetch, fazt.log) is a message to the server; `fazt.env` holds that site's variables
// only, sent with its code.
//
// Returns the process's exit code: 0 when the server closed the channel.
int runScriptWorker(int fd, qint64 memoryBytes);

// A worker's command line, after the program's name: `__function-worker --memory BYTES`
// (what WorkerProcess starts: runScriptWorker() on fd 3), or `__function-worker
// --check-sandbox` (sandbox::check()). Returns the process's exit code.
int runWorkerCommand(const QStringList &arguments);

} // namespace fazt::hosting::functions
