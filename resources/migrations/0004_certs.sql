-- Fazt schema, version 4: TLS certificates and the locks that keep two processes on one
-- database (a restart overlapping the old process) from ordering the same certificate twice.
-- Times are Unix seconds (UTC).

-- The ACME storage contract: a key/value store of PEM documents and JSON metadata
-- ("certs/<name>/chain.pem", "certs/<name>/key.pem", "acme/<ca>/account.json", ...).
-- Private keys live only here and in memory, never in files.
CREATE TABLE certificates (
    key        TEXT PRIMARY KEY,
    value      BLOB NOT NULL,
    updated_at INTEGER NOT NULL
) WITHOUT ROWID;

-- A lock is held by `owner` until `expires_at`; an expired lock may be taken by anyone, so a
-- crashed holder never blocks issuance for longer than its lease.
CREATE TABLE locks (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
) WITHOUT ROWID;
