-- Migration 2: what several replicas on one database coordinate through.

-- An outbox row is claimed (SELECT … FOR UPDATE SKIP LOCKED) by the replica sending it, for a
-- short lease: two replicas never send one message, and a dead sender's claim runs out.
ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;

-- Every replica notes itself every few seconds: the send rate is shared among the live ones.
CREATE TABLE replicas (
    id      TEXT PRIMARY KEY,
    seen_at TIMESTAMPTZ NOT NULL
);

-- The updates of one chat are handled one at a time, in update order, whichever replica each
-- reached; an update posted twice (a retried webhook) is handled once.
CREATE TABLE update_turns (
    update_id   BIGINT PRIMARY KEY,
    chat_id     BIGINT NOT NULL,
    received_at TIMESTAMPTZ NOT NULL,
    holder      TEXT,
    taken_until TIMESTAMPTZ,
    done_at     TIMESTAMPTZ
);
CREATE INDEX update_turns_open ON update_turns(chat_id, update_id) WHERE done_at IS NULL;
CREATE INDEX update_turns_done ON update_turns(done_at) WHERE done_at IS NOT NULL;
