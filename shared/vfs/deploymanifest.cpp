#include "vfs/deploymanifest.h"

#include "vfs/vfs.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QSet>

namespace fazt::vfs {

namespace {

Error refuse(qsizetype index, const QString &why) {
    return Error::invalid(QStringLiteral("Manifest entry %1: %2").arg(index).arg(why));
}

bool isHex(const QString &text) {
    return std::all_of(text.begin(), text.end(), [](QChar c) {
        return (c >= u'0' && c <= u'9') || (c >= u'a' && c <= u'f') || (c >= u'A' && c <= u'F');
    });
}

} // namespace

Result<DeployManifest> DeployManifest::parse(const QByteArray &json, const Limits &limits) {
    const QString shape = QStringLiteral(
        "Send {\"files\": [{\"path\": \"index.html\", \"sha256\": \"<64 hex digits>\", "
        "\"size\": 1234}, ...]}.");
    QJsonParseError parseError{};
    const QJsonDocument document = QJsonDocument::fromJson(json, &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject())
        return Error::invalid(QStringLiteral("The manifest is not a JSON object (%1). %2")
                                  .arg(parseError.errorString(), shape));
    const QJsonValue filesValue = document.object().value(QStringLiteral("files"));
    if (!filesValue.isArray() || filesValue.toArray().isEmpty())
        return Error::invalid(QStringLiteral("The manifest lists no files. %1").arg(shape));
    const QJsonArray files = filesValue.toArray();
    if (files.size() > limits.maxFiles)
        return Error{Error::Code::TooLarge,
                     QStringLiteral("The manifest lists %1 files; a deploy holds at most %2.")
                         .arg(files.size())
                         .arg(limits.maxFiles)};
    DeployManifest manifest;
    manifest.m_files.reserve(files.size());
    QSet<QString> seen;
    for (qsizetype i = 0; i < files.size(); ++i) {
        const QJsonObject entry = files[i].toObject();
        const QJsonValue path = entry.value(QStringLiteral("path"));
        const QString hash = entry.value(QStringLiteral("sha256")).toString();
        const QJsonValue size = entry.value(QStringLiteral("size"));
        if (!path.isString())
            return refuse(i, QStringLiteral("no \"path\". %1").arg(shape));
        auto normalized = Vfs::normalizePath(path.toString());
        if (!normalized)
            return refuse(i, normalized.error().message);
        if (seen.contains(*normalized))
            return refuse(i, QStringLiteral("'%1' is listed twice.").arg(normalized->left(200)));
        seen.insert(*normalized);
        if (hash.size() != 64 || !isHex(hash))
            return refuse(i, QStringLiteral("\"sha256\" of '%1' is not 64 hex digits.")
                                 .arg(normalized->left(200)));
        const double bytes = size.toDouble(-1);
        if (!size.isDouble() || bytes < 0 || bytes != double(qint64(bytes)))
            return refuse(i, QStringLiteral("\"size\" of '%1' is not a whole number of bytes.")
                                 .arg(normalized->left(200)));
        if (qint64(bytes) > limits.maxFileBytes)
            return Error{Error::Code::TooLarge,
                         QStringLiteral("'%1' has %2 bytes; a file may have at most %3.")
                             .arg(normalized->left(200))
                             .arg(qint64(bytes))
                             .arg(limits.maxFileBytes)};
        manifest.m_totalBytes += qint64(bytes);
        if (manifest.m_totalBytes > limits.maxTotalBytes)
            return Error{Error::Code::TooLarge,
                         QStringLiteral("The manifest's files hold more than %1 bytes, the most "
                                        "a deploy may hold.")
                             .arg(limits.maxTotalBytes)};
        manifest.m_files.append({*normalized, QByteArray::fromHex(hash.toLatin1()), qint64(bytes)});
    }
    return manifest;
}

} // namespace fazt::vfs
