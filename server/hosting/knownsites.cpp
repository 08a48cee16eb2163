#include "hosting/knownsites.h"

#include "vfs/vfs.h"

#include <QDateTime>

namespace fazt::hosting {

namespace {

constexpr qint64 UnknownNameRecheckMs = 1000;

} // namespace

KnownSites::KnownSites(vfs::Vfs &vfs)
    : m_vfs(vfs) {}

bool KnownSites::contains(const QString &site) {
    const quint64 generation = m_vfs.generation();
    if (generation != m_generation.load(std::memory_order_acquire))
        reload(generation);
    {
        QReadLocker lock(&m_lock);
        if (m_names.contains(site))
            return true;
    }
    if (QDateTime::currentMSecsSinceEpoch() - m_loadedAtMs.load() < UnknownNameRecheckMs)
        return false;
    reload(generation);
    QReadLocker lock(&m_lock);
    return m_names.contains(site);
}

void KnownSites::reload(quint64 generation) {
    m_loadedAtMs.store(QDateTime::currentMSecsSinceEpoch());
    auto sites = m_vfs.sites();
    if (!sites)
        return; // keep what is held; tried again at the next change or a second later
    QSet<QString> names;
    for (const vfs::SiteInfo &site : *sites)
        names.insert(site.name);
    QWriteLocker lock(&m_lock);
    m_names = std::move(names);
    m_generation.store(generation, std::memory_order_release);
}

} // namespace fazt::hosting
