-- Analytics. Requests are counted in memory (StatsBuffer) and written here in one transaction
-- per flush: rollups per site/hour, never a row per request. Explicit events (/track,
-- /pixel.gif) are kept raw too, for a retention period. Sites are named, not referenced, so
-- a deleted site's history stays readable. Times are Unix seconds (UTC); `hour` and `day` are
-- the start of their period.

-- Requests per site, hour and path: every request (hits), the pages among them (views: an
-- HTML document answered 200) and the bytes sent.
CREATE TABLE stats_hourly (
    site TEXT NOT NULL,
    hour INTEGER NOT NULL,
    path TEXT NOT NULL,
    hits INTEGER NOT NULL DEFAULT 0,
    views INTEGER NOT NULL DEFAULT 0,
    bytes INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, hour, path)
) WITHOUT ROWID;
CREATE INDEX stats_hourly_hour ON stats_hourly (hour);

-- Counts per site, hour and dimension: kind is 'referrer' (external referring host),
-- 'agent' (browser class), 'status' (HTTP status) or 'event' (event name).
CREATE TABLE stats_dimensions (
    site TEXT NOT NULL,
    hour INTEGER NOT NULL,
    kind TEXT NOT NULL,
    value TEXT NOT NULL,
    count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, hour, kind, value)
) WITHOUT ROWID;
CREATE INDEX stats_dimensions_hour ON stats_dimensions (hour);

-- Unique visitors per site ('' = all sites) and period ('h' hour, 'd' day). A visitor is a
-- hash of the client address and user agent with a salt that changes every day, so the same
-- person cannot be followed from one day to the next and no address is ever stored.
CREATE TABLE stats_uniques (
    site TEXT NOT NULL,
    period TEXT NOT NULL CHECK (period IN ('h', 'd')),
    start INTEGER NOT NULL,
    visitors INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (site, period, start)
) WITHOUT ROWID;

-- The visitor hashes already counted in an open period; only needed until the period is
-- over, so rows older than two days are deleted.
CREATE TABLE stats_visitors (
    site TEXT NOT NULL,
    period TEXT NOT NULL,
    start INTEGER NOT NULL,
    visitor BLOB NOT NULL,
    PRIMARY KEY (site, period, start, visitor)
) WITHOUT ROWID;

-- Raw explicit events, kept for the retention period (config stats.retention_days).
CREATE TABLE stats_events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL, -- milliseconds
    site TEXT NOT NULL,
    path TEXT NOT NULL,
    name TEXT NOT NULL,
    properties TEXT, -- JSON object, or NULL
    referrer TEXT,
    agent TEXT,
    visitor BLOB
);
CREATE INDEX stats_events_at ON stats_events (at);

-- Today's visitor salt (one row). Replaced when the day changes, so yesterday's hashes can no
-- longer be recomputed from an address.
CREATE TABLE stats_salt (
    day INTEGER PRIMARY KEY,
    salt BLOB NOT NULL
);
