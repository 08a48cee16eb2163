#include "auth/tokens.h"

#include "auth/securerandom.h"
#include "crypto/sha256.h"
#include "db/database.h"
#include "vfs/vfs.h"

#include <QDateTime>

#include <algorithm>

namespace fazt::auth {

namespace {

constexpr QByteArrayView TokenPrefix("fazt_");
constexpr qsizetype TokenLength = 5 + 43; // prefix + 32 bytes in base64url

struct ScopeName {
    Scope scope;
    QStringView name;
};
constexpr ScopeName ScopeNames[] = {
    {Scope::Read, u"read"},
    {Scope::Deploy, u"deploy"},
    {Scope::CreateSites, u"create-sites"},
    {Scope::Admin, u"admin"},
};

Status validateTokenName(const QString &name) {
    if (name.trimmed().isEmpty() || name.size() > 100)
        return Error::invalid(
            QStringLiteral("A token name must have 1 to 100 characters, not only spaces."));
    return {};
}

} // namespace

Result<Scopes> parseScopes(QStringView text) {
    Scopes scopes;
    for (const QStringView part : text.split(u',')) {
        const QStringView name = part.trimmed();
        const auto known = std::find_if(std::begin(ScopeNames), std::end(ScopeNames),
                                        [name](const ScopeName &s) { return s.name == name; });
        if (known == std::end(ScopeNames)) {
            if (name.isEmpty())
                return Error::invalid(
                    QStringLiteral("Missing scope in '%1': give a "
                                   "comma-separated list of read, deploy, create-sites, admin.")
                        .arg(text));
            return Error::invalid(
                QStringLiteral("Unknown scope '%1': the scopes are read, deploy, create-sites "
                               "and admin.")
                    .arg(name));
        }
        scopes |= known->scope;
    }
    return scopes;
}

Result<QStringList> parseSiteList(QStringView text) {
    QStringList sites;
    if (text.trimmed().isEmpty())
        return sites;
    for (const QStringView part : text.split(u',')) {
        const QString site = part.trimmed().toString();
        if (Status s = vfs::Vfs::validateSiteName(site); !s)
            return Error::invalid(s.error().message +
                                  QStringLiteral(" Give the sites as a comma-separated list, like "
                                                 "blog,docs."));
        if (!sites.contains(site))
            sites.append(site);
    }
    return sites;
}

QString formatScopes(Scopes scopes) {
    QStringList names;
    for (const ScopeName &s : ScopeNames) {
        if (scopes.testFlag(s.scope))
            names.append(s.name.toString());
    }
    return names.join(u',');
}

// Scopes are ordered, read < deploy < admin: each includes the ones before it (a deploy
// token can list the sites and deploys it works on).
bool TokenStore::allows(Scopes granted, Scope needed) {
    if (granted.testFlag(Scope::Admin))
        return true;
    if (granted.testFlag(Scope::Deploy) && needed == Scope::Read)
        return true;
    return granted.testFlag(needed);
}

TokenStore::TokenStore(db::Database &database, Clock clock)
    : m_database(database)
    , m_clock(clock ? std::move(clock) : Clock(&QDateTime::currentSecsSinceEpoch)) {}

namespace {

constexpr const char *ActiveTokens =
    "SELECT id, name, token_hash, scopes, created_at, last_used_at, sites FROM api_tokens "
    "WHERE revoked_at IS NULL";

} // namespace

// One row of `ActiveTokens`.
Result<TokenStore::Entry> TokenStore::entryFrom(db::Statement &row) {
    Entry entry;
    entry.info.id = row.int64(0);
    entry.info.name = row.text(1);
    const Result<Scopes> scopes = parseScopes(row.text(3));
    if (!scopes)
        return Error::internal(QStringLiteral("API token %1 has unreadable scopes: %2")
                                   .arg(entry.info.id)
                                   .arg(scopes.error().message));
    entry.info.scopes = *scopes;
    const Result<QStringList> sites = parseSiteList(row.text(6));
    if (!sites)
        return Error::internal(QStringLiteral("API token %1 has an unreadable site list: %2")
                                   .arg(entry.info.id)
                                   .arg(sites.error().message));
    entry.info.sites = *sites;
    entry.info.createdAt = row.int64(4);
    entry.info.lastUsedAt = row.isNull(5) ? 0 : row.int64(5);
    entry.lastUsedWrittenAt = entry.info.lastUsedAt;
    return entry;
}

Status TokenStore::load() {
    auto stmt = m_database.reader().prepare(ActiveTokens);
    if (!stmt)
        return stmt.error();
    QHash<QByteArray, Entry> byHash;
    while (stmt->next()) {
        auto entry = entryFrom(*stmt);
        if (!entry)
            return entry.error();
        byHash.insert(stmt->blob(2), *entry);
    }
    if (stmt->error())
        return *stmt->error();
    std::lock_guard lock(m_mutex);
    for (auto it = byHash.begin(); it != byHash.end();)
        it = m_revokedIds.contains(it->info.id) ? byHash.erase(it) : std::next(it);
    m_byHash = std::move(byHash);
    return {};
}

bool TokenStore::loadStored(const QByteArray &hash) {
    static const std::string oneByHash = std::string(ActiveTokens) + " AND token_hash = ?";
    auto stmt = m_database.reader().prepare(oneByHash);
    if (!stmt)
        return false;
    stmt->bindBlob(1, hash);
    if (!stmt->next())
        return false;
    auto entry = entryFrom(*stmt);
    if (!entry)
        return false;
    std::lock_guard lock(m_mutex);
    if (m_revokedIds.contains(entry->info.id))
        return false; // read before its revocation was written
    m_byHash.insert(hash, *entry);
    return true;
}

Result<QPair<QByteArray, TokenInfo>> TokenStore::create(const QString &name, Scopes scopes,
                                                        const QStringList &sites) {
    if (Status s = validateTokenName(name); !s)
        return s.error();
    if (!scopes)
        return Error::invalid(
            QStringLiteral("A token needs at least one scope: read, deploy, create-sites or "
                           "admin."));
    for (const QString &site : sites)
        if (Status s = vfs::Vfs::validateSiteName(site); !s)
            return s.error();
    const QByteArray token = QByteArray(TokenPrefix.toByteArray() + secureRandomToken());
    const QByteArray hash = crypto::Sha256::hash(token);
    TokenInfo info;
    info.name = name;
    info.scopes = scopes;
    info.sites = sites;
    info.createdAt = m_clock();
    const Result<qint64> id = m_database.writer().run(
        [hash, info, scopeText = formatScopes(scopes)](db::Connection &c) -> Result<qint64> {
            auto stmt = c.prepare("INSERT INTO api_tokens(name, token_hash, scopes, created_at, "
                                  "sites) VALUES (?, ?, ?, ?, ?)");
            if (!stmt)
                return stmt.error();
            stmt->bind(1, info.name).bindBlob(2, hash).bind(3, scopeText).bind(4, info.createdAt);
            if (info.isLimitedToSites())
                stmt->bind(5, info.sites.join(u','));
            if (Status s = stmt->exec(); !s)
                return s.error();
            return c.lastInsertRowId();
        });
    if (!id)
        return id.error();
    info.id = *id;
    {
        std::lock_guard lock(m_mutex);
        m_byHash.insert(hash, Entry{info, 0});
    }
    return qMakePair(token, info);
}

std::optional<TokenInfo> TokenStore::authenticate(QByteArrayView presentedToken) {
    // Anything that is not shaped like one of our tokens costs no hash.
    if (presentedToken.size() != TokenLength || !presentedToken.startsWith(TokenPrefix) ||
        !isBase64Url(presentedToken.sliced(TokenPrefix.size())))
        return std::nullopt;
    const QByteArray hash = crypto::Sha256::hash(presentedToken);
    bool isKnown = false;
    {
        std::lock_guard lock(m_mutex);
        isKnown = m_byHash.contains(hash);
    }
    // A token made by another process (`fazt server create-token` on the same file) works at
    // its first use: one lookup by the unique hash, and it is in RAM from then on.
    if (!isKnown && !loadStored(hash))
        return std::nullopt;
    const qint64 now = m_clock();
    TokenInfo info;
    bool isWriteDue = false;
    {
        std::lock_guard lock(m_mutex);
        const auto it = m_byHash.find(hash);
        if (it == m_byHash.end())
            return std::nullopt;
        it->info.lastUsedAt = std::max(it->info.lastUsedAt, now);
        if (now - it->lastUsedWrittenAt >= LastUsedWriteInterval) {
            it->lastUsedWrittenAt = now;
            isWriteDue = true;
        }
        info = it->info;
    }
    if (isWriteDue) {
        // Fire and forget: a lost update (queue full) only makes last_used_at a minute older.
        m_database.writer().submit([id = info.id, now](db::Connection &c) -> Status {
            auto stmt = c.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?");
            if (!stmt)
                return stmt.error();
            return stmt->bindAll(now, id).exec();
        });
    }
    return info;
}

Status TokenStore::revoke(qint64 id) {
    // Forget it first, so it stops working before the write, and keep it out of reads of the
    // database that race with the write; put it back if the write fails.
    std::optional<QPair<QByteArray, Entry>> removed;
    {
        std::lock_guard lock(m_mutex);
        m_revokedIds.insert(id);
        for (auto it = m_byHash.begin(); it != m_byHash.end(); ++it) {
            if (it->info.id == id) {
                removed.emplace(it.key(), *it);
                m_byHash.erase(it);
                break;
            }
        }
    }
    const Result<int> changed =
        m_database.writer().run([id, now = m_clock()](db::Connection &c) -> Result<int> {
            auto stmt = c.prepare(
                "UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL");
            if (!stmt)
                return stmt.error();
            if (Status s = stmt->bindAll(now, id).exec(); !s)
                return s.error();
            return c.changes();
        });
    if (!changed) {
        std::lock_guard lock(m_mutex);
        m_revokedIds.remove(id);
        if (removed)
            m_byHash.insert(removed->first, removed->second);
        return changed.error();
    }
    if (*changed == 0)
        return Error::notFound(QStringLiteral("There is no active API token with id %1.").arg(id));
    return {};
}

QList<TokenInfo> TokenStore::list() const {
    QList<TokenInfo> tokens;
    {
        std::lock_guard lock(m_mutex);
        tokens.reserve(m_byHash.size());
        for (const Entry &entry : m_byHash)
            tokens.append(entry.info);
    }
    std::sort(tokens.begin(), tokens.end(),
              [](const TokenInfo &a, const TokenInfo &b) { return a.id < b.id; });
    return tokens;
}

} // namespace fazt::auth
