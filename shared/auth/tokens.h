#pragma once

#include "result.h"

#include <QByteArray>
#include <QByteArrayView>
#include <QFlags>
#include <QHash>
#include <QSet>
#include <QList>
#include <QPair>
#include <QString>
#include <QStringView>

#include <functional>
#include <mutex>
#include <optional>

namespace fazt::db {
class Database;
class Statement;
} // namespace fazt::db

namespace fazt::auth {

// What an API token may do. Ordered read < deploy < admin: each includes the ones before.
// CreateSites ("create-sites") is a right of its own, outside that order: creating a site
// (POST /api/sites, or a deploy to a name that does not exist yet) needs it or admin.
enum class Scope : quint8 { Read = 1, Deploy = 2, Admin = 4, CreateSites = 8 };
Q_DECLARE_FLAGS(Scopes, Scope)
Q_DECLARE_OPERATORS_FOR_FLAGS(Scopes)

// "read,deploy" -> Read | Deploy. Names are lowercase, separated by commas (spaces around them
// are allowed); an unknown or missing name is an Invalid error that names it.
Result<Scopes> parseScopes(QStringView text);
// Read | Deploy -> "read,deploy" (always in the order read, deploy, create-sites, admin).
QString formatScopes(Scopes scopes);

// "blog, docs" -> {"blog", "docs"}: each a valid site name; an empty text is every site.
Result<QStringList> parseSiteList(QStringView text);

struct TokenInfo {
    qint64 id = 0;
    QString name;
    Scopes scopes;
    QStringList sites;     // the only sites it may touch; empty: every site
    qint64 createdAt = 0;  // Unix seconds
    qint64 lastUsedAt = 0; // Unix seconds; 0 if never used

    bool isLimitedToSites() const { return !sites.isEmpty(); }
    bool mayTouch(const QString &site) const { return sites.isEmpty() || sites.contains(site); }
};

// API tokens ("fazt_" + 43 base64url characters: 256 random bits). Only their SHA-256 is
// stored; every active token's metadata is held in RAM keyed by that hash, so authenticating
// a request hashes once and looks up once. Only a well-formed token that is not in RAM costs
// one indexed lookup in the database (made by another process since load()). Thread-safe.
class TokenStore {
public:
    using Clock = std::function<qint64()>; // Unix seconds

    explicit TokenStore(db::Database &database, Clock clock = {});

    // Reads every token that is not revoked into RAM (done once at start).
    Status load();

    // Makes a token and stores its hash. The plaintext token is in the result and nowhere else:
    // show it once. The name has 1 to 100 characters; at least one scope is needed. With
    // `sites`, the token can touch those sites only (see TokenInfo::sites).
    Result<QPair<QByteArray, TokenInfo>> create(const QString &name, Scopes scopes,
                                                const QStringList &sites = {});

    // The token's metadata if `presentedToken` is an active token. Records the time of use in
    // RAM, and in the database at most once a minute per token (queued, not waited for).
    std::optional<TokenInfo> authenticate(QByteArrayView presentedToken);

    // Marks the token revoked in the database and forgets it; it stops working at once.
    // NotFound if no active token has this id.
    Status revoke(qint64 id);

    // The active tokens, by id.
    QList<TokenInfo> list() const;

    static bool allows(Scopes granted, Scope needed);

    static constexpr qint64 LastUsedWriteInterval = 60; // seconds

private:
    struct Entry {
        TokenInfo info;
        qint64 lastUsedWrittenAt = 0;
    };

    static Result<Entry> entryFrom(db::Statement &row);
    // Reads the active token with this hash into RAM; false if there is none.
    bool loadStored(const QByteArray &hash);

    db::Database &m_database;
    const Clock m_clock;
    mutable std::mutex m_mutex;
    QHash<QByteArray, Entry> m_byHash; // SHA-256 of the token -> entry
    // Ids revoked by this process (or being revoked). A read of the database that began
    // before the revocation was written (loadStored() for a first use, load()) would bring the
    // token back; these ids are never let in again. Ids are never reused, and the set grows
    // only by the revocations of one run.
    QSet<qint64> m_revokedIds;
};

} // namespace fazt::auth
