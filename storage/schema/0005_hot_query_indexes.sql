-- Migration 5: what the hot queries filter on. A schedule remembers its next slot (the tick
-- reads only the schedules that are due); finished outbox rows can be pruned by age.

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
