#include "cli/cli.h"
#include "system/logtext.h"
#include "system/privatefiles.h"

#include <QCoreApplication>

int main(int argc, char *argv[]) {
    // Everything fazt writes (the database, its -wal and -shm, backups, uploads spilled to
    // disk, folders) is for its own user only, whatever umask it was started with.
    fazt::system::PrivateFiles::restrictUmask();
    // No log line carries a raw control character (a request path with %1b in it, say).
    fazt::system::LogText::installMessageFilter();
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("fazt"));
    QCoreApplication::setApplicationVersion(QStringLiteral(FAZT_VERSION));
    return fazt::cli::run(QCoreApplication::arguments());
}
