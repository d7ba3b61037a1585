-- Migration 22: an invite may say how the person it is for is named in official documents
-- (单位, 职务); joining by it records them, as /person would.

ALTER TABLE invites ADD COLUMN unit TEXT;
ALTER TABLE invites ADD COLUMN title TEXT;
