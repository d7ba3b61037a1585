-- Migration 21: the web board's sign-ins. A one-time link (/web) is stored hashed, used once,
-- and turns into a session (a cookie, also stored hashed); /web logout ends a person's
-- sessions. Nothing here is a secret in clear.

CREATE TABLE web_logins (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);

CREATE TABLE web_sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    ended_at    TEXT
);
CREATE INDEX web_sessions_of_user ON web_sessions(user_id) WHERE ended_at IS NULL;
