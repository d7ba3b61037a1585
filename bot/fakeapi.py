"""A small fake Telegram Bot API server on 127.0.0.1 for end-to-end tests and benchmarks.

It answers the methods the bot uses, records every call, lets tests inject updates (messages,
commands, edits, media, button presses), and can answer on demand with 429 + retry_after, 5xx,
403 (blocked), a chat migration, or a hang. Like Telegram it refuses what Telegram refuses:
texts over 4,096 characters (captions over 1,024), callback data over 64 bytes, an edit that
changes nothing or of a message that is gone, a second or late answer to a button press, a
message to a chat the bot has never seen, and a file id it never issued (or of another kind).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import parse_qsl

BOT_ID = 7_000_000_001
BOT_USERNAME = "bangban_test_bot"
# Values PTB sends as plain strings; everything else arrives JSON-encoded.
STRING_FIELDS = {"text", "caption", "callback_query_id", "url", "language_code", "description"}
POLL_CAP = 1.0
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64
# The methods that send one file, and the parameter that carries it.
SEND_FILE = {
    "sendPhoto": "photo",
    "sendVideo": "video",
    "sendDocument": "document",
    "sendAudio": "audio",
    "sendVoice": "voice",
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


def _decode(params: Mapping[str, str | Upload]) -> dict[str, Any]:
    decoded: dict[str, Any] = {}
    for key, value in params.items():
        if isinstance(value, Upload) or key in STRING_FIELDS:
            decoded[key] = value
            continue
        try:
            decoded[key] = json.loads(value)
        except ValueError:
            decoded[key] = value
    return decoded


class FakeBotAPI:
    """The server. ``base_url`` goes into ``BOT_API_BASE_URL``."""

    def __init__(self) -> None:
        self.calls: list[ApiCall] = []
        self.refusals: list[ApiCall] = []
        # Called with every answered call as it happens (benchmarks wait on these).
        self.listeners: list[Callable[[ApiCall], None]] = []
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.faults: list[Fault] = []
        self.blocked: set[int] = set()
        # Chats the bot may write to: users who wrote to it, groups it was used in.
        self.known_chats: set[int] = set()
        self._open_queries: set[str] = set()
        # File ids Telegram handed out (in users' messages) and the kind of each file.
        self.files: dict[str, str] = {}
        self.uploads: list[Upload] = []  # files the bot uploaded, in order
        self._updates: list[dict[str, Any]] = []
        self._update_ids = itertools.count(1)
        self.last_update_id = 0
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._released = asyncio.Event()
        self._closing = asyncio.Event()
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.StreamWriter] = set()
        self.port = 0

    # --- lifecycle --------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    async def release_polls(self) -> None:
        """Make pending getUpdates return at once (used before stopping the bot)."""
        self._released.set()
        async with self._changed:
            self._changed.notify_all()

    async def stop(self) -> None:
        self._closing.set()
        await self.release_polls()
        if self._server is not None:
            self._server.close()
            for writer in list(self._connections):
                writer.close()
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._server.wait_closed(), 2)

    # --- HTTP -------------------------------------------------------------------------------

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._connections.add(writer)
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                request_line, *header_lines = head.decode("latin-1").split("\r\n")
                _, path, _ = request_line.split(" ", 2)
                headers = {}
                for line in header_lines:
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                body = await reader.readexactly(int(headers.get("content-length", "0")))
                status, payload = await self._dispatch(path, headers, body)
                data = json.dumps(payload).encode()
                writer.write(
                    f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                    f"Content-Length: {len(data)}\r\n\r\n".encode()
                    + data
                )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError):
            pass
        finally:
            self._connections.discard(writer)
            writer.close()

    async def _dispatch(
        self, path: str, headers: dict[str, str], body: bytes
    ) -> tuple[int, dict[str, Any]]:
        method = path.rsplit("/", 1)[-1]
        content_type = headers.get("content-type", "")
        if content_type.startswith("application/json"):
            params = json.loads(body or b"{}")
        elif content_type.startswith("multipart/form-data"):
            params = _decode(_multipart(body, content_type))
        else:
            params = _decode(dict(parse_qsl(body.decode())))
        if method == "getUpdates":
            return 200, {"ok": True, "result": await self._get_updates(params)}
        fault = self._take_fault(method, params)
        if fault is not None:
            if fault.hang:
                # Never answer; the client's read timeout fires first. Ends when the server stops.
                await self._closing.wait()
            return fault.status, self._fault_payload(fault)
        chat_id = params.get("chat_id")
        if method.startswith("send") and isinstance(chat_id, int) and chat_id in self.blocked:
            description = (
                "Forbidden: bot was kicked from the supergroup chat"
                if chat_id < 0
                else "Forbidden: bot was blocked by the user"
            )
            async with self._changed:
                self.refusals.append(ApiCall(method, params, {"error": description}))
                self._changed.notify_all()
            return 403, {"ok": False, "error_code": 403, "description": description}
        try:
            result = self._answer(method, params)
        except Refused as exc:
            refused = ApiCall(method, params, {"error": exc.description})
            async with self._changed:
                self.refusals.append(refused)
                self._changed.notify_all()
            return exc.status, {
                "ok": False,
                "error_code": exc.status,
                "description": exc.description,
            }
        call = ApiCall(method, params, result)
        async with self._changed:
            self.calls.append(call)
            self._changed.notify_all()
        for listener in self.listeners:
            listener(call)
        return 200, {"ok": True, "result": result}

    def _take_fault(self, method: str, params: dict[str, Any]) -> Fault | None:
        for fault in self.faults:
            if fault.method != method or fault.times <= 0:
                continue
            if fault.chat_id is not None and params.get("chat_id") != fault.chat_id:
                continue
            fault.times -= 1
            return fault
        return None

    @staticmethod
    def _fault_payload(fault: Fault) -> dict[str, Any]:
        payload: dict[str, Any] = {"ok": False, "error_code": fault.status}
        if fault.retry_after is not None:
            payload["description"] = f"Too Many Requests: retry after {fault.retry_after}"
            payload["parameters"] = {"retry_after": fault.retry_after}
        elif fault.migrate_to is not None:
            payload["description"] = "Bad Request: group chat was upgraded to a supergroup chat"
            payload["parameters"] = {"migrate_to_chat_id": fault.migrate_to}
        else:
            payload["description"] = fault.description or "Internal Server Error"
        return payload

    def _answer(self, method: str, params: dict[str, Any]) -> Any:
        if method == "getMe":
            return {
                "id": BOT_ID,
                "is_bot": True,
                "first_name": "Bangban",
                "username": BOT_USERNAME,
                "can_join_groups": True,
                "can_read_all_group_messages": False,
                "supports_inline_queries": False,
            }
        if method in {"sendMessage", *SEND_FILE}:
            self._check_chat(params)
            self._check_content(method, params)
            if method in SEND_FILE:
                self._check_file(SEND_FILE[method], params.get(SEND_FILE[method]))
            return self._store_message(params)
        if method == "sendMediaGroup":
            self._check_chat(params)
            media = params.get("media")
            if not isinstance(media, list) or not 2 <= len(media) <= 10:
                raise Refused("Bad Request: wrong number of media items")
            kinds = {item.get("type") for item in media}
            if len(kinds) > 1 and not kinds <= {"photo", "video"}:
                raise Refused(f"Bad Request: {sorted(kinds)[0]} can't be mixed with other types")
            for item in media:
                self._check_file(item.get("type"), item.get("media"))
            return [self._store_message({**params, "caption": ""}) for _ in media]
        if method in {"editMessageText", "editMessageReplyMarkup"}:
            key = (params.get("chat_id"), params.get("message_id"))
            message = self.messages.get(key)  # type: ignore[arg-type]
            if message is None:
                raise Refused("Bad Request: message to edit not found")
            self._check_content(method, params)
            text = params.get("text", message.get("text"))
            markup = params.get("reply_markup")
            if text == message.get("text") and markup == message.get("reply_markup"):
                raise Refused(NOT_MODIFIED)
            message["text"] = text
            if markup is not None:
                message["reply_markup"] = markup
            else:
                message.pop("reply_markup", None)
            return message
        if method == "answerCallbackQuery":
            query_id = params.get("callback_query_id")
            if query_id not in self._open_queries:
                raise Refused(QUERY_TOO_OLD)
            self._open_queries.discard(query_id)
        return True

    def _check_file(self, kind: str | None, file_id: Any) -> None:
        """Like Telegram: a file id it never issued, or one of another kind, is refused; an
        uploaded file is kept (``uploads``) and given an id."""
        if isinstance(file_id, Upload):
            if not file_id.data:
                raise Refused("Bad Request: file must be non-empty")
            self.uploads.append(file_id)
            self.files[f"up{len(self.uploads)}"] = kind or "document"
            return
        known = self.files.get(file_id) if isinstance(file_id, str) else None
        if known is None:
            raise Refused("Bad Request: wrong file identifier/HTTP URL specified")
        if known != kind:
            raise Refused("Bad Request: type of file mismatch")

    def _check_chat(self, params: dict[str, Any]) -> None:
        if params.get("chat_id") not in self.known_chats:
            raise Refused("Bad Request: chat not found")

    @staticmethod
    def _check_content(method: str, params: dict[str, Any]) -> None:
        if method in {"sendMessage", "editMessageText"}:
            text = params.get("text") or ""
            if not text.strip():
                raise Refused("Bad Request: message text is empty")
            if len(text) > TEXT_LIMIT:
                raise Refused("Bad Request: message is too long")
        if len(params.get("caption") or "") > CAPTION_LIMIT:
            raise Refused("Bad Request: message caption is too long")
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT:
                    raise Refused("Bad Request: BUTTON_DATA_INVALID")

    def _store_message(self, params: dict[str, Any]) -> dict[str, Any]:
        chat_id = params["chat_id"]
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": chat_id, "type": "private" if chat_id > 0 else "supergroup"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Bangban"},
            "text": params.get("text", params.get("caption", "")),
        }
        if "message_thread_id" in params:
            message["message_thread_id"] = params["message_thread_id"]
            message["is_topic_message"] = True
        if "reply_markup" in params:
            message["reply_markup"] = params["reply_markup"]
        self.messages[(chat_id, message["message_id"])] = message
        return message

    async def _get_updates(self, params: dict[str, Any]) -> list[dict[str, Any]]:
        offset = int(params.get("offset") or 0)
        timeout = min(float(params.get("timeout") or 0), POLL_CAP)
        self._updates = [u for u in self._updates if u["update_id"] >= offset]
        if not self._updates and timeout > 0 and not self._released.is_set():
            async with self._changed:
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(
                        self._changed.wait_for(
                            lambda: bool(self._updates) or self._released.is_set()
                        ),
                        timeout,
                    )
        return list(self._updates)

    # --- injecting updates ------------------------------------------------------------------

    async def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        update["update_id"] = self.last_update_id = next(self._update_ids)
        for kind in ("message", "edited_message", "callback_query"):
            body = update.get(kind)
            if body is None:
                continue
            chat = (body.get("message") or {}).get("chat") or body.get("chat") or {}
            if "id" in chat:
                self.known_chats.add(chat["id"])
            if kind == "callback_query":
                self.known_chats.add(body["from"]["id"])
        async with self._changed:
            self._updates.append(update)
            self._changed.notify_all()
        return update

    async def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        group: FakeGroup | None = None,
        thread_id: int | None = None,
    ) -> dict[str, Any]:
        """The user sends ``text`` (a command if it starts with /) privately or in a group."""
        chat = (
            group.as_dict()
            if group
            else {"id": user.id, "type": "private", "first_name": user.first_name}
        )
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user.as_dict(),
            "text": text,
        }
        if text.startswith("/"):
            length = len(text.split()[0])
            message["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        if thread_id is not None:
            message["message_thread_id"] = thread_id
            message["is_topic_message"] = True
        return await self._push({"message": message})

    async def press(
        self,
        user: FakeUser,
        message: dict[str, Any] | None,
        data: str,
        *,
        query_id: str | None = None,
    ) -> str:
        """The user presses a button with ``data`` under ``message`` (None: under an inline
        message, which the bot is not shown); returns the query id."""
        query_id = query_id or f"cq{next(self._callback_ids)}"
        self._open_queries.add(query_id)
        query: dict[str, Any] = {
            "id": query_id,
            "from": user.as_dict(),
            "chat_instance": "ci",
            "data": data,
        }
        if message is None:
            query["inline_message_id"] = f"im{query_id}"
        else:
            query["message"] = message
        await self._push({"callback_query": query})
        return query_id

    async def bot_membership(
        self, group: FakeGroup, by: FakeUser, status: str, *, can_send: bool = True
    ) -> dict[str, Any]:
        """The bot's standing in ``group`` changes (``member``, ``left``, ``kicked`` or
        ``restricted``), done by ``by``; like Telegram, a removed bot's sends are refused."""
        bot_user = {"id": BOT_ID, "is_bot": True, "first_name": "Bangban", "username": BOT_USERNAME}
        new: dict[str, Any] = {"status": status, "user": bot_user}
        if status == "restricted":
            rights = [
                "can_change_info",
                "can_invite_users",
                "can_pin_messages",
                "can_manage_topics",
                "can_send_polls",
                "can_send_other_messages",
                "can_add_web_page_previews",
                "can_send_audios",
                "can_send_documents",
                "can_send_photos",
                "can_send_videos",
                "can_send_video_notes",
                "can_send_voice_notes",
                "can_edit_tag",
                "can_react_to_messages",
            ]
            new.update({right: False for right in rights})
            new.update(is_member=True, can_send_messages=can_send, until_date=0)
        if status == "kicked":
            new["until_date"] = 0
        if status in {"left", "kicked"}:
            self.blocked.add(group.id)
        else:
            self.blocked.discard(group.id)
            self.known_chats.add(group.id)
        change = {
            "chat": group.as_dict(),
            "from": by.as_dict(),
            "date": int(time.time()),
            "old_chat_member": {"status": "left", "user": bot_user},
            "new_chat_member": new,
        }
        return await self._push({"my_chat_member": change})

    async def edit_text(self, user: FakeUser, sent: dict[str, Any], text: str) -> dict[str, Any]:
        """The user edits a message they sent earlier (as returned by :meth:`send_text`)."""
        message = dict(sent["message"])
        message["text"] = text
        message["edit_date"] = int(time.time())
        return await self._push({"edited_message": message})

    async def send_media(
        self,
        user: FakeUser,
        kind: str = "photo",
        caption: str | None = None,
        *,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a photo, document, voice note or sticker in the private chat (one of
        an album, with ``media_group_id``: Telegram sends each as its own message)."""
        number = next(self._message_ids)
        file: dict[str, Any] = {"file_id": f"F{number}", "file_unique_id": f"U{number}"}
        self.files[file["file_id"]] = kind
        contents: dict[str, dict[str, Any]] = {
            "photo": {"photo": [{**file, "width": 90, "height": 90}]},
            "document": {"document": {**file, "file_name": "plan.pdf"}},
            "voice": {"voice": {**file, "duration": 3}},
            "video": {"video": {**file, "width": 640, "height": 480, "duration": 5}},
            "audio": {"audio": {**file, "duration": 60}},
            "sticker": {
                "sticker": {
                    **file,
                    "type": "regular",
                    "width": 512,
                    "height": 512,
                    "is_animated": False,
                    "is_video": False,
                }
            },
        }
        content = contents[kind]
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_dict(),
            **content,
        }
        if caption is not None:
            message["caption"] = caption
        if media_group_id is not None:
            message["media_group_id"] = media_group_id
        return await self._push({"message": message})

    def expire(self, query_id: str) -> None:
        """Telegram no longer accepts an answer to this press (it waited too long)."""
        self._open_queries.discard(query_id)

    def delete(self, chat_id: int, message_id: int) -> None:
        """The message is gone (deleted in the chat); edits of it are refused."""
        self.messages.pop((chat_id, message_id), None)

    # --- faults -----------------------------------------------------------------------------

    def fail(
        self,
        method: str,
        status: int = 500,
        *,
        times: int = 1,
        retry_after: int | None = None,
        hang: bool = False,
        chat_id: int | None = None,
        migrate_to: int | None = None,
        description: str = "",
    ) -> None:
        self.faults.append(
            Fault(method, status, times, retry_after, hang, chat_id, migrate_to, description)
        )

    # --- waiting for the bot ----------------------------------------------------------------

    async def wait_for(
        self, predicate: Callable[[ApiCall], bool], *, after: int = 0, timeout: float = 5.0
    ) -> ApiCall:
        """The first recorded call from index ``after`` on that matches; waits until it comes."""

        def found() -> ApiCall | None:
            return next((c for c in self.calls[after:] if predicate(c)), None)

        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: found() is not None), timeout)
        result = found()
        assert result is not None
        return result

    async def reply_to(
        self, chat_id: int, *, after: int, method: str = "sendMessage", timeout: float = 5.0
    ) -> ApiCall:
        return await self.wait_for(
            lambda c: c.method == method and c.params.get("chat_id") == chat_id,
            after=after,
            timeout=timeout,
        )

    def sent_to(self, chat_id: int, method: str = "sendMessage") -> list[ApiCall]:
        return [c for c in self.calls if c.method == method and c.params.get("chat_id") == chat_id]

    def message_of(self, call: ApiCall) -> dict[str, Any]:
        """The message as it stands now (after edits) that a send call created."""
        return self.messages[(call.params["chat_id"], call.result["message_id"])]


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


def _multipart(body: bytes, content_type: str) -> dict[str, str | Upload]:
    boundary = content_type.split("boundary=", 1)[1].strip('"').encode()
    fields: dict[str, str | Upload] = {}
    for part in body.split(b"--" + boundary):
        if b"\r\n\r\n" not in part:
            continue
        head, _, value = part.partition(b"\r\n\r\n")
        name_start = head.find(b'name="')
        if name_start < 0:
            continue
        name = head[name_start + 6 : head.index(b'"', name_start + 6)].decode()
        if b"filename=" in head:
            start = head.index(b'filename="') + 10
            filename = head[start : head.index(b'"', start)].decode()
            # The part ends with the CRLF before the next boundary, which is not the file's.
            fields[name] = Upload(filename, value[:-2] if value.endswith(b"\r\n") else value)
        else:
            fields[name] = value.rstrip(b"\r\n").decode()
    return fields


def buttons_of(call: ApiCall) -> list[tuple[str, str]]:
    """(text, callback_data) of every inline button in a send or edit call."""
    markup = call.params.get("reply_markup") or {}
    return [
        (button["text"], button.get("callback_data", button.get("url", "")))
        for row in markup.get("inline_keyboard", [])
        for button in row
    ]
