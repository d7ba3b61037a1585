-- Migration 12: people forgotten on request (/forget): their name stays replaced, whatever
-- Telegram says their name is later.

ALTER TABLE people ADD COLUMN forgotten_at TEXT;
