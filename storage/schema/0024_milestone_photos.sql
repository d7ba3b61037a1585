-- Migration 24: photos (and files) sent as a milestone's evidence (节点佐证): a fourth owner a
-- file may belong to. SQLite cannot widen a CHECK in place, so the table is rebuilt.

CREATE TABLE attachments_v24 (
    id              INTEGER PRIMARY KEY,
    answer_id       INTEGER REFERENCES answers(id),
    problem_id      INTEGER REFERENCES problems(id),
    contact_id      INTEGER REFERENCES contacts(id),
    milestone_id    INTEGER REFERENCES milestones(id),
    event_id        INTEGER REFERENCES events(id),  -- the note it came with
    user_id         INTEGER NOT NULL,
    kind            TEXT NOT NULL
                    CHECK (kind IN ('photo', 'video', 'document', 'audio', 'voice',
                                    'video_note')),
    file_id         TEXT NOT NULL,
    file_unique_id  TEXT NOT NULL,
    file_name       TEXT,
    media_group_id  TEXT,
    message_id      INTEGER NOT NULL,
    at              TEXT NOT NULL,
    CHECK ((answer_id IS NOT NULL) + (problem_id IS NOT NULL) + (contact_id IS NOT NULL)
           + (milestone_id IS NOT NULL) = 1),
    UNIQUE (user_id, message_id)
);
INSERT INTO attachments_v24 (id, answer_id, problem_id, contact_id, event_id, user_id, kind,
                             file_id, file_unique_id, file_name, media_group_id, message_id, at)
SELECT id, answer_id, problem_id, contact_id, event_id, user_id, kind, file_id, file_unique_id,
       file_name, media_group_id, message_id, at
FROM attachments;
DROP TABLE attachments;
ALTER TABLE attachments_v24 RENAME TO attachments;
CREATE INDEX attachments_answer ON attachments(answer_id);
CREATE INDEX attachments_problem ON attachments(problem_id);
CREATE INDEX attachments_contact ON attachments(contact_id);
CREATE INDEX attachments_milestone ON attachments(milestone_id) WHERE milestone_id IS NOT NULL;
CREATE INDEX attachments_event ON attachments(event_id);
CREATE INDEX attachments_album ON attachments(user_id, media_group_id)
    WHERE media_group_id IS NOT NULL;
