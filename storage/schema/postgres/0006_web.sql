-- PostgreSQL migration 6: as SQLite's migration 21: the web board's one-time links and
-- sessions, stored hashed.

CREATE TABLE web_logins (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);

CREATE TABLE web_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     BIGINT NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    ended_at    TEXT
);
CREATE INDEX web_sessions_of_user ON web_sessions(user_id) WHERE ended_at IS NULL;
