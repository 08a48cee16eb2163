#include "admin/backupapi.h"

#include "admin/adminservice.h"
#include "admin/upload.h"
#include "db/database.h"
#include "http/responses.h"

#include <QDateTime>
#include <QDir>
#include <QFile>
#include <QUuid>

namespace fazt::admin {

using http::Method;
using http::Response;

namespace {

// Reads an open (already unlinked) file to its end, for the connection to pull.
class FileSource : public http::BodySource {
public:
    explicit FileSource(std::unique_ptr<QFile> file)
        : m_file(std::move(file)) {}

    Result<QByteArray> next(qint64 maxBytes) override {
        QByteArray piece = m_file->read(std::clamp<qint64>(maxBytes, 64 << 10, 1 << 20));
        if (piece.isEmpty() && m_file->error() != QFileDevice::NoError)
            return Error::io(
                QStringLiteral("Reading the backup failed: %1").arg(m_file->errorString()));
        return piece;
    }

private:
    std::unique_ptr<QFile> m_file;
};

Response backup(db::Database &database) {
    const QString path = QDir(Upload::temporaryFolder())
                             .filePath(QStringLiteral("fazt-backup-%1.db")
                                           .arg(QUuid::createUuid().toString(QUuid::Id128)));
    const auto removeCopy = [&path] {
        QFile::remove(path);
        QFile::remove(path + QStringLiteral("-journal"));
    };
    if (Status s = database.backup(path); !s) {
        removeCopy();
        return apiError(s.error());
    }
    auto file = std::make_unique<QFile>(path);
    const bool isOpen = file->open(QIODevice::ReadOnly);
    removeCopy(); // the open descriptor keeps the data until the download ends
    if (!isOpen)
        return apiError(
            Error::io(QStringLiteral("Cannot open the backup copy: %1").arg(file->errorString())));
    const QByteArray name =
        "fazt-backup-" +
        QDateTime::currentDateTimeUtc().toString(QStringLiteral("yyyyMMdd-HHmmss")).toLatin1() +
        ".db";
    Response download(200);
    download.contentType = "application/vnd.sqlite3";
    download.contentLength = file->size();
    download.addHeader("Content-Disposition", "attachment; filename=\"" + name + '"');
    download.cacheControl = "no-store";
    download.stream = std::make_unique<FileSource>(std::move(file));
    return download;
}

} // namespace

void addBackupRoutes(AdminService &service, db::Database &database) {
    service.addRoute({Method::Get, QStringLiteral("/api/system/backup"), Access::Admin,
                      BodyKind::None, true,
                      [&database](ApiRequest &) { return backup(database); }});
}

} // namespace fazt::admin
