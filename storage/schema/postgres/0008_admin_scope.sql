-- PostgreSQL migration 8: as SQLite's migration 23: an admin's scope (a work line or a
-- locality); NULL: the whole county.

ALTER TABLE admins ADD COLUMN scope_kind TEXT CHECK (scope_kind IN ('line', 'area'));
ALTER TABLE admins ADD COLUMN scope_value TEXT;
