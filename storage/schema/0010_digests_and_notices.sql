-- Migration 10: the weekly dispatch digest (每周调度), once per period, and its notice (通报), kept
-- as a draft until an admin publishes or discards it; what publishing posts is fixed when the
-- draft is made.

CREATE TABLE digests (
    period   TEXT PRIMARY KEY,  -- ISO week, e.g. 2026-W47
    sent_at  TEXT NOT NULL
);
CREATE TABLE notices (
    id          INTEGER PRIMARY KEY,
    period      TEXT NOT NULL UNIQUE,
    status      TEXT NOT NULL CHECK (status IN ('draft', 'published', 'discarded')),
    payload     TEXT NOT NULL,  -- the messages publishing posts (JSON)
    created_at  TEXT NOT NULL,
    decided_by  INTEGER,
    decided_at  TEXT
);
