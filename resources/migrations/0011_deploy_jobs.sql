-- Fazt schema, version 11: deploys as jobs a client follows.
-- One row per deploy, from the moment its archive (or its manifest) is received to its end;
-- 'receiving': a deploy from a manifest, waiting for content or its commit. A job whose
-- process ended before it did (a crash, kill -9) is marked 'abandoned' by the next start.
-- idempotency_key: the client's Idempotency-Key header; the same key for the same site names
-- the same job, so an upload sent twice makes one deploy.
CREATE TABLE deploy_jobs (
    id              INTEGER PRIMARY KEY,
    site            TEXT NOT NULL,
    state           TEXT NOT NULL CHECK (state IN ('receiving', 'storing', 'activating',
                                                   'done', 'failed', 'abandoned')),
    deploy_id       INTEGER REFERENCES deploys(id) ON DELETE SET NULL,
    idempotency_key TEXT,
    error_status    INTEGER,
    error_code      TEXT,
    error_message   TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX deploy_jobs_by_key ON deploy_jobs(site, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX deploy_jobs_by_site ON deploy_jobs(site, id);
