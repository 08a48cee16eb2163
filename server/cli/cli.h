#pragma once

#include <QStringList>

namespace fazt::cli {

// Exit codes of every `fazt` command.
enum ExitCode { Ok = 0, Failure = 1, Usage = 2 };

// Runs `fazt` with its arguments (arguments[0] is the program) and returns the exit code.
int run(const QStringList &arguments);

} // namespace fazt::cli
