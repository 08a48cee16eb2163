// Commands that manage a running server through its admin API, with client::ApiClient:
// `fazt deploy`, `fazt sites list`, `fazt deploys list|rollback|activate`.

#include "archive/archivewriter.h"
#include "cli/cli.h"
#include "cli/command.h"
#include "cli/folderdeploy.h"
#include "client/apiclient.h"
#include "system/units.h"
#include "vfs/vfs.h"

#include <QElapsedTimer>
#include <QFileInfo>
#include <QHostAddress>
#include <QJsonObject>
#include <QLocale>
#include <QTemporaryDir>

#include <algorithm>
#include <cstdio>
#include <memory>
#include <unistd.h>

namespace fazt::cli {

namespace {

using client::ApiClient;

const QCommandLineOption siteOption(QStringList{QStringLiteral("site")},
                                    QStringLiteral("The site, e.g. blog (served at "
                                                   "blog.DOMAIN)."),
                                    QStringLiteral("NAME"));
const QCommandLineOption noActivateOption(QStringList{QStringLiteral("no-activate")},
                                          QStringLiteral("Upload only; activate later with "
                                                         "'fazt deploys activate'."));
const QCommandLineOption spaOption(
    QStringList{QStringLiteral("spa")},
    QStringLiteral("Serve index.html for paths that are not files (a single-page app): sets the "
                   "site's spa setting with the deploy."));
const QCommandLineOption
    verboseOption(QStringList{QStringLiteral("verbose")},
                  QStringLiteral("List what the folder's .gitignore and .faztignore leave out."));
const QCommandLineOption includeHiddenOption(
    QStringList{QStringLiteral("include-hidden")},
    QStringLiteral("Also deploy dotfiles of a folder (.git and node_modules never are)."));

// Archive names uploaded as they are; the server recognises the format from the content.
const QStringList archiveSuffixes{QStringLiteral(".zip"),     QStringLiteral(".tar"),
                                  QStringLiteral(".tar.gz"),  QStringLiteral(".tgz"),
                                  QStringLiteral(".tar.zst"), QStringLiteral(".tar.xz"),
                                  QStringLiteral(".tar.bz2")};

int usage(const QString &message) {
    err() << "fazt: " << message << Qt::endl;
    return Usage;
}

// The --site value, checked here so a typo fails before anything is packed or sent.
Result<QString> siteFor(const QCommandLineParser &p, const QString &command) {
    if (!p.isSet(siteOption))
        return Error::invalid(
            QStringLiteral("'%1' needs --site NAME, e.g. --site blog.").arg(command));
    const QString site = p.value(siteOption);
    if (Status s = vfs::Vfs::validateSiteName(site); !s)
        return s.error();
    return site;
}

// What every site command needs: the checked --site and a client for the server.
struct SiteCommand {
    QString site;
    std::unique_ptr<ApiClient> api;
};

Result<SiteCommand> siteCommandFor(const QCommandLineParser &p, const QString &command) {
    auto site = siteFor(p, command);
    if (!site)
        return site.error();
    auto api = clientFor(p);
    if (!api)
        return api.error();
    return SiteCommand{std::move(*site), std::move(*api)};
}

// Progress on stderr. On a terminal: one line redrawn in place with a bar, the percentage,
// the amount and the speed. Elsewhere (CI logs, pipes): a plain line at 0, 25, 50, 75 and
// 100 %, so a log shows that the upload moved without a line per chunk.
class UploadProgress {
public:
    UploadProgress()
        : m_isTerminal(::isatty(::fileno(stderr)) == 1) {
        m_clock.start();
    }

    void update(qint64 sent, qint64 total) {
        if (total <= 0 || !m_lastState.isEmpty()) // the server's side has begun
            return;
        const int percent = int(sent * 100 / total);
        if (!m_isTerminal) {
            const int quarter = percent / 25;
            if (quarter > m_lastQuarter) {
                m_lastQuarter = quarter;
                err() << "Uploading: " << quarter * 25 << "% (" << system::humanBytes(sent)
                      << " of " << system::humanBytes(total) << ")" << Qt::endl;
            }
            return;
        }
        const qint64 now = m_clock.elapsed();
        if (m_isLineOpen && (sent == m_lastDrawnSent || (sent < total && now - m_lastDrawMs < 100)))
            return; // redraw at most ten times a second, and only for news
        m_lastDrawMs = now;
        m_lastDrawnSent = sent;
        constexpr int width = 30;
        const int filled = int(sent * width / total);
        const qint64 speed = now > 0 ? sent * 1000 / now : 0;
        err() << "\rUploading [" << QString(filled, u'#') << QString(width - filled, u'-') << "] "
              << QString::number(percent).rightJustified(3) << "%  " << system::humanBytes(sent)
              << " / " << system::humanBytes(total) << "  " << system::humanBytes(speed)
              << "/s\x1b[K" << Qt::flush;
        m_isLineOpen = true;
    }

    // The server's side, once the upload is in: a line per state off a terminal, a line
    // redrawn with the files stored so far on one.
    void update(const client::DeployProgress &job) {
        if (job.state == QLatin1String("receiving")) // stored; the commit comes next
            return;
        if (!m_isTerminal) {
            if (job.state != m_lastState)
                err() << "Server: " << job.state << " (deploy job " << job.jobId << ")" << Qt::endl;
            m_lastState = job.state;
            return;
        }
        if (m_isLineOpen && job.state == m_lastState && job.files == m_lastFiles)
            return;
        m_lastState = job.state;
        m_lastFiles = job.files;
        err() << "\rServer: " << job.state;
        if (job.filesTotal > 0)
            err() << "  " << job.files << " of " << job.filesTotal << " files, "
                  << system::humanBytes(job.bytes) << " of " << system::humanBytes(job.bytesTotal);
        err() << "\x1b[K" << Qt::flush;
        m_isLineOpen = true;
    }

    // Ends the terminal line, so what follows starts on its own.
    void finish() {
        if (m_isLineOpen)
            err() << Qt::endl;
        m_isLineOpen = false;
    }

private:
    bool m_isTerminal;
    bool m_isLineOpen = false;
    int m_lastQuarter = -1;
    qint64 m_lastDrawMs = -1;
    qint64 m_lastDrawnSent = -1;
    QString m_lastState;
    qint64 m_lastFiles = -1;
    QElapsedTimer m_clock;
};

// The compression that suits the link to `server`: none to this machine, gzip's fastest on
// a private network, zstd (a thread per core) beyond.
archive::Compression compressionFor(const QUrl &server) {
    const QString host = server.host().toLower();
    const QHostAddress address(host);
    if (host == QLatin1String("localhost") || host.endsWith(QLatin1String(".localhost")) ||
        address.isLoopback())
        return archive::Compression::None;
    const bool isPrivate =
        address.isLinkLocal() ||
        address.isInSubnet(QHostAddress::parseSubnet(QStringLiteral("10.0.0.0/8"))) ||
        address.isInSubnet(QHostAddress::parseSubnet(QStringLiteral("172.16.0.0/12"))) ||
        address.isInSubnet(QHostAddress::parseSubnet(QStringLiteral("192.168.0.0/16"))) ||
        address.isInSubnet(QHostAddress::parseSubnet(QStringLiteral("fc00::/7")));
    return isPrivate ? archive::Compression::Fast : archive::Compression::Small;
}

Result<archive::Summary> pack(const QString &folder, const QString &outputPath,
                              const archive::PackOptions &options) {
    const bool isTerminal = ::isatty(::fileno(stderr)) == 1;
    QElapsedTimer clock;
    clock.start();
    qint64 lastDrawMs = -1;
    auto packed = archive::packDirectory(
        folder, outputPath, options, [&](const archive::PackProgress &progress) {
            if (!isTerminal || (lastDrawMs >= 0 && clock.elapsed() - lastDrawMs < 100))
                return;
            lastDrawMs = clock.elapsed();
            err() << "\rPacking: " << progress.files << " of " << progress.totalFiles << " files, "
                  << system::humanBytes(progress.bytes) << " of "
                  << system::humanBytes(progress.totalBytes) << "\x1b[K" << Qt::flush;
        });
    if (isTerminal && lastDrawMs >= 0)
        err() << "\r\x1b[K" << Qt::flush;
    return packed;
}

int deploy(const QCommandLineParser &p) {
    const QStringList args = p.positionalArguments();
    if (args.size() != 1)
        return usage(QStringLiteral("'deploy' takes one argument, the folder or archive to "
                                    "deploy. Example: fazt deploy ./public --site blog"));
    auto command = siteCommandFor(p, QStringLiteral("deploy"));
    if (!command)
        return usage(command.error().message);
    const QString &site = command->site;
    ApiClient &api = *command->api;

    const QFileInfo source(args.first());
    if (!source.exists())
        return fail(QStringLiteral("%1 does not exist.").arg(args.first()));
    const bool isFolder = source.isDir();
    if (!isFolder) {
        const QString name = source.fileName().toLower();
        if (std::none_of(archiveSuffixes.begin(), archiveSuffixes.end(),
                         [&](const QString &suffix) { return name.endsWith(suffix); }))
            return fail(QStringLiteral("%1 is neither a folder nor an archive (%2).")
                            .arg(args.first(), archiveSuffixes.join(QStringLiteral(", "))));
        if (p.isSet(includeHiddenOption))
            return usage(QStringLiteral("--include-hidden is for folders: an archive is "
                                        "uploaded as it is."));
    }

    // A token that may not deploy here is refused now, before anything is packed or sent
    // (a server without this check answers the upload itself).
    const QString jobsPath = QStringLiteral("/api/sites/%1/deploy-jobs").arg(site);
    auto allowed = client::waitFor<QJsonObject>(
        [&](auto done) { api.call("GET", jobsPath, QString(), QByteArray(), done); });
    if (!allowed && allowed.error().code != Error::Code::NotFound)
        return fail(allowed.error().message);

    const auto activation =
        p.isSet(noActivateOption) ? client::Activation::Keep : client::Activation::Activate;
    client::DeployOptions options{activation, std::nullopt};
    if (p.isSet(spaOption))
        options.spa = true;
    archive::PackOptions packOptions;
    packOptions.includeHidden = p.isSet(includeHiddenOption);
    packOptions.compression = compressionFor(api.serverUrl());
    qint64 ignored = 0;
    const bool isVerbose = p.isSet(verboseOption);
    packOptions.onIgnored = [&](const QString &path, const QString &rule) {
        ++ignored;
        if (isVerbose)
            err() << "Left out " << path << " (" << rule << ")" << Qt::endl;
    };
    const auto reportIgnored = [&] {
        if (ignored > 0 && !isVerbose)
            err() << "Left out " << ignored
                  << " paths named in .gitignore or .faztignore (--verbose lists them)."
                  << Qt::endl;
    };
    UploadProgress progress;
    // The upload's progress, then the server's side of the deploy.
    const auto onUpload = [&progress](qint64 sent, qint64 total) { progress.update(sent, total); };
    auto onJob = [&progress, isUploading = true](const client::DeployProgress &job) mutable {
        if (std::exchange(isUploading, false)) // the upload is all in
            progress.finish();
        progress.update(job);
    };

    // A folder goes incrementally to a server that knows deploy jobs: only what it lacks.
    std::optional<Result<client::Deploy>> deployed;
    if (isFolder && allowed) {
        FolderDeploy how{options, packOptions,
                         [](const QString &line) { err() << line << Qt::endl; }, onUpload, onJob};
        deployed = deployFolder(api, site, source.absoluteFilePath(), how);
        reportIgnored();
    }

    // Else a folder is packed into a temporary archive, removed whatever happens next.
    QTemporaryDir scratch;
    QString archivePath = source.absoluteFilePath();
    if (isFolder && !deployed) {
        if (!scratch.isValid())
            return fail(
                QStringLiteral("Cannot create a temporary folder: %1").arg(scratch.errorString()));
        archivePath = scratch.filePath(
            site + (packOptions.compression == archive::Compression::None ? QStringLiteral(".tar")
                    : packOptions.compression == archive::Compression::Fast
                        ? QStringLiteral(".tar.gz")
                        : QStringLiteral(".tar.zst")));
        auto packed = pack(source.absoluteFilePath(), archivePath, packOptions);
        if (!packed)
            return fail(packed.error().message);
        reportIgnored();
        if (packed->skipped > 0)
            err() << "Left out " << packed->skipped
                  << " symbolic links or special files: a site is regular files only." << Qt::endl;
    }
    if (!deployed) {
        const qint64 size = QFileInfo(archivePath).size();
        progress.update(0, size);
        deployed = client::waitFor<client::Deploy>([&](auto done) {
            client::ApiCall *call = api.deploy(site, archivePath, options, done);
            QObject::connect(call, &client::ApiCall::uploadProgress, call, onUpload);
            QObject::connect(call, &client::ApiCall::deployProgress, call,
                             [&, size](const client::DeployProgress &job) mutable {
                                 progress.update(size, size);
                                 onJob(job);
                             });
        });
        if (*deployed)
            progress.update(size, size);
    }
    progress.finish();
    if (!*deployed)
        return fail(deployed->error().message);
    const client::Deploy &deploy = **deployed;

    const QString summary =
        QStringLiteral("%1 files, %2").arg(deploy.fileCount).arg(system::humanBytes(deploy.bytes));
    if (activation == client::Activation::Keep) {
        out() << "Uploaded deploy " << deploy.id << " of " << deploy.site << ": " << summary
              << ", not active. Activate it with 'fazt deploys activate " << deploy.id << " --site "
              << deploy.site << "'." << Qt::endl;
        return Ok;
    }
    out() << "Deployed " << deploy.site << ": " << summary << " -> " << deploy.url.toString()
          << Qt::endl;
    return Ok;
}

int deploysList(const QCommandLineParser &p) {
    auto command = siteCommandFor(p, QStringLiteral("deploys list"));
    if (!command)
        return usage(command.error().message);
    const QString &site = command->site;
    ApiClient &api = *command->api;
    if (p.isSet(jsonOption())) {
        auto answer = callApi(api, "GET", sitePath(site, QStringLiteral("deploys")));
        if (!answer)
            return fail(answer.error().message);
        printJson(*answer);
        return Ok;
    }
    auto deploys =
        client::waitFor<QList<client::Deploy>>([&](auto done) { api.deploys(site, done); });
    if (!deploys)
        return fail(deploys.error().message);
    if (deploys->isEmpty()) {
        out() << "Site " << site << " has no deploys yet." << Qt::endl;
        return Ok;
    }
    QList<QStringList> rows{{QStringLiteral("ID"), QStringLiteral("CREATED (UTC)"),
                             QStringLiteral("FILES"), QStringLiteral("SIZE"),
                             QStringLiteral("ACTIVE")}};
    for (const client::Deploy &d : *deploys)
        rows.append({QString::number(d.id),
                     d.createdAt.toUTC().toString(QStringLiteral("yyyy-MM-dd HH:mm:ss")),
                     QString::number(d.fileCount), system::humanBytes(d.bytes),
                     d.isActive ? QStringLiteral("yes") : QString()});
    printTable(rows);
    return Ok;
}

int deploysRollback(const QCommandLineParser &p) {
    auto command = siteCommandFor(p, QStringLiteral("deploys rollback"));
    if (!command)
        return usage(command.error().message);
    const QString &site = command->site;
    ApiClient &api = *command->api;
    auto deploy = client::waitFor<client::Deploy>([&](auto done) { api.rollback(site, done); });
    if (!deploy)
        return fail(deploy.error().message);
    out() << "Rolled " << deploy->site << " back to deploy " << deploy->id << " ("
          << deploy->fileCount << " files, " << system::humanBytes(deploy->bytes) << ") -> "
          << deploy->url.toString() << Qt::endl;
    return Ok;
}

int deploysActivate(const QCommandLineParser &p) {
    const QStringList args = p.positionalArguments();
    bool isNumber = false;
    const qint64 id = args.value(0).toLongLong(&isNumber);
    if (args.size() != 1 || !isNumber || id <= 0)
        return usage(QStringLiteral("'deploys activate' takes one argument, the deploy's id "
                                    "(see 'fazt deploys list --site NAME'). Example: fazt "
                                    "deploys activate 7 --site blog"));
    auto command = siteCommandFor(p, QStringLiteral("deploys activate"));
    if (!command)
        return usage(command.error().message);
    const QString &site = command->site;
    ApiClient &api = *command->api;
    auto deploy = client::waitFor<client::Deploy>([&](auto done) { api.activate(site, id, done); });
    if (!deploy)
        return fail(deploy.error().message);
    out() << "Activated deploy " << deploy->id << " of " << deploy->site << " ("
          << deploy->fileCount << " files, " << system::humanBytes(deploy->bytes) << ") -> "
          << deploy->url.toString() << Qt::endl;
    return Ok;
}

} // namespace

QList<Command> remoteCommands() {
    const auto withSite = [](QCommandLineParser &p) {
        p.addOption(siteOption);
        addConnectionOptions(p);
    };
    return {
        {QStringLiteral("deploy"), QString(),
         QStringLiteral("Upload a folder or an archive to a server as a site's new deploy."),
         QStringLiteral("DIR|ARCHIVE"),
         [](QCommandLineParser &p) {
             p.addOption(siteOption);
             addConnectionOptions(p);
             p.addOption(noActivateOption);
             p.addOption(spaOption);
             p.addOption(includeHiddenOption);
             p.addOption(verboseOption);
             p.addPositionalArgument(QStringLiteral("DIR|ARCHIVE"),
                                     QStringLiteral("A folder (packed for you) or an archive: "
                                                    ".zip, .tar, .tar.gz, .tgz, .tar.zst, "
                                                    ".tar.xz or .tar.bz2."));
         },
         deploy},
        {QStringLiteral("deploys"), QStringLiteral("list"),
         QStringLiteral("List a site's deploys, newest first."), QString(),
         [withSite](QCommandLineParser &p) {
             withSite(p);
             p.addOption(jsonOption());
         },
         deploysList},
        {QStringLiteral("deploys"), QStringLiteral("rollback"),
         QStringLiteral("Serve the deploy before the active one again."), QString(), withSite,
         deploysRollback},
        {QStringLiteral("deploys"), QStringLiteral("activate"),
         QStringLiteral("Serve the given deploy of a site."), QStringLiteral("ID"),
         [withSite](QCommandLineParser &p) {
             withSite(p);
             p.addPositionalArgument(QStringLiteral("ID"),
                                     QStringLiteral("The deploy, from 'fazt deploys list'."));
         },
         deploysActivate},
    };
}

} // namespace fazt::cli
