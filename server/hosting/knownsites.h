#pragma once

#include <QReadWriteLock>
#include <QSet>
#include <QString>

#include <atomic>

namespace fazt::vfs {
class Vfs;
}

namespace fazt::hosting {

// The names of the sites that exist, held in RAM, so that a request for a made-up
// <name>.<domain> costs no query: only hosts that map to a real site are counted in the
// analytics. Reread when the Vfs reports a change to a site (Vfs::generation()), and at most
// once a second when asked about a name it does not hold (a site created by another process
// on the same database). Thread-safe.
class KnownSites {
public:
    explicit KnownSites(vfs::Vfs &vfs);

    bool contains(const QString &site);

private:
    void reload(quint64 generation);

    vfs::Vfs &m_vfs;
    QReadWriteLock m_lock;
    QSet<QString> m_names;
    std::atomic<quint64> m_generation{~quint64(0)}; // of the names held; ~0: none yet
    std::atomic<qint64> m_loadedAtMs{0};
};

} // namespace fazt::hosting
