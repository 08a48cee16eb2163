-- Fazt schema, version 2: administrators and API tokens.
-- Times are Unix seconds (UTC). Both tables are read into RAM at start (auth never waits on
-- the database); these rows are what survives a restart.

-- password_hash is an argon2id encoded string ($argon2id$v=19$m=...,t=...,p=...$salt$hash):
-- it carries its own parameters, so they can be raised later without breaking old rows.
CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    username      TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

-- The token itself is shown once and never stored: token_hash is its SHA-256 (32 bytes), so
-- a copy of the database does not hand out working tokens. scopes is a comma-separated list
-- (read, deploy, admin). A revoked token keeps its row (revoked_at set) for the record.
-- last_used_at is written at most once a minute per token.
CREATE TABLE api_tokens (
    id           INTEGER PRIMARY KEY,
    name         TEXT NOT NULL,
    token_hash   BLOB NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    last_used_at INTEGER,
    revoked_at   INTEGER
);
