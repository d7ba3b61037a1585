-- Migration 13: the bot's own membership of group chats (my_chat_member): while it is out of a
-- group or may not post there, that group's messages go to the admins.

CREATE TABLE bot_chats (
    chat_id     INTEGER PRIMARY KEY,
    status      TEXT NOT NULL CHECK (status IN ('member', 'gone', 'muted')),
    title       TEXT,
    changed_at  TEXT NOT NULL
);
