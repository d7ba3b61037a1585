-- Migration 20: a person's unit (单位) and title (职务), so the notice names people as an office
-- does (县住建局局长张三), never by their Telegram handle.

ALTER TABLE people ADD COLUMN unit TEXT;
ALTER TABLE people ADD COLUMN title TEXT;
-- The notice (通报) is numbered per year (〔2027〕第3期) when it is published.
ALTER TABLE notices ADD COLUMN year INTEGER;
ALTER TABLE notices ADD COLUMN number INTEGER;
CREATE UNIQUE INDEX notices_number ON notices(year, number) WHERE number IS NOT NULL;
