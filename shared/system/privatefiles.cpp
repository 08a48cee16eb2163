#include "system/privatefiles.h"

#include <QDir>
#include <QFileInfo>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace fazt::system {

namespace {

Error ioError(const QString &what, const QString &path) {
    return Error::io(
        QStringLiteral("%1 %2: %3").arg(what, path, QString::fromLocal8Bit(std::strerror(errno))));
}

} // namespace

void PrivateFiles::restrictUmask() {
    ::umask(077);
}

Status PrivateFiles::makeFolder(const QString &path) {
    const QString absolute = QFileInfo(path).absoluteFilePath();
    if (QFileInfo(absolute).isDir())
        return {};
    if (Status parent = makeFolder(QFileInfo(absolute).absolutePath()); !parent)
        return parent;
    const QByteArray native = QFile::encodeName(absolute);
    if (::mkdir(native.constData(), 0700) != 0 && errno != EEXIST)
        return ioError(QStringLiteral("Cannot create the folder"), absolute);
    // mkdir() applies the umask, which can only take permissions away: 0700 or less.
    if (::chmod(native.constData(), 0700) != 0)
        return ioError(QStringLiteral("Cannot set the permissions of"), absolute);
    return {};
}

Status PrivateFiles::createFile(const QString &path) {
    const QByteArray native = QFile::encodeName(path);
    const int fd = ::open(native.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0)
        return errno == EEXIST ? Status() : ioError(QStringLiteral("Cannot create"), path);
    const int changed = ::fchmod(fd, 0600);
    ::close(fd);
    if (changed != 0)
        return ioError(QStringLiteral("Cannot set the permissions of"), path);
    return {};
}

Result<int> PrivateFiles::restrict(const QString &path) {
    const QByteArray native = QFile::encodeName(path);
    struct stat info {};
    if (::stat(native.constData(), &info) != 0)
        return errno == ENOENT ? 0 : Result<int>(ioError(QStringLiteral("Cannot read"), path));
    const int mode = int(info.st_mode & 07777);
    if ((mode & 077) == 0)
        return 0;
    if (::chmod(native.constData(), mode_t(mode & ~077)) != 0)
        return ioError(QStringLiteral("Cannot set the permissions of"), path);
    return mode;
}

} // namespace fazt::system
