#pragma once

#include "result.h"

#include <QByteArray>
#include <QList>
#include <QString>

#include <optional>

namespace fazt::cli {

// A server `fazt login` saved: where it is and the token to use there.
struct Profile {
    QString name;                    // what --server takes, e.g. "example.com" or "prod"
    QString url;                     // as the user gave it: https://example.com
    QByteArray token;                // the API token
    qint64 tokenId = 0;              // the server's id of the token, 0 if unknown
    QString tokenName;               // the server's name of the token, e.g. cli@laptop
    bool isFromLogin = false;        // created by `fazt login` with a password: logout revokes it
    bool isCleartextAllowed = false; // logged in with --insecure
};

// The servers this user has logged in to, in $XDG_CONFIG_HOME/fazt/servers.json (else
// ~/.config/fazt/servers.json): a JSON file of mode 0600 in a folder of mode 0700, since it
// holds tokens. One of them may be the default, used when no --server is given.
class Profiles {
public:
    // The file's path for this user.
    static QString defaultPath();
    // Reads the file; a file that does not exist is an empty list, one that cannot be read
    // or parsed is an error that names it.
    static Result<Profiles> load(const QString &path = defaultPath());
    // Writes the whole file at once (a crash leaves the old one or the new one).
    Status save() const;

    const QString &path() const { return m_path; }
    const QList<Profile> &all() const { return m_profiles; }
    std::optional<Profile> find(const QString &name) const;
    // The default, or the only one when just one is saved.
    std::optional<Profile> current() const;
    QString defaultName() const { return m_default; }
    void setDefaultName(const QString &name) { m_default = name; }
    // Adds the profile, or replaces the one of the same name.
    void put(const Profile &profile);
    // False if there was none of that name; forgets it as the default too.
    bool remove(const QString &name);

    // Names are what a user types after --server: letters, digits and ".-_:", up to 100.
    static Status validateName(const QString &name);

private:
    QString m_path;
    QString m_default;
    QList<Profile> m_profiles;
};

} // namespace fazt::cli
