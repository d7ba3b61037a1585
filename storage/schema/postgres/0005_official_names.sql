-- PostgreSQL migration 5: as SQLite's migration 20: a person's unit (单位) and title (职务);
-- the notice's number per year.

ALTER TABLE people ADD COLUMN unit TEXT;
ALTER TABLE people ADD COLUMN title TEXT;
ALTER TABLE notices ADD COLUMN year BIGINT;
ALTER TABLE notices ADD COLUMN number BIGINT;
CREATE UNIQUE INDEX notices_number ON notices(year, number) WHERE number IS NOT NULL;
