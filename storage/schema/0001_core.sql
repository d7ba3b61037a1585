-- Migration 1: projects, people, roles, invites, leadership groups, event log

CREATE TABLE projects (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    timezone    TEXT NOT NULL,
    status      TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at  TEXT NOT NULL,
    created_by  INTEGER
);
CREATE TABLE people (
    user_id       INTEGER PRIMARY KEY,
    display_name  TEXT NOT NULL,
    username      TEXT,
    language      TEXT CHECK (language IN ('zh-CN', 'en')),
    reachable     INTEGER NOT NULL DEFAULT 1,
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
);
CREATE INDEX people_username ON people(lower(username));
CREATE TABLE memberships (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    user_id     INTEGER NOT NULL REFERENCES people(user_id),
    role        TEXT NOT NULL CHECK (role IN ('secretary', 'leader')),
    added_at    TEXT NOT NULL,
    added_by    INTEGER,
    removed_at  TEXT,
    removed_by  INTEGER
);
CREATE UNIQUE INDEX memberships_current
    ON memberships(project_id, user_id, role) WHERE removed_at IS NULL;
CREATE INDEX memberships_user ON memberships(user_id) WHERE removed_at IS NULL;
CREATE TABLE admins (
    user_id   INTEGER PRIMARY KEY,
    added_at  TEXT NOT NULL,
    added_by  INTEGER
);
CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    project_id  INTEGER REFERENCES projects(id),
    role        TEXT NOT NULL CHECK (role IN ('secretary', 'leader', 'admin')),
    created_at  TEXT NOT NULL,
    created_by  INTEGER NOT NULL,
    expires_at  TEXT NOT NULL,
    used_by     INTEGER,
    used_at     TEXT
);
CREATE TABLE group_bindings (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER REFERENCES projects(id),
    chat_id     INTEGER NOT NULL,
    thread_id   INTEGER,
    title       TEXT,
    bound_at    TEXT NOT NULL,
    bound_by    INTEGER NOT NULL
);
-- one binding for the whole bot (project_id NULL) and at most one per project
CREATE UNIQUE INDEX group_bindings_scope ON group_bindings(ifnull(project_id, 0));
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    INTEGER,
    kind        TEXT NOT NULL,
    project_id  INTEGER,
    subject_id  INTEGER,
    detail      TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX events_project ON events(project_id, id);
CREATE TRIGGER events_append_only_update BEFORE UPDATE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_append_only_delete BEFORE DELETE ON events
    BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TABLE start_failures (
    user_id  INTEGER NOT NULL,
    at       TEXT NOT NULL
);
CREATE INDEX start_failures_user ON start_failures(user_id, at);
-- every proactive message: written before it is sent, marked after (exactly once)
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    dedupe_key       TEXT NOT NULL UNIQUE,
    chat_id          INTEGER NOT NULL,
    thread_id        INTEGER,
    user_id          INTEGER,
    text             TEXT NOT NULL,
    buttons          TEXT,
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    created_at       TEXT NOT NULL,
    sent_at          TEXT,
    message_id       INTEGER,
    error            TEXT
);
CREATE INDEX outbox_due ON outbox(next_attempt_at) WHERE status = 'pending';
