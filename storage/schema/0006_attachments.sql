-- Migration 6: photos and files (by Telegram file id, never the bytes) on answers, problems and
-- notes; problems carry the coordination needed and a proposed solution, count their extensions
-- and may await the confirmation of their crossing-off (a table rebuild, since SQLite cannot
-- change a CHECK); a wait may carry files and details.

CREATE TABLE problems_v6 (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects(id),
    reporter_id   INTEGER NOT NULL,
    checkin_id    INTEGER REFERENCES checkins(id),
    text          TEXT NOT NULL,
    coordination  TEXT,
    proposal      TEXT,
    created_at    TEXT NOT NULL,
    deadline      TEXT NOT NULL,
    status        TEXT NOT NULL DEFAULT 'open'
                  CHECK (status IN ('open', 'in_progress', 'awaiting', 'resolved')),
    assignee      TEXT,
    extensions    INTEGER NOT NULL DEFAULT 0,
    claimed_by    INTEGER,
    claimed_at    TEXT,
    resolved_at   TEXT,
    resolved_by   INTEGER
);
INSERT INTO problems_v6 (id, project_id, reporter_id, checkin_id, text, created_at, deadline,
                         status, assignee, extensions, resolved_at, resolved_by)
SELECT id, project_id, reporter_id, checkin_id, text, created_at, deadline, status, assignee,
       (SELECT count(*) FROM events e
        WHERE e.subject_id = problems.id AND e.kind = 'problem.extended'),
       resolved_at, resolved_by
FROM problems;
DROP TABLE problems;
ALTER TABLE problems_v6 RENAME TO problems;
CREATE INDEX problems_open ON problems(status, deadline);
CREATE INDEX problems_project ON problems(project_id, status);
CREATE INDEX problems_checkin ON problems(checkin_id) WHERE checkin_id IS NOT NULL;

CREATE TABLE pending_v6 (
    user_id     INTEGER PRIMARY KEY,
    kind        TEXT NOT NULL,
    checkin_id  INTEGER,
    project_id  INTEGER,
    problem_id  INTEGER,
    text        TEXT,
    detail      TEXT NOT NULL DEFAULT '{}',
    created_at  TEXT NOT NULL
);
INSERT INTO pending_v6 (user_id, kind, checkin_id, project_id, problem_id, text, created_at)
SELECT user_id, kind, checkin_id, project_id, problem_id, text, created_at
FROM pending_inputs;
DROP TABLE pending_inputs;
ALTER TABLE pending_v6 RENAME TO pending_inputs;
CREATE INDEX pending_checkin ON pending_inputs(checkin_id) WHERE checkin_id IS NOT NULL;

CREATE TABLE attachments (
    id              INTEGER PRIMARY KEY,
    answer_id       INTEGER REFERENCES answers(id),
    problem_id      INTEGER REFERENCES problems(id),
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
    CHECK ((answer_id IS NULL) != (problem_id IS NULL)),
    -- a message delivered twice attaches once
    UNIQUE (user_id, message_id)
);
-- whole-column indexes: SQLite's foreign-key checks (on inserts into answers, problems and
-- events) cannot use partial ones
CREATE INDEX attachments_answer ON attachments(answer_id);
CREATE INDEX attachments_problem ON attachments(problem_id);
CREATE INDEX attachments_event ON attachments(event_id);
CREATE INDEX attachments_album ON attachments(user_id, media_group_id)
    WHERE media_group_id IS NOT NULL;
