-- Fazt schema, version 1: configuration and the virtual filesystem.
-- Times are Unix seconds (UTC). Applied in one transaction by Database::migrate().

CREATE TABLE config (
    key        TEXT PRIMARY KEY,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE sites (
    id               INTEGER PRIMARY KEY,
    name             TEXT NOT NULL UNIQUE,
    created_at       INTEGER NOT NULL,
    active_deploy_id INTEGER REFERENCES deploys(id) ON DELETE SET NULL,
    settings         TEXT NOT NULL DEFAULT '{}'
);

-- Custom hostnames; <name>.<base domain> needs no row.
CREATE TABLE domains (
    hostname   TEXT PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX domains_by_site ON domains(site_id);

-- A deploy is 'pending' while its files are written, then 'complete' and immutable.
-- updated_at moves while a pending deploy makes progress, so garbage collection can tell an
-- abandoned one (crashed writer) from a slow one.
CREATE TABLE deploys (
    id         INTEGER PRIMARY KEY,
    site_id    INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    file_count INTEGER NOT NULL DEFAULT 0,
    bytes      INTEGER NOT NULL DEFAULT 0,
    status     TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'complete'))
);
CREATE INDEX deploys_by_site ON deploys(site_id, id);

-- Content-addressed blobs (SHA-256). A blob being written has no hash yet (hash IS NULL) and
-- its chunks hang off its id; finishing it sets the hash, or drops it if that content is
-- already stored. Chunks are keyed by blob id rather than hash because SQLite rewrites a whole
-- row, overflow pages included, when a key column changes.
CREATE TABLE blobs (
    id          INTEGER PRIMARY KEY,
    hash        BLOB UNIQUE,
    size        INTEGER NOT NULL,
    chunk_size  INTEGER NOT NULL,
    created_at  INTEGER NOT NULL,
    touched_at  INTEGER NOT NULL
);

CREATE TABLE blob_chunks (
    blob_id INTEGER NOT NULL REFERENCES blobs(id) ON DELETE CASCADE,
    seq     INTEGER NOT NULL,
    data    BLOB NOT NULL,
    PRIMARY KEY (blob_id, seq)
);

CREATE TABLE files (
    deploy_id INTEGER NOT NULL REFERENCES deploys(id) ON DELETE CASCADE,
    path      TEXT NOT NULL,
    blob_hash BLOB NOT NULL REFERENCES blobs(hash),
    size      INTEGER NOT NULL,
    mime      TEXT NOT NULL,
    PRIMARY KEY (deploy_id, path)
) WITHOUT ROWID;
CREATE INDEX files_by_blob ON files(blob_hash);

-- A complete deploy is immutable.
CREATE TRIGGER files_only_in_pending_deploys BEFORE INSERT ON files
WHEN (SELECT status FROM deploys WHERE id = NEW.deploy_id) <> 'pending'
BEGIN
    SELECT RAISE(ABORT, 'deploy is complete and cannot change');
END;

CREATE TRIGGER active_deploy_is_complete BEFORE UPDATE OF active_deploy_id ON sites
WHEN NEW.active_deploy_id IS NOT NULL
 AND (SELECT status FROM deploys WHERE id = NEW.active_deploy_id AND site_id = NEW.id)
     IS NOT 'complete'
BEGIN
    SELECT RAISE(ABORT, 'only a complete deploy of this site can be active');
END;
