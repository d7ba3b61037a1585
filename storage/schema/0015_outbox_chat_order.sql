-- Migration 15: messages to one chat leave in the order they were queued, also across retries.
-- A retry moves next_attempt_at; queued_for keeps the message's place in its chat's queue (the
-- time it was first meant to go: when queued, or when quiet hours end).

ALTER TABLE outbox ADD COLUMN queued_for TEXT NOT NULL DEFAULT '';
UPDATE outbox SET queued_for = CASE WHEN attempts = 0 THEN next_attempt_at ELSE created_at END;
CREATE INDEX outbox_chat_queue ON outbox(chat_id, queued_for, id) WHERE status = 'pending';
