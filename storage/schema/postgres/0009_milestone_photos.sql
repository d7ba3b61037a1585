-- PostgreSQL migration 9: as SQLite's migration 24: files sent as a milestone's evidence, a
-- fourth owner a file may belong to (the one-owner check is replaced, by its definition: it
-- was created without a name).

ALTER TABLE attachments ADD COLUMN milestone_id BIGINT REFERENCES milestones(id);
DO $$
DECLARE
    old_check text;
BEGIN
    SELECT conname INTO old_check FROM pg_constraint
    WHERE conrelid = 'attachments'::regclass AND contype = 'c'
      AND pg_get_constraintdef(oid) LIKE '%contact_id IS NOT NULL%';
    EXECUTE format('ALTER TABLE attachments DROP CONSTRAINT %I', old_check);
END
$$;
ALTER TABLE attachments ADD CONSTRAINT attachments_one_owner
    CHECK ((answer_id IS NOT NULL)::int + (problem_id IS NOT NULL)::int
           + (contact_id IS NOT NULL)::int + (milestone_id IS NOT NULL)::int = 1);
CREATE INDEX attachments_milestone ON attachments(milestone_id) WHERE milestone_id IS NOT NULL;
