"""What Telegram knows, answers and refuses: the messages the bot sent (and edits of them),
the files it issued, the chats the bot may write to, and the presses not yet answered."""

from __future__ import annotations

import itertools
import time
from typing import Any

from bot.fakeapi.model import (
    ALERT_LIMIT,
    BOT_ID,
    BOT_USERNAME,
    BUTTON_ACTIONS,
    CALLBACK_DATA_LIMIT,
    CAPTION_LIMIT,
    NOT_MODIFIED,
    QUERY_TOO_OLD,
    SEND_FILE,
    TEXT_LIMIT,
    Refused,
    Upload,
)


class Telegram:
    """Answers one Bot API method call, or raises :class:`Refused` as Telegram would."""

    def __init__(self) -> None:
        self.messages: dict[tuple[int, int], dict[str, Any]] = {}
        self.blocked: set[int] = set()
        # Chats the bot may write to: users who wrote to it, groups it was used in.
        self.known_chats: set[int] = set()
        self._open_queries: set[str] = set()
        # File ids Telegram handed out (in users' messages) and the kind of each file.
        self.files: dict[str, str] = {}
        # What a user's file holds (a document sent with ``send_document``), by its file_path.
        self.file_contents: dict[str, bytes] = {}
        self.uploads: list[Upload] = []  # files the bot uploaded, in order
        self._message_ids = itertools.count(1000)
        self._callback_ids = itertools.count(1)

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
        if method == "getFile":
            file_id = params.get("file_id")
            if not isinstance(file_id, str) or file_id not in self.files:
                raise Refused("Bad Request: invalid file_id")
            path = f"documents/{file_id}"
            size = len(self.file_contents.get(path, b""))
            return {
                "file_id": file_id,
                "file_unique_id": f"U{file_id}",
                "file_size": size,
                "file_path": path,
            }
        if method == "setChatMenuButton":
            button = params.get("menu_button") or {}
            url = (button.get("web_app") or {}).get("url", "https://")
            if not str(url).startswith("https://"):
                raise Refused("Bad Request: BUTTON_URL_INVALID")
            return True
        if method == "answerCallbackQuery":
            query_id = params.get("callback_query_id")
            if query_id not in self._open_queries:
                raise Refused(QUERY_TOO_OLD)
            if _units(params.get("text") or "") > ALERT_LIMIT:
                raise Refused("Bad Request: MESSAGE_TOO_LONG")
            self._open_queries.discard(query_id)
        return True

    def _check_file(self, kind: str | None, file_id: Any) -> None:
        """Like Telegram: a file id it never issued, or one of another kind, is refused; an
        uploaded file is kept (``uploads``) and given an id."""
        if isinstance(file_id, Upload):
            if not file_id.data:
                raise Refused("Bad Request: file must be non-empty")
            if kind == "photo" and not _photo_dimensions_ok(file_id.data):
                raise Refused("Bad Request: PHOTO_INVALID_DIMENSIONS")
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
            if _units(text) > TEXT_LIMIT:
                raise Refused("Bad Request: message is too long")
        if _units(params.get("caption") or "") > CAPTION_LIMIT:
            raise Refused("Bad Request: message caption is too long")
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                if len(BUTTON_ACTIONS.intersection(button)) != 1:
                    raise Refused(
                        "Bad Request: can't parse inline keyboard button: Text buttons are"
                        " unallowed in the inline keyboard"
                    )
                web_app = button.get("web_app")
                if web_app is not None:
                    url = str(web_app.get("url", ""))
                    if not url.startswith("https://"):
                        raise Refused(
                            f"Bad Request: inline keyboard button Web App URL '{url}' is"
                            " invalid: Only HTTPS links are allowed"
                        )
                    chat = params.get("chat_id")
                    if isinstance(chat, int) and chat < 0:
                        raise Refused("Bad Request: BUTTON_TYPE_INVALID")
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

    def expire(self, query_id: str) -> None:
        """Telegram no longer accepts an answer to this press (it waited too long)."""
        self._open_queries.discard(query_id)

    def delete(self, chat_id: int, message_id: int) -> None:
        """The message is gone (deleted in the chat); edits of it are refused."""
        self.messages.pop((chat_id, message_id), None)


def _photo_dimensions_ok(data: bytes) -> bool:
    """Telegram's rule for photos: width and height at most 10,000 together, neither more
    than 20 times the other. Read from a PNG's header; other formats are not checked."""
    if not data.startswith(b"\x89PNG\r\n\x1a\n") or len(data) < 24:
        return True
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    return width + height <= 10_000 and max(width, height) <= 20 * min(width, height)


def _units(text: str) -> int:
    """A text's length as Telegram counts it: UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2
