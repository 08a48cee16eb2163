#include "admin/adminsite.h"

#include "config/config.h"
#include "config/settings.h"
#include "crypto/sha256.h"
#include "db/database.h"
#include "vfs/vfs.h"

#include <QCoreApplication>
#include <QDirIterator>
#include <QFile>

namespace fazt::admin {

const QString AdminSite::SiteName = QStringLiteral("admin");
const QString AdminSite::StampKey = QLatin1String(settings::AdminStamp);

namespace {

const QString ResourceRoot = QStringLiteral(":/admin");

} // namespace

QString AdminSite::builtInStamp() {
    QStringList paths;
    QDirIterator it(ResourceRoot, QDir::Files, QDirIterator::Subdirectories);
    while (it.hasNext())
        paths.append(it.next());
    paths.sort();
    crypto::Sha256 hash;
    for (const QString &path : paths) {
        QFile file(path);
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const QByteArray content = file.readAll();
        hash.addData(path.toUtf8());
        hash.addData(QByteArray::number(content.size()));
        hash.addData(content);
    }
    return QCoreApplication::applicationVersion() + u'/' +
           QString::fromLatin1(hash.result().toHex().left(16));
}

Result<QString> AdminSite::install(db::Database &database, Replace replace) {
    if (!QFile::exists(ResourceRoot + QStringLiteral("/index.html")))
        return Error::internal(
            QStringLiteral("This fazt binary was built without its admin dashboard."));
    Config config(database);
    if (Status s = config.load(); !s)
        return s.error();
    const QString stamp = builtInStamp();
    vfs::Vfs vfs(database);
    const bool exists = bool(vfs.site(SiteName));
    if (exists && replace == Replace::IfOutdated && config.value(StampKey) == stamp)
        return QString();
    if (!exists) {
        if (auto created = vfs.createSite(SiteName); !created)
            return created.error();
    }
    auto deployed = vfs.deployDirectory(SiteName, ResourceRoot);
    if (!deployed)
        return deployed.error();
    if (Status s = config.set(StampKey, stamp); !s)
        return s.error();
    return QStringLiteral("admin dashboard %1 stored: %2 files, %3 bytes (deploy %4)")
        .arg(stamp)
        .arg(deployed->fileCount)
        .arg(deployed->bytes)
        .arg(deployed->id);
}

std::vector<http::Header> AdminSite::securityHeaders() {
    return {{"Content-Security-Policy",
             "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'; font-src 'self'; manifest-src 'self'; base-uri 'none'; "
             "form-action 'self'; frame-ancestors 'none'"},
            {"X-Frame-Options", "DENY"},
            {"Cross-Origin-Opener-Policy", "same-origin"}};
}

} // namespace fazt::admin
