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

-- Note an update (when given) and take its chat's turn if it has come, in one round trip:
-- 'go', 'wait' or 'done' (handled already). The chat's advisory lock, held to the end of the
-- transaction, makes two replicas decide one after the other; each statement of a plpgsql
-- function reads what was committed before it, so the second sees the first's decision.
CREATE FUNCTION bangban_turn(
    p_update BIGINT, p_chat BIGINT, p_holder TEXT, p_lease INTERVAL, p_note BOOLEAN,
    p_take BOOLEAN
) RETURNS TEXT LANGUAGE plpgsql AS $$
DECLARE
    taken BOOLEAN;
BEGIN
    PERFORM pg_advisory_xact_lock(7000004, (p_chat % 2147483647)::INTEGER);
    IF p_note THEN
        INSERT INTO update_turns (update_id, chat_id, received_at)
            VALUES (p_update, p_chat, now()) ON CONFLICT (update_id) DO NOTHING;
    END IF;
    IF p_take THEN
        UPDATE update_turns AS u SET holder = p_holder, taken_until = now() + p_lease
            WHERE u.update_id = p_update AND u.done_at IS NULL
            AND (u.holder IS NULL OR u.taken_until < now())
            AND NOT EXISTS (SELECT 1 FROM update_turns AS e WHERE e.chat_id = p_chat
                AND e.done_at IS NULL AND e.update_id <> u.update_id
                AND ((e.holder IS NOT NULL AND e.taken_until > now())
                    OR (e.holder IS NULL AND e.update_id < u.update_id
                        AND e.received_at > now() - p_lease)));
        IF FOUND THEN
            RETURN 'go';
        END IF;
    END IF;
    SELECT done_at IS NOT NULL INTO taken FROM update_turns WHERE update_id = p_update;
    RETURN CASE WHEN taken THEN 'done' ELSE 'wait' END;
END;
$$;
