#include "hosting/hostrouter.h"

#include "db/database.h"

namespace fazt::hosting {

namespace {

QByteArray adminHostUnder(const QString &domain) {
    return domain.isEmpty() ? QByteArray() : "admin." + domain.toLatin1();
}

} // namespace

HostRouter::HostRouter(QString baseDomain)
    : m_domain(std::move(baseDomain).toLower())
    , m_adminHost(adminHostUnder(m_domain)) {}

bool HostRouter::isAdminHost(QByteArrayView host) const {
    host = host.trimmed();
    if (const qsizetype colon = host.indexOf(':'); colon >= 0)
        host = host.first(colon); // an IPv6 literal is never the admin: it becomes "["
    if (host.endsWith('.'))
        host.chop(1);
    const auto isNamed = [host](QByteArrayView name) {
        return !name.isEmpty() && host.compare(name, Qt::CaseInsensitive) == 0;
    };
    QReadLocker lock(&m_lock);
    return m_fixedSite.isEmpty() && (isNamed(m_adminHost) || isNamed("admin.localhost"));
}

void HostRouter::setFixedSite(const QString &site) {
    QWriteLocker lock(&m_lock);
    m_fixedSite = site;
}

Status HostRouter::reloadDomains(db::Database &database) {
    auto stmt = database.reader().prepare(
        "SELECT d.hostname, s.name FROM domains d JOIN sites s ON s.id = d.site_id");
    if (!stmt)
        return stmt.error();
    QHash<QString, QString> domains;
    while (stmt->next())
        domains.insert(stmt->text(0).toLower(), stmt->text(1));
    if (stmt->error())
        return *stmt->error();
    QWriteLocker lock(&m_lock);
    m_customDomains = std::move(domains);
    return {};
}

QString HostRouter::normalizeHost(QByteArrayView host) {
    host = host.trimmed();
    if (host.startsWith('[')) { // IPv6 literal
        const qsizetype end = host.indexOf(']');
        return end < 0 ? QString() : QString::fromLatin1(host.first(end + 1)).toLower();
    }
    if (const qsizetype colon = host.indexOf(':'); colon >= 0)
        host = host.first(colon);
    if (host.endsWith('.'))
        host.chop(1);
    for (char c : host) {
        const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                        c == '-' || c == '.' || c == '_';
        if (!ok)
            return {};
    }
    return QString::fromLatin1(host).toLower();
}

HostRouter::Route HostRouter::routeUnder(const QString &host, const QString &domain) const {
    using Kind = Route::Kind;
    if (host == domain)
        return {Kind::Site, QStringLiteral("root")};
    if (domain.isEmpty() || !host.endsWith(domain) || host.size() <= domain.size() + 1 ||
        host.at(host.size() - domain.size() - 1) != u'.')
        return {};
    const QString label = host.left(host.size() - domain.size() - 1);
    if (label.contains(u'.'))
        return {}; // a.b.<domain>: sites are one label deep
    if (label == QLatin1String("admin"))
        return {Kind::Admin, {}};
    return {Kind::Site, label};
}

HostRouter::Route HostRouter::route(QByteArrayView hostHeader) const {
    const QString host = normalizeHost(hostHeader);
    if (host.isEmpty())
        return {};
    QReadLocker lock(&m_lock);
    if (!m_fixedSite.isEmpty())
        return {Route::Kind::Site, m_fixedSite};
    if (Route r = routeUnder(host, m_domain); r.kind != Route::Kind::Unknown)
        return r;
    if (Route r = routeUnder(host, QStringLiteral("localhost")); r.kind != Route::Kind::Unknown)
        return r;
    if (auto it = m_customDomains.constFind(host); it != m_customDomains.constEnd())
        return {Route::Kind::Site, *it};
    return {};
}

} // namespace fazt::hosting
