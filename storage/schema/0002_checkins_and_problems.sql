-- Migration 2: schedules, rounds, check-ins and answers, leave, calendar overrides, problems

ALTER TABLE projects ADD COLUMN deadline_default_seconds INTEGER;
CREATE TABLE schedules (
    project_id      INTEGER PRIMARY KEY REFERENCES projects(id),
    kind            TEXT NOT NULL CHECK (kind IN ('daily', 'weekly', 'workdays')),
    at_time         TEXT NOT NULL,
    weekdays        TEXT NOT NULL DEFAULT '',
    timezone        TEXT NOT NULL,
    window_seconds  INTEGER,
    active_since    TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    updated_by      INTEGER
);
CREATE TABLE rounds (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    slot_at     TEXT NOT NULL,
    local_date  TEXT NOT NULL,
    closes_at   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'closed', 'skipped')),
    origin      TEXT NOT NULL CHECK (origin IN ('schedule', 'manual')),
    opened_at   TEXT NOT NULL,
    closed_at   TEXT,
    UNIQUE (project_id, slot_at)
);
CREATE INDEX rounds_open ON rounds(status, closes_at);
CREATE TABLE checkins (
    id              INTEGER PRIMARY KEY,
    round_id        INTEGER NOT NULL REFERENCES rounds(id),
    user_id         INTEGER NOT NULL REFERENCES people(user_id),
    status          TEXT NOT NULL
                    CHECK (status IN ('pending', 'answered', 'on_leave', 'missed', 'removed')),
    outcome         TEXT,
    next_question   INTEGER NOT NULL DEFAULT 1,
    reminders_sent  INTEGER NOT NULL DEFAULT 0,
    answered_at     TEXT,
    UNIQUE (round_id, user_id)
);
CREATE INDEX checkins_user ON checkins(user_id, status);
CREATE TABLE answers (
    id           INTEGER PRIMARY KEY,
    checkin_id   INTEGER NOT NULL REFERENCES checkins(id),
    kind         TEXT NOT NULL
                 CHECK (kind IN ('ok', 'progress', 'leave', 'problem', 'answer', 'skip')),
    question_no  INTEGER,
    text         TEXT,
    at           TEXT NOT NULL
);
CREATE INDEX answers_checkin ON answers(checkin_id, id);
CREATE TABLE questions (
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    position    INTEGER NOT NULL,
    text        TEXT NOT NULL,
    PRIMARY KEY (project_id, position)
);
CREATE TABLE leaves (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES people(user_id),
    from_date   TEXT NOT NULL,
    to_date     TEXT NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX leaves_user ON leaves(user_id, to_date);
CREATE TABLE calendar_days (
    day     TEXT PRIMARY KEY,
    kind    TEXT NOT NULL CHECK (kind IN ('holiday', 'workday')),
    set_at  TEXT NOT NULL,
    set_by  INTEGER
);
CREATE TABLE problems (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects(id),
    reporter_id  INTEGER NOT NULL,
    checkin_id   INTEGER REFERENCES checkins(id),
    text         TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    deadline     TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'open'
                 CHECK (status IN ('open', 'in_progress', 'resolved')),
    assignee     TEXT,
    resolved_at  TEXT,
    resolved_by  INTEGER
);
CREATE INDEX problems_open ON problems(status, deadline);
CREATE INDEX problems_project ON problems(project_id, status);
-- what the bot waits for from a person (a problem's text, a project choice); survives restarts
CREATE TABLE pending_inputs (
    user_id     INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL CHECK (kind IN ('problem', 'choose', 'note')),
    checkin_id  INTEGER,
    project_id  INTEGER,
    problem_id  INTEGER,
    text        TEXT,
    created_at  TEXT NOT NULL
);
