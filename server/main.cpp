#include "cli/cli.h"

#include <QCoreApplication>

int main(int argc, char *argv[]) {
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("fazt"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FAZT_VERSION));
    return fazt::cli::run(QCoreApplication::arguments());
}
