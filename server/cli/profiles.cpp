#include "cli/profiles.h"

#include "system/privatefiles.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSaveFile>

namespace fazt::cli {

namespace {

constexpr qint64 maxFileBytes = 1 << 20;

QJsonObject toJson(const Profile &p) {
    return {{QStringLiteral("name"), p.name},
            {QStringLiteral("url"), p.url},
            {QStringLiteral("token"), QString::fromLatin1(p.token)},
            {QStringLiteral("tokenId"), p.tokenId},
            {QStringLiteral("tokenName"), p.tokenName},
            {QStringLiteral("fromLogin"), p.isFromLogin},
            {QStringLiteral("insecure"), p.isCleartextAllowed}};
}

Profile fromJson(const QJsonObject &o) {
    return {o.value(QLatin1String("name")).toString(),
            o.value(QLatin1String("url")).toString(),
            o.value(QLatin1String("token")).toString().toLatin1(),
            o.value(QLatin1String("tokenId")).toInteger(),
            o.value(QLatin1String("tokenName")).toString(),
            o.value(QLatin1String("fromLogin")).toBool(),
            o.value(QLatin1String("insecure")).toBool()};
}

} // namespace

QString Profiles::defaultPath() {
    QString base = qEnvironmentVariable("XDG_CONFIG_HOME");
    if (base.isEmpty() || !QDir::isAbsolutePath(base))
        base = QDir::homePath() + QStringLiteral("/.config");
    return base + QStringLiteral("/fazt/servers.json");
}

Result<Profiles> Profiles::load(const QString &path) {
    Profiles profiles;
    profiles.m_path = path;
    QFile file(path);
    if (!file.exists())
        return profiles;
    if (!file.open(QIODevice::ReadOnly))
        return Error::io(QStringLiteral("Cannot read the saved servers in %1: %2")
                             .arg(path, file.errorString()));
    const QByteArray text = file.read(maxFileBytes + 1);
    QJsonParseError error{};
    const QJsonDocument document = QJsonDocument::fromJson(text, &error);
    if (text.size() > maxFileBytes || error.error != QJsonParseError::NoError ||
        !document.isObject())
        return Error::invalid(QStringLiteral("%1 is not a file of saved servers (%2). Remove it "
                                             "and log in again with 'fazt login URL'.")
                                  .arg(path, text.size() > maxFileBytes
                                                 ? QStringLiteral("larger than 1 MiB")
                                                 : error.errorString()));
    const QJsonObject root = document.object();
    profiles.m_default = root.value(QLatin1String("default")).toString();
    for (const QJsonValue &v : root.value(QLatin1String("servers")).toArray()) {
        const Profile p = fromJson(v.toObject());
        if (validateName(p.name) && !p.url.isEmpty())
            profiles.put(p);
    }
    return profiles;
}

Status Profiles::save() const {
    const QString folder = QFileInfo(m_path).absolutePath();
    if (Status s = system::PrivateFiles::makeFolder(folder); !s)
        return s;
    QFile::setPermissions(folder,
                          QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    QJsonArray servers;
    for (const Profile &p : m_profiles)
        servers.append(toJson(p));
    QSaveFile file(m_path);
    if (!file.open(QIODevice::WriteOnly))
        return Error::io(QStringLiteral("Cannot write %1: %2").arg(m_path, file.errorString()));
    file.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner);
    file.write(QJsonDocument(QJsonObject{{QStringLiteral("default"), m_default},
                                         {QStringLiteral("servers"), servers}})
                   .toJson());
    if (!file.commit())
        return Error::io(QStringLiteral("Cannot write %1: %2").arg(m_path, file.errorString()));
    // Whatever umask or earlier file there was: for this user only.
    if (!QFile::setPermissions(m_path, QFileDevice::ReadOwner | QFileDevice::WriteOwner))
        return Error::io(QStringLiteral("Cannot make %1 private (mode 0600).").arg(m_path));
    return {};
}

std::optional<Profile> Profiles::find(const QString &name) const {
    for (const Profile &p : m_profiles)
        if (p.name == name)
            return p;
    return std::nullopt;
}

std::optional<Profile> Profiles::current() const {
    if (auto p = find(m_default))
        return p;
    if (m_profiles.size() == 1)
        return m_profiles.first();
    return std::nullopt;
}

void Profiles::put(const Profile &profile) {
    for (Profile &p : m_profiles) {
        if (p.name == profile.name) {
            p = profile;
            return;
        }
    }
    m_profiles.append(profile);
}

bool Profiles::remove(const QString &name) {
    const qsizetype removed = m_profiles.removeIf([&](const Profile &p) { return p.name == name; });
    if (m_default == name)
        m_default.clear();
    return removed > 0;
}

Status Profiles::validateName(const QString &name) {
    static const QRegularExpression pattern(QStringLiteral("^[A-Za-z0-9][A-Za-z0-9._:-]{0,99}$"));
    if (!pattern.match(name).hasMatch())
        return Error::invalid(QStringLiteral("'%1' cannot name a server: use letters, digits and "
                                             ". - _ :, starting with a letter or digit (at most "
                                             "100).")
                                  .arg(name.left(100)));
    return {};
}

} // namespace fazt::cli
