-- Migration 7: the language of a group chat, set by an admin there (/language), for everything
-- the bot posts in it.

CREATE TABLE chat_languages (
    chat_id   INTEGER PRIMARY KEY,
    language  TEXT NOT NULL,
    set_at    TEXT NOT NULL,
    set_by    INTEGER NOT NULL
);
