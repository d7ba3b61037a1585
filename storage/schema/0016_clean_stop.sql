-- Migration 16: the bot notes a clean stop, so the next start can leave the integrity check
-- (seconds on a large file) to a background worker; after a crash it runs before the first update.

CREATE TABLE meta (
    key   TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
