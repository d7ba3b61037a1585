"""The fake Bot API server lives in the package (``bot.fakeapi``) so that ``python -m bot demo``
can run without a token; tests import it from here."""

from bot.fakeapi import (
    BOT_USERNAME,
    QUERY_TOO_OLD,
    ApiCall,
    FakeBotAPI,
    FakeClock,
    FakeGroup,
    FakeUser,
    Upload,
    buttons_of,
)

__all__ = [
    "BOT_USERNAME",
    "QUERY_TOO_OLD",
    "ApiCall",
    "FakeBotAPI",
    "FakeClock",
    "FakeGroup",
    "FakeUser",
    "Upload",
    "buttons_of",
]
