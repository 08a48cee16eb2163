// `fazt login`, `fazt logout` and `fazt servers list|use`: log in once per server, and every
// remote command finds its server and token without flags (see connection.cpp).

#include "cli/cli.h"
#include "cli/command.h"
#include "cli/profiles.h"
#include "client/apiclient.h"

#include <QJsonArray>
#include <QSysInfo>
#include <QUrl>

#include <unistd.h>

namespace fazt::cli {

namespace {

using client::ApiClient;

const QCommandLineOption nameOption(
    QStringList{QStringLiteral("name")},
    QStringLiteral("What to call this server in --server NAME (default: its host name)."),
    QStringLiteral("NAME"));
const QCommandLineOption
    tokenOption(QStringList{QStringLiteral("token")},
                QStringLiteral("Save this API token instead of logging in with the password."),
                QStringLiteral("TOKEN"));
const QCommandLineOption usernameOption(QStringList{QStringLiteral("username")},
                                        QStringLiteral("The admin's username (default: admin)."),
                                        QStringLiteral("NAME"), QStringLiteral("admin"));
const QCommandLineOption passwordFileOption(
    QStringList{QStringLiteral("password-file")},
    QStringLiteral("Read the password from FILE's first line ('-': standard input). Without "
                   "it, the password is asked on the terminal."),
    QStringLiteral("FILE"));
const QCommandLineOption insecureOption(
    QStringList{QStringLiteral("insecure")},
    QStringLiteral("Allow plain http:// to another machine for this server (only on a network "
                   "you trust: anyone on the way can read the password and the token)."));

// The token a password login makes for this machine: one per machine and server, replaced by
// the next login from here.
QString machineTokenName() {
    return QStringLiteral("cli@") + QSysInfo::machineHostName().left(80);
}

// "example.com", "127.0.0.1:8080": the server's name unless --name gives one.
QString nameFor(const QString &url) {
    const QUrl parsed = QUrl::fromUserInput(url);
    const QString host = parsed.host().isEmpty() ? url : parsed.host();
    return parsed.port() > 0 ? host + u':' + QString::number(parsed.port()) : host;
}

// Revokes the tokens a password login from this machine made before `keptId`, so logging in
// again does not pile them up on the server. Returns how many went.
int revokeEarlierTokens(ApiClient &api, const QString &tokenName, qint64 keptId, qint64 savedId) {
    auto answer = callApi(api, "GET", QStringLiteral("/api/tokens"));
    if (!answer)
        return 0;
    int revoked = 0;
    for (const QJsonValue &v : answer->value(QLatin1String("tokens")).toArray()) {
        const qint64 id = v.toObject().value(QLatin1String("id")).toInteger();
        const bool isEarlier =
            v.toObject().value(QLatin1String("name")).toString() == tokenName || id == savedId;
        if (id != keptId && isEarlier &&
            callApi(api, "DELETE", QStringLiteral("/api/tokens/%1").arg(id)))
            ++revoked;
    }
    return revoked;
}

int login(const QCommandLineParser &p) {
    const QStringList args = p.positionalArguments();
    if (args.size() > 1)
        return usageError(QStringLiteral("Usage: fazt login [URL] [--name NAME]"));
    auto profiles = Profiles::load();
    if (!profiles)
        return fail(profiles.error().message);
    std::optional<Profile> earlier = p.isSet(nameOption) ? profiles->find(p.value(nameOption))
                                     : args.isEmpty()    ? profiles->current()
                                                         : profiles->find(nameFor(args[0]));
    if (args.isEmpty() && !earlier)
        return usageError(QStringLiteral("Which server? Give its URL: fazt login "
                                         "https://example.com (or http://127.0.0.1:8080)."));
    const QString url = args.isEmpty() ? earlier->url : args[0];
    const QString name = p.isSet(nameOption) ? p.value(nameOption) : nameFor(url);
    if (Status s = Profiles::validateName(name); !s)
        return usageError(s.error().message);
    if (earlier && earlier->url != url)
        earlier.reset(); // the name now stands for another server: nothing of the old one counts

    ApiClient api;
    if (Status s = api.setServer(url); !s)
        return usageError(s.error().message);
    const bool isCleartextAllowed =
        p.isSet(insecureOption) || (earlier && earlier->isCleartextAllowed);
    api.setCleartextAllowed(isCleartextAllowed);
    api.setUnreachableHint(QStringLiteral("Check the URL."));
    Profile profile{name, url, {}, 0, {}, false, isCleartextAllowed};
    int replaced = 0;
    if (p.isSet(tokenOption)) {
        profile.token = p.value(tokenOption).trimmed().toUtf8();
        api.setToken(profile.token);
        auto session = callApi(api, "GET", QStringLiteral("/api/session"));
        if (!session)
            return fail(session.error().message);
        profile.tokenId = session->value(QLatin1String("tokenId")).toInteger();
        profile.tokenName = session->value(QLatin1String("token")).toString();
    } else {
        QByteArray password;
        if (p.isSet(passwordFileOption)) {
            auto fromFile = readPasswordFile(p.value(passwordFileOption));
            if (!fromFile)
                return fail(fromFile.error().message);
            password = *fromFile;
        } else if (::isatty(STDIN_FILENO) == 1) {
            password = askHidden(qPrintable(
                QStringLiteral("Password for %1 at %2: ").arg(p.value(usernameOption), url)));
        } else {
            return usageError(QStringLiteral("No terminal to ask the password on: give it with "
                                             "--password-file FILE ('-' for standard input), or "
                                             "log in with --token TOKEN."));
        }
        const QString username = p.value(usernameOption);
        auto session = client::waitFor<client::Session>(
            [&](auto done) { api.login(username, QString::fromUtf8(password), done); });
        if (!session)
            return fail(session.error().message);
        profile.tokenName = machineTokenName();
        auto created = client::waitFor<client::CreatedToken>([&](auto done) {
            api.createToken(profile.tokenName, {QStringLiteral("admin")}, done);
        });
        if (!created)
            return fail(created.error().message);
        profile.token = created->secret;
        profile.tokenId = created->id;
        profile.isFromLogin = true;
        replaced = revokeEarlierTokens(api, profile.tokenName, created->id,
                                       earlier && earlier->isFromLogin ? earlier->tokenId : 0);
        (void)client::waitFor<void>([&](auto done) { api.logout(done); });
    }
    profiles->put(profile);
    profiles->setDefaultName(name);
    if (Status s = profiles->save(); !s)
        return fail(s.error().message);
    note() << "Logged in to " << url << " as '" << name << "' (token '" << profile.tokenName << "'"
           << (replaced > 0
                   ? QStringLiteral(", replacing %1 made by an earlier login").arg(replaced)
                   : QString())
           << "), saved in " << profiles->path() << '.' << Qt::endl
           << "Commands now use it without --server; it is the default until you log in to "
              "another ('fazt servers list')."
           << Qt::endl;
    return Ok;
}

int logout(const QCommandLineParser &p) {
    const QStringList args = p.positionalArguments();
    if (args.size() > 1)
        return usageError(QStringLiteral("Usage: fazt logout [NAME]"));
    auto profiles = Profiles::load();
    if (!profiles)
        return fail(profiles.error().message);
    const std::optional<Profile> profile =
        args.isEmpty() ? profiles->current() : profiles->find(args[0]);
    if (!profile)
        return usageError(args.isEmpty()
                              ? QStringLiteral("Logged in to no server, or to several: give the "
                                               "name ('fazt servers list').")
                              : QStringLiteral("There is no saved server '%1' ('fazt servers "
                                               "list').")
                                    .arg(args[0].left(100)));
    QString revokeFailure;
    if (profile->isFromLogin && profile->tokenId > 0) {
        ApiClient api;
        Status ready = api.setServer(profile->url);
        if (ready) {
            api.setToken(profile->token);
            api.setCleartextAllowed(profile->isCleartextAllowed);
            auto done =
                callApi(api, "DELETE", QStringLiteral("/api/tokens/%1").arg(profile->tokenId));
            // A token already refused (401: revoked) or gone (404) is what logging out wants.
            if (!done && done.error().code != Error::Code::Invalid &&
                done.error().code != Error::Code::NotFound)
                ready = done.error();
        }
        if (!ready)
            revokeFailure = ready.error().message;
    }
    profiles->remove(profile->name);
    if (Status s = profiles->save(); !s)
        return fail(s.error().message);
    if (!revokeFailure.isEmpty())
        return fail(QStringLiteral("Forgot %1 here, but its token '%2' (id %3) could not be "
                                   "revoked on the server: %4 Revoke it from another login with "
                                   "'fazt tokens revoke %3'.")
                        .arg(profile->name, profile->tokenName)
                        .arg(profile->tokenId)
                        .arg(revokeFailure));
    note() << "Logged out of " << profile->name
           << (profile->isFromLogin ? ": its token is revoked on the server and forgotten here."
                                    : ": its token is forgotten here (it still works elsewhere).")
           << Qt::endl;
    return Ok;
}

int serversList(const QCommandLineParser &p) {
    auto profiles = Profiles::load();
    if (!profiles)
        return fail(profiles.error().message);
    const std::optional<Profile> current = profiles->current();
    if (p.isSet(jsonOption())) {
        QJsonArray servers;
        for (const Profile &s : profiles->all())
            servers.append(
                QJsonObject{{QStringLiteral("name"), s.name},
                            {QStringLiteral("url"), s.url},
                            {QStringLiteral("tokenName"), s.tokenName},
                            {QStringLiteral("tokenId"), s.tokenId},
                            {QStringLiteral("default"), current && current->name == s.name}});
        printJson({{QStringLiteral("servers"), servers}});
        return Ok;
    }
    if (profiles->all().isEmpty()) {
        note() << "Logged in to no server yet: 'fazt login https://example.com'." << Qt::endl;
        return Ok;
    }
    QList<QStringList> rows{{QStringLiteral("NAME"), QStringLiteral("URL"), QStringLiteral("TOKEN"),
                             QStringLiteral("DEFAULT")}};
    for (const Profile &s : profiles->all())
        rows.append({s.name, s.url, s.tokenName,
                     current && current->name == s.name
                         ? coloured(QStringLiteral("yes"), Colour::Green)
                         : QString()});
    printTable(rows);
    return Ok;
}

int serversUse(const QCommandLineParser &p) {
    const QStringList args = p.positionalArguments();
    if (args.size() != 1)
        return usageError(QStringLiteral("Usage: fazt servers use NAME"));
    auto profiles = Profiles::load();
    if (!profiles)
        return fail(profiles.error().message);
    if (!profiles->find(args[0]))
        return fail(QStringLiteral("There is no saved server '%1': log in to it first with "
                                   "'fazt login URL --name %1'.")
                        .arg(args[0].left(100)));
    profiles->setDefaultName(args[0]);
    if (Status s = profiles->save(); !s)
        return fail(s.error().message);
    note() << "Commands now go to " << args[0] << " when no --server is given." << Qt::endl;
    return Ok;
}

} // namespace

QList<Command> loginCommands() {
    return {
        {QStringLiteral("login"), QString(),
         QStringLiteral("Log in to a server once; later commands need no --server or --token."),
         QStringLiteral("[URL]"),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("URL"),
                                     QStringLiteral("The server, e.g. https://example.com "
                                                    "(default: log in again to the default)."),
                                     QStringLiteral("[URL]"));
             p.addOption(nameOption);
             p.addOption(usernameOption);
             p.addOption(passwordFileOption);
             p.addOption(tokenOption);
             p.addOption(insecureOption);
         },
         login},
        {QStringLiteral("logout"), QString(),
         QStringLiteral("Revoke the token 'fazt login' made and forget the server."),
         QStringLiteral("[NAME]"),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("NAME"),
                                     QStringLiteral("The saved server (default: the default)."),
                                     QStringLiteral("[NAME]"));
         },
         logout},
        {QStringLiteral("servers"), QStringLiteral("list"),
         QStringLiteral("List the servers you are logged in to, and the default."), QString(),
         [](QCommandLineParser &p) { p.addOption(jsonOption()); }, serversList},
        {QStringLiteral("servers"), QStringLiteral("use"),
         QStringLiteral("Make a saved server the default for commands without --server."),
         QStringLiteral("NAME"),
         [](QCommandLineParser &p) {
             p.addPositionalArgument(QStringLiteral("NAME"), QStringLiteral("A saved server."));
         },
         serversUse},
    };
}

} // namespace fazt::cli
