#pragma once

#include "result.h"

#include <QString>

namespace fazt::hosting::functions {

// What a function worker does to itself before it runs a line of a site's script. Called in
// the worker only, once its engine is warm (every library it needs is loaded).
namespace sandbox {

// The worker's address space: what it uses now plus `growthBytes` (RLIMIT_AS). A script that
// allocates past it gets failed allocations inside the worker, never the server's memory.
Status limitMemory(qint64 growthBytes);

// The seccomp filter (libseccomp), for every thread of the process: the calls the engine and
// the channel need are allowed; everything else fails with EPERM (opening a file with
// EACCES): no files, no sockets, no exec, no fork, no tracing, no signals to other processes.
Status enter();

// `fazt __function-worker --check-sandbox`: enters the sandbox and tries what it forbids
// (open a file, create a socket, fork, execute); prints one line each, and "sandbox ok" when
// every one was refused. The tests and an owner in doubt run it.
int check();

} // namespace sandbox

} // namespace fazt::hosting::functions
