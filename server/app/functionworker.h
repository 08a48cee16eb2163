#pragma once

#include <optional>

namespace fazt::app {

// Function workers are started as this same executable (/proc/self/exe) with a worker's
// command line (hosting::functions::WorkerProcess). A program other than `fazt` that serves
// functions (the console, through its Preview; a test that previews) calls this first thing
// in main(): when this process is such a worker, it runs as one and returns its exit code;
// otherwise std::nullopt, having touched nothing.
std::optional<int> runAsFunctionWorker(int argc, char *argv[]);

} // namespace fazt::app
