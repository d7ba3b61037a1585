-- Migration 17: an outbox row is claimed by the process sending it, for a short lease, so two
-- processes (PostgreSQL replicas during a change of leader) never send one message; a claim
-- whose holder died runs out and the row is sent by whoever leads.

ALTER TABLE outbox ADD COLUMN claimed_by TEXT;
ALTER TABLE outbox ADD COLUMN claimed_until TEXT;
