-- Migration 3: escalations of the problem ledger; history lookups by subject

CREATE TABLE escalations (
    id          INTEGER PRIMARY KEY,
    problem_id  INTEGER NOT NULL REFERENCES problems(id),
    level       INTEGER NOT NULL CHECK (level IN (1, 2)),
    deadline    TEXT NOT NULL,
    created_at  TEXT NOT NULL,
    UNIQUE (problem_id, level, deadline)
);
CREATE INDEX events_subject ON events(subject_id, kind);
