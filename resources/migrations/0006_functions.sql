-- Serverless functions: per-site key-value store, environment variables, egress allowlist
-- and the function log. Everything belongs to a site and goes with it.

CREATE TABLE function_kv (
    site_id    INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,              -- JSON text
    expires_at INTEGER,                    -- Unix seconds; NULL: never
    PRIMARY KEY (site_id, key)
) WITHOUT ROWID;

CREATE TABLE function_env (
    site_id   INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    name      TEXT NOT NULL,
    value     TEXT NOT NULL,
    is_secret INTEGER NOT NULL DEFAULT 0,  -- the admin API shows secrets masked
    PRIMARY KEY (site_id, name)
) WITHOUT ROWID;

CREATE TABLE function_egress (
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    host    TEXT NOT NULL,                 -- "api.example.com" or "127.0.0.1:8080"
    PRIMARY KEY (site_id, host)
) WITHOUT ROWID;

CREATE TABLE function_logs (
    id      INTEGER PRIMARY KEY,
    site_id INTEGER NOT NULL REFERENCES sites(id) ON DELETE CASCADE,
    at      INTEGER NOT NULL,              -- Unix milliseconds
    level   TEXT NOT NULL,                 -- "info" or "error"
    message TEXT NOT NULL
);
CREATE INDEX function_logs_by_site ON function_logs(site_id, id);
