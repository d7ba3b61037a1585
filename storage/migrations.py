"""Numbered schema migrations; position N in the list becomes PRAGMA user_version N.

Never edit a released migration: append a new one.
"""

MIGRATIONS: list[str] = [
    # 1: projects, people, roles, invites, leadership groups, event log
    """
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
    """,
    # 2: schedules, rounds, check-ins and answers, leave, calendar overrides, problems
    """
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
    """,
    # 3: escalations of the problem ledger; history lookups by subject
    """
    CREATE TABLE escalations (
        id          INTEGER PRIMARY KEY,
        problem_id  INTEGER NOT NULL REFERENCES problems(id),
        level       INTEGER NOT NULL CHECK (level IN (1, 2)),
        deadline    TEXT NOT NULL,
        created_at  TEXT NOT NULL,
        UNIQUE (problem_id, level, deadline)
    );
    CREATE INDEX events_subject ON events(subject_id, kind);
    """,
    # 4: the outbox knows each message's kind and project (to cancel prompts of someone removed
    #    or a project archived) and whether to fall back to the admins when it cannot be
    #    delivered; answers remember the Telegram message they came from (edits replace them).
    """
    CREATE TABLE outbox_v4 (
        id               INTEGER PRIMARY KEY,
        dedupe_key       TEXT NOT NULL UNIQUE,
        kind             TEXT NOT NULL DEFAULT 'notice',
        project_id       INTEGER,
        chat_id          INTEGER NOT NULL,
        thread_id        INTEGER,
        user_id          INTEGER,
        text             TEXT NOT NULL,
        buttons          TEXT,
        fallback         INTEGER NOT NULL DEFAULT 0,
        status           TEXT NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'sent', 'failed', 'cancelled')),
        attempts         INTEGER NOT NULL DEFAULT 0,
        next_attempt_at  TEXT NOT NULL,
        created_at       TEXT NOT NULL,
        sent_at          TEXT,
        message_id       INTEGER,
        error            TEXT
    );
    INSERT INTO outbox_v4 (id, dedupe_key, kind, chat_id, thread_id, user_id, text, buttons,
                           fallback, status, attempts, next_attempt_at, created_at, sent_at,
                           message_id, error)
    SELECT id, dedupe_key,
           CASE WHEN dedupe_key LIKE 'prompt:%' THEN 'prompt'
                WHEN dedupe_key LIKE 'remind:%' THEN 'reminder'
                WHEN dedupe_key LIKE 'esc:%' THEN 'escalation'
                ELSE 'notice' END,
           chat_id, thread_id, user_id, text, buttons,
           CASE WHEN dedupe_key LIKE 'esc:%' THEN 1 ELSE 0 END,
           status, attempts, next_attempt_at, created_at, sent_at, message_id, error
    FROM outbox;
    DROP TABLE outbox;
    ALTER TABLE outbox_v4 RENAME TO outbox;
    CREATE INDEX outbox_due ON outbox(next_attempt_at, id) WHERE status = 'pending';
    CREATE INDEX outbox_project ON outbox(project_id) WHERE status = 'pending';
    ALTER TABLE answers ADD COLUMN message_id INTEGER;
    CREATE INDEX answers_message ON answers(message_id) WHERE message_id IS NOT NULL;
    """,
    # 5: what the hot queries filter on. A schedule remembers its next slot (the tick reads only
    #    the schedules that are due); finished outbox rows can be pruned by age.
    """
    -- '' (sorts before every time) means not worked out yet: due at once.
    ALTER TABLE schedules ADD COLUMN next_due TEXT NOT NULL DEFAULT '';
    CREATE INDEX schedules_next_due ON schedules(next_due);
    CREATE INDEX rounds_scheduled ON rounds(project_id, origin, slot_at);
    CREATE INDEX outbox_done ON outbox(created_at) WHERE status != 'pending';
    CREATE INDEX memberships_project ON memberships(project_id, role) WHERE removed_at IS NULL;
    CREATE INDEX problems_checkin ON problems(checkin_id) WHERE checkin_id IS NOT NULL;
    CREATE INDEX pending_checkin ON pending_inputs(checkin_id) WHERE checkin_id IS NOT NULL;
    CREATE INDEX escalations_level ON escalations(level, created_at);
    CREATE INDEX start_failures_at ON start_failures(at);
    """,
    # 6: photos and files (by Telegram file id, never the bytes) on answers, problems and notes;
    #    problems carry the coordination needed and a proposed solution, count their
    #    extensions and may await the confirmation of their crossing-off (a table rebuild,
    #    since SQLite cannot change a CHECK); a wait may carry files and details.
    """
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
    """,
    # 7: the language of a group chat, set by an admin there (/language), for everything the
    #    bot posts in it.
    """
    CREATE TABLE chat_languages (
        chat_id   INTEGER PRIMARY KEY,
        language  TEXT NOT NULL,
        set_at    TEXT NOT NULL,
        set_by    INTEGER NOT NULL
    );
    """,
    # 8: leaders' weekly contact with the enterprise (首席负责人每周与企业对接): schedules and
    #    rounds gain an audience (secretaries or leaders; table rebuilds, since the keys
    #    change), contacts are recorded with how and when, and may carry photos.
    """
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
    """,
    # 9: round summaries for leaders: where a project's go, and which rounds have had theirs
    #    (rounds closed before this migration count as summarized, so an upgrade sends no
    #    backlog).
    """
    ALTER TABLE projects ADD COLUMN summary_to TEXT NOT NULL DEFAULT 'leaders'
        CHECK (summary_to IN ('leaders', 'group', 'both', 'off'));
    ALTER TABLE rounds ADD COLUMN summarized_at TEXT;
    UPDATE rounds SET summarized_at = coalesce(closed_at, opened_at) WHERE status != 'open';
    CREATE INDEX rounds_unsummarized ON rounds(id)
        WHERE summarized_at IS NULL AND status = 'closed';
    """,
    # 10: the weekly dispatch digest (每周调度), once per period, and its notice (通报), kept as a
    #     draft until an admin publishes or discards it; what publishing posts is fixed when
    #     the draft is made.
    """
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
    """,
    # 11: a project may have its own weekly digest slot ('fri 17:00') or none ('off'); NULL
    #     follows DIGEST_SCHEDULE.
    """
    ALTER TABLE projects ADD COLUMN digest TEXT;
    """,
    # 12: people forgotten on request (/forget): their name stays replaced, whatever Telegram
    #     says their name is later.
    """
    ALTER TABLE people ADD COLUMN forgotten_at TEXT;
    """,
    # 13: the bot's own membership of group chats (my_chat_member): while it is out of a group
    #     or may not post there, that group's messages go to the admins.
    """
    CREATE TABLE bot_chats (
        chat_id     INTEGER PRIMARY KEY,
        status      TEXT NOT NULL CHECK (status IN ('member', 'gone', 'muted')),
        title       TEXT,
        changed_at  TEXT NOT NULL
    );
    """,
]
