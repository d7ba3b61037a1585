-- Migration 23: an admin may be scoped to a work line or a locality (项目到线): they then see
-- and manage only the projects of it. NULL: the whole county, as before.

ALTER TABLE admins ADD COLUMN scope_kind TEXT CHECK (scope_kind IN ('line', 'area'));
ALTER TABLE admins ADD COLUMN scope_value TEXT;
