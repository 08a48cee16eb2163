#include "cli/setup.h"

#include "admin/adminsite.h"
#include "config/config.h"
#include "config/settings.h"
#include "db/database.h"
#include "system/limitstore.h"
#include "vfs/vfs.h"

namespace fazt::cli {

namespace {

struct SystemSite {
    const char *name;
    const char *resource;
};
constexpr SystemSite BuiltInSites[] = {{"root", ":/sites/root"}, {"demo", ":/sites/demo"}};

} // namespace

SystemSites systemSitesFor(const QString &domain) {
    return domain.compare(QLatin1String("localhost"), Qt::CaseInsensitive) == 0
               ? SystemSites::WithDemo
               : SystemSites::LandingOnly;
}

Status validateDomain(const QString &domain) {
    const auto bad = [&] {
        return Error::invalid(QStringLiteral("'%1' is not a valid domain: give a hostname such as "
                                             "example.com or localhost.")
                                  .arg(domain.left(100)));
    };
    if (domain.isEmpty() || domain.size() > 253)
        return bad();
    for (const QString &label : domain.split(u'.')) {
        if (label.isEmpty() || label.size() > 63 || label.startsWith(u'-') || label.endsWith(u'-'))
            return bad();
        for (QChar ch : label) {
            if (!(ch.isLetterOrNumber() && ch.unicode() < 128) && ch != u'-')
                return bad();
        }
    }
    return {};
}

Result<QStringList> initialize(db::Database &database, const QString &domain, SystemSites sites) {
    const QString base = domain.toLower();
    if (Status s = validateDomain(base); !s)
        return s.error();
    QStringList done;
    Config config(database);
    if (Status s = config.load(); !s)
        return s.error();
    if (config.value(QLatin1String(settings::Domain)) != base) {
        if (Status s = config.set(QLatin1String(settings::Domain), base); !s)
            return s.error();
        done.append(QStringLiteral("domain set to %1").arg(base));
    }
    if (!system::LimitStore::load(config)) {
        const system::ProbeResult probe =
            system::Probe(system::Probe::defaultRoot()).run(database.path());
        auto limits = system::LimitStore::calibrate(config, probe);
        if (!limits)
            return limits.error();
        done.append(QStringLiteral("limits stored for %1 of memory and %2 CPUs: %3 file cache, "
                                   "%4 connections (see 'fazt probe')")
                        .arg(QLocale::c().formattedDataSize(probe.resources.memoryBytes))
                        .arg(probe.resources.cpus)
                        .arg(QLocale::c().formattedDataSize(limits->cacheBytes))
                        .arg(limits->maxConnections));
    }
    vfs::Vfs vfs(database);
    const bool isFirstRun = !vfs.site(QStringLiteral("root"));
    for (const SystemSite &system : BuiltInSites) {
        const QString name = QString::fromLatin1(system.name);
        if (vfs.site(name))
            continue;
        if (name == QLatin1String("demo") && sites == SystemSites::LandingOnly) {
            if (isFirstRun)
                done.append(QStringLiteral("no demo site on %1 (add it with --demo)").arg(base));
            continue;
        }
        if (auto created = vfs.createSite(name); !created)
            return created.error();
        auto deployed = vfs.deployDirectory(name, QString::fromLatin1(system.resource));
        if (!deployed)
            return deployed.error();
        done.append(QStringLiteral("site %1 created: %2 files, %3 bytes (deploy %4)")
                        .arg(name)
                        .arg(deployed->fileCount)
                        .arg(deployed->bytes)
                        .arg(deployed->id));
    }
    auto dashboard = admin::AdminSite::install(database, admin::AdminSite::Replace::IfOutdated);
    if (!dashboard)
        return dashboard.error();
    if (!dashboard->isEmpty())
        done.append(*dashboard);
    return done;
}

} // namespace fazt::cli
