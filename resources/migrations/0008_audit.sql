-- Fazt schema, version 8: the audit log, one row per admin action (who did what, when, to
-- which site, from where). Rows older than config audit.retention_days (default 90) are pruned.
CREATE TABLE audit_log (
    id       INTEGER PRIMARY KEY,
    at       INTEGER NOT NULL,             -- Unix milliseconds (UTC)
    actor    TEXT NOT NULL,                -- "token laptop", "password login", "system", ...
    token_id INTEGER,                      -- the API token that acted, if one did
    client   TEXT NOT NULL DEFAULT '',     -- the client's address ('' for the server itself)
    action   TEXT NOT NULL,                -- "login", "login.failed", "deploy", "token.create", ...
    site     TEXT NOT NULL DEFAULT '',     -- the site it concerns, if one
    target   TEXT NOT NULL DEFAULT '',     -- what else it names: a deploy id, a token, a hostname
    status   INTEGER NOT NULL DEFAULT 0,   -- the HTTP status the call got (0: not an API call)
    detail   TEXT NOT NULL DEFAULT ''      -- a short description (JSON of the settings changed, ...)
);
CREATE INDEX audit_log_at ON audit_log(at);
CREATE INDEX audit_log_site ON audit_log(site, id);
