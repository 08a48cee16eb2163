// Which server a remote command talks to, and with which token: the one place that decides,
// for every command (deploy included).
//
//   server: --server, else $FAZT_SERVER, else the default saved by `fazt login` (or the only
//           one saved). A value that names a saved server is that server; anything else is
//           a URL.
//   token:  --token, else $FAZT_TOKEN, else the token saved for that server (by name, or for
//           a URL by the saved server with the same URL).

#include "cli/cli.h"
#include "cli/command.h"
#include "cli/profiles.h"
#include "client/apiclient.h"
#include "config/settings.h"

#include <QJsonDocument>

namespace fazt::cli {

namespace {

const QCommandLineOption serverOption(
    QStringList{QStringLiteral("server")},
    QStringLiteral("The server: a name saved by 'fazt login', or a URL such as "
                   "https://example.com or http://127.0.0.1:8080 (default: $FAZT_SERVER, "
                   "else the server you logged in to)."),
    QStringLiteral("NAME|URL"));
const QCommandLineOption tokenOption(
    QStringList{QStringLiteral("token")},
    QStringLiteral("An API token (default: $FAZT_TOKEN, else the one 'fazt login' saved)."),
    QStringLiteral("TOKEN"));
const QCommandLineOption insecureOption(
    QStringList{QStringLiteral("insecure")},
    QStringLiteral("Send the token over plain http:// to another machine anyway (only on a "
                   "network you trust: anyone on the way can read it)."));

QString withoutTrailingSlash(QString url) {
    while (url.endsWith(u'/'))
        url.chop(1);
    return url;
}

} // namespace

void addConnectionOptions(QCommandLineParser &p) {
    p.addOption(serverOption);
    p.addOption(tokenOption);
    p.addOption(insecureOption);
}

Result<std::unique_ptr<client::ApiClient>> clientFor(const QCommandLineParser &p) {
    auto profiles = Profiles::load();
    if (!profiles)
        return profiles.error();
    QString server =
        p.isSet(serverOption) ? p.value(serverOption) : qEnvironmentVariable(settings::ServerVariable);
    server = server.trimmed();
    std::optional<Profile> saved;
    if (server.isEmpty()) {
        saved = profiles->current();
        if (!saved) {
            if (profiles->all().isEmpty())
                return Error::invalid(
                    QStringLiteral("Which server? Log in once with 'fazt login "
                                   "https://example.com', or pass --server URL (or set "
                                   "FAZT_SERVER)."));
            QStringList names;
            for (const Profile &known : profiles->all())
                names.append(known.name);
            return Error::invalid(
                QStringLiteral("Which server? You are logged in to %1: pass --server NAME, or "
                               "choose a default with 'fazt servers use NAME'.")
                    .arg(names.join(QStringLiteral(", "))));
        }
    } else {
        saved = profiles->find(server);
        if (!saved) {
            for (const Profile &known : profiles->all())
                if (withoutTrailingSlash(known.url) == withoutTrailingSlash(server))
                    saved = known;
        }
    }
    const QString url = saved ? saved->url : server;
    QByteArray token = p.isSet(tokenOption) ? p.value(tokenOption).toUtf8() : qgetenv(settings::TokenVariable);
    if (token.trimmed().isEmpty() && saved)
        token = saved->token;
    if (token.trimmed().isEmpty())
        return Error::invalid(
            QStringLiteral("No API token for %1: log in with 'fazt login %1', pass --token (or "
                           "set FAZT_TOKEN). A token for CI: 'fazt tokens create --name ci "
                           "--scopes deploy' (or on the server, 'fazt server create-token').")
                .arg(url));
    auto api = std::make_unique<client::ApiClient>();
    if (Status s = api->setServer(url); !s)
        return s.error();
    api->setToken(token.trimmed());
    api->setCleartextAllowed(p.isSet(insecureOption) || (saved && saved->isCleartextAllowed));
    api->setUnreachableHint(
        saved ? QStringLiteral("Check the address saved for '%1' ('fazt servers list').")
                    .arg(saved->name)
              : QStringLiteral("Check --server / FAZT_SERVER."));
    return api;
}

Result<QJsonObject> callApi(client::ApiClient &api, const QByteArray &verb, const QString &path,
                            const QJsonObject &body, const QString &query) {
    return client::waitFor<QJsonObject>([&](auto done) {
        api.call(verb, path, query,
                 body.isEmpty() ? QByteArray() : QJsonDocument(body).toJson(QJsonDocument::Compact),
                 done);
    });
}

int showRemote(const QCommandLineParser &p, const QByteArray &verb, const QString &path,
               const std::function<void(const QJsonObject &)> &print, const QString &query) {
    auto api = clientFor(p);
    if (!api)
        return usageError(api.error().message);
    auto answer = callApi(**api, verb, path, {}, query);
    if (!answer)
        return fail(answer.error().message);
    if (p.isSet(jsonOption()))
        printJson(*answer);
    else
        print(*answer);
    return Ok;
}

} // namespace fazt::cli
