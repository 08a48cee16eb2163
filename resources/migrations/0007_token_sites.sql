-- Fazt schema, version 7: API tokens limited to some sites.
-- sites is a comma-separated list of site names the token may touch; NULL: every site.
ALTER TABLE api_tokens ADD COLUMN sites TEXT;
