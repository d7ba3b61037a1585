-- Migration 9: round summaries for leaders: where a project's go, and which rounds have had
-- theirs (rounds closed before this migration count as summarized, so an upgrade sends no
-- backlog).

ALTER TABLE projects ADD COLUMN summary_to TEXT NOT NULL DEFAULT 'leaders'
    CHECK (summary_to IN ('leaders', 'group', 'both', 'off'));
ALTER TABLE rounds ADD COLUMN summarized_at TEXT;
UPDATE rounds SET summarized_at = coalesce(closed_at, opened_at) WHERE status != 'open';
CREATE INDEX rounds_unsummarized ON rounds(id)
    WHERE summarized_at IS NULL AND status = 'closed';
