-- Migration 4: the outbox knows each message's kind and project (to cancel prompts of someone
-- removed or a project archived) and whether to fall back to the admins when it cannot be
-- delivered; answers remember the Telegram message they came from (edits replace them).

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
