-- Migration 8: leaders' weekly contact with the enterprise (首席负责人每周与企业对接): schedules and rounds
-- gain an audience (secretaries or leaders; table rebuilds, since the keys change), contacts
-- are recorded with how and when, and may carry photos.

CREATE TABLE schedules_v8 (
    project_id      INTEGER NOT NULL REFERENCES projects(id),
    audience        TEXT NOT NULL DEFAULT 'secretary'
                    CHECK (audience IN ('secretary', 'leader')),
    kind            TEXT NOT NULL CHECK (kind IN ('daily', 'weekly', 'workdays')),
    at_time         TEXT NOT NULL,
    weekdays        TEXT NOT NULL DEFAULT '',
    timezone        TEXT NOT NULL,
    window_seconds  INTEGER,
    active_since    TEXT NOT NULL,
    updated_at      TEXT NOT NULL,
    updated_by      INTEGER,
    next_due        TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (project_id, audience)
);
INSERT INTO schedules_v8 (project_id, kind, at_time, weekdays, timezone, window_seconds,
                          active_since, updated_at, updated_by, next_due)
SELECT project_id, kind, at_time, weekdays, timezone, window_seconds, active_since,
       updated_at, updated_by, next_due
FROM schedules;
DROP TABLE schedules;
ALTER TABLE schedules_v8 RENAME TO schedules;
CREATE INDEX schedules_next_due ON schedules(next_due);

CREATE TABLE rounds_v8 (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    audience    TEXT NOT NULL DEFAULT 'secretary'
                CHECK (audience IN ('secretary', 'leader')),
    slot_at     TEXT NOT NULL,
    local_date  TEXT NOT NULL,
    closes_at   TEXT NOT NULL,
    status      TEXT NOT NULL CHECK (status IN ('open', 'closed', 'skipped')),
    origin      TEXT NOT NULL CHECK (origin IN ('schedule', 'manual')),
    opened_at   TEXT NOT NULL,
    closed_at   TEXT,
    UNIQUE (project_id, audience, slot_at)
);
INSERT INTO rounds_v8 (id, project_id, slot_at, local_date, closes_at, status, origin,
                       opened_at, closed_at)
SELECT id, project_id, slot_at, local_date, closes_at, status, origin, opened_at, closed_at
FROM rounds;
DROP TABLE rounds;
ALTER TABLE rounds_v8 RENAME TO rounds;
CREATE INDEX rounds_open ON rounds(status, closes_at);
CREATE INDEX rounds_scheduled ON rounds(project_id, origin, slot_at);

CREATE TABLE contacts (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    leader_id   INTEGER NOT NULL,
    checkin_id  INTEGER REFERENCES checkins(id),  -- the weekly prompt it answers, if any
    how         TEXT NOT NULL CHECK (how IN ('visit', 'meeting', 'call')),
    held_on     TEXT NOT NULL,  -- the local date of the contact
    text        TEXT NOT NULL,
    message_id  INTEGER,
    at          TEXT NOT NULL,
    -- a message delivered twice records one contact
    UNIQUE (leader_id, message_id)
);
CREATE INDEX contacts_project ON contacts(project_id, held_on);
CREATE INDEX contacts_checkin ON contacts(checkin_id);

CREATE TABLE attachments_v8 (
    id              INTEGER PRIMARY KEY,
    answer_id       INTEGER REFERENCES answers(id),
    problem_id      INTEGER REFERENCES problems(id),
    contact_id      INTEGER REFERENCES contacts(id),
    event_id        INTEGER REFERENCES events(id),  -- the note it came with
    user_id         INTEGER NOT NULL,
    kind            TEXT NOT NULL
                    CHECK (kind IN ('photo', 'video', 'document', 'audio', 'voice')),
    file_id         TEXT NOT NULL,
    file_unique_id  TEXT NOT NULL,
    file_name       TEXT,
    media_group_id  TEXT,
    message_id      INTEGER NOT NULL,
    at              TEXT NOT NULL,
    CHECK ((answer_id IS NOT NULL) + (problem_id IS NOT NULL) + (contact_id IS NOT NULL)
           = 1),
    UNIQUE (user_id, message_id)
);
INSERT INTO attachments_v8 (id, answer_id, problem_id, event_id, user_id, kind, file_id,
                            file_unique_id, file_name, media_group_id, message_id, at)
SELECT id, answer_id, problem_id, event_id, user_id, kind, file_id, file_unique_id,
       file_name, media_group_id, message_id, at
FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_v8 RENAME TO attachments;
CREATE INDEX attachments_answer ON attachments(answer_id);
CREATE INDEX attachments_problem ON attachments(problem_id);
CREATE INDEX attachments_contact ON attachments(contact_id);
CREATE INDEX attachments_event ON attachments(event_id);
CREATE INDEX attachments_album ON attachments(user_id, media_group_id)
    WHERE media_group_id IS NOT NULL;
