"""What the fake Bot API server deals in: its limits and refusals, the calls it records, the
people and groups of a test, and a clock that moves only when told."""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

BOT_ID = 7_000_000_001
BOT_USERNAME = "bangban_test_bot"
# Values PTB sends as plain strings; everything else arrives JSON-encoded.
STRING_FIELDS = {"text", "caption", "callback_query_id", "url", "language_code", "description"}
POLL_CAP = 1.0
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
ALERT_LIMIT = 200  # the text of an answer to a button press
CALLBACK_DATA_LIMIT = 64
# An inline button does exactly one of these (Telegram refuses a button with none, or two).
BUTTON_ACTIONS = frozenset(
    {
        "callback_data",
        "url",
        "web_app",
        "login_url",
        "switch_inline_query",
        "switch_inline_query_current_chat",
        "switch_inline_query_chosen_chat",
        "copy_text",
        "callback_game",
        "pay",
    }
)
# The methods that send one file, and the parameter that carries it.
SEND_FILE = {
    "sendPhoto": "photo",
    "sendVideo": "video",
    "sendDocument": "document",
    "sendAudio": "audio",
    "sendVoice": "voice",
    "sendVideoNote": "video_note",
}
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are"
    " exactly the same as a current content and reply markup of the message"
)
QUERY_TOO_OLD = "Bad Request: query is too old and response timeout expired or query ID is invalid"


class Refused(Exception):
    """What Telegram answers with ``ok: false`` and an error code."""

    def __init__(self, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.description = description
        self.status = status


@dataclass
class ApiCall:
    method: str
    params: dict[str, Any]
    result: Any = None
    at: float = field(default_factory=time.monotonic)


@dataclass
class Fault:
    method: str
    status: int
    times: int
    retry_after: int | None = None
    hang: bool = False
    chat_id: int | None = None
    migrate_to: int | None = None
    description: str = ""


@dataclass(frozen=True)
class FakeUser:
    id: int
    first_name: str
    username: str | None = None
    language_code: str | None = "en"

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "is_bot": False, "first_name": self.first_name}
        if self.username:
            data["username"] = self.username
        if self.language_code:
            data["language_code"] = self.language_code
        return data


@dataclass(frozen=True)
class FakeGroup:
    id: int
    title: str
    forum: bool = False

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"id": self.id, "type": "supergroup", "title": self.title}
        if self.forum:
            data["is_forum"] = True
        return data


@dataclass(frozen=True)
class Upload:
    """A file the bot uploaded (multipart), as Telegram receives it."""

    filename: str
    data: bytes


class FakeClock:
    """Time that moves only when a test says so; sleeping advances it."""

    def __init__(self, start: datetime) -> None:
        self.current = start

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> None:
        self.current += delta

    def set(self, moment: datetime) -> None:
        self.current = moment

    async def sleep(self, seconds: float) -> None:
        self.current += timedelta(seconds=seconds)
        await asyncio.sleep(0)


def buttons_of(call: ApiCall) -> list[tuple[str, str]]:
    """(text, callback_data) of every inline button in a send or edit call."""
    markup = call.params.get("reply_markup") or {}
    return [
        (button["text"], button.get("callback_data", button.get("url", "")))
        for row in markup.get("inline_keyboard", [])
        for button in row
    ]
