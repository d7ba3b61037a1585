-- PostgreSQL migration 7: as SQLite's migration 22: an invite's unit (单位) and title (职务).

ALTER TABLE invites ADD COLUMN unit TEXT;
ALTER TABLE invites ADD COLUMN title TEXT;
