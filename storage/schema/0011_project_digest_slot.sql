-- Migration 11: a project may have its own weekly digest slot ('fri 17:00') or none ('off');
-- NULL follows DIGEST_SCHEDULE.

ALTER TABLE projects ADD COLUMN digest TEXT;
