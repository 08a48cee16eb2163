#include "app/functionworker.h"

#include "hosting/functions/scriptworker.h"
#include "hosting/functions/workerprocess.h"

#include <QCoreApplication>

namespace fazt::app {

std::optional<int> runAsFunctionWorker(int argc, char *argv[]) {
    using hosting::functions::WorkerProcess;
    if (argc < 2 || WorkerProcess::Command != QLatin1StringView(argv[1]))
        return std::nullopt;
    // No GUI, whatever the program: a worker talks to nothing but its channel.
    QCoreApplication worker(argc, argv);
    return hosting::functions::runWorkerCommand(QCoreApplication::arguments().mid(1));
}

} // namespace fazt::app
