"""A small fake Telegram Bot API server on 127.0.0.1 for end-to-end tests and benchmarks.

It answers the methods the bot uses, records every call, lets tests inject updates (messages,
commands, edits, media, button presses), and can answer on demand with 429 + retry_after, 5xx,
403 (blocked), a chat migration, or a hang. Like Telegram it refuses what Telegram refuses:
texts over 4,096 characters (captions over 1,024), callback data over 64 bytes, an edit that
changes nothing or of a message that is gone, a second or late answer to a button press, a
message to a chat the bot has never seen, and a file id it never issued (or of another kind).

``model`` holds its vocabulary, ``telegram`` what Telegram answers and refuses, ``people``
what the people of a test do, ``server`` the HTTP side, ``wire`` the request bodies.
"""

from bot.fakeapi.model import (
    BOT_ID,
    BOT_USERNAME,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    ApiCall,
    FakeClock,
    FakeGroup,
    FakeUser,
    Fault,
    Refused,
    Upload,
    buttons_of,
)
from bot.fakeapi.server import FakeBotAPI

__all__ = [
    "BOT_ID",
    "BOT_USERNAME",
    "NOT_MODIFIED",
    "QUERY_TOO_OLD",
    "ApiCall",
    "FakeBotAPI",
    "FakeClock",
    "FakeGroup",
    "FakeUser",
    "Fault",
    "Refused",
    "Upload",
    "buttons_of",
]
