"""What the people of a test do: write, press, edit, send photos and files, and add or remove
the bot in their groups. Each becomes an update, delivered to the bot's next getUpdates."""

from __future__ import annotations

import struct
import time
import zlib
from datetime import datetime
from typing import Any

from bot.fakeapi.model import BOT_ID, BOT_USERNAME, FakeGroup, FakeUser
from bot.fakeapi.telegram import Telegram


class People(Telegram):
    async def _push(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue ``update`` for the bot (the server does)."""
        raise NotImplementedError

    async def send_text(
        self,
        user: FakeUser,
        text: str,
        *,
        group: FakeGroup | None = None,
        thread_id: int | None = None,
        sent_at: datetime | None = None,
    ) -> dict[str, Any]:
        """The user sends ``text`` (a command if it starts with /) privately or in a group;
        ``sent_at``: when Telegram says it was sent (a message delivered late), else now."""
        chat = (
            group.as_dict()
            if group
            else {"id": user.id, "type": "private", "first_name": user.first_name}
        )
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(sent_at.timestamp()) if sent_at is not None else int(time.time()),
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
        """The user edits a message they sent earlier (as returned by :meth:`send_text`, or its
        caption, for one returned by :meth:`send_media`)."""
        message = dict(sent["message"])
        message["text" if "text" in message else "caption"] = text
        message["edit_date"] = int(time.time())
        return await self._push({"edited_message": message})

    async def send_location(
        self, user: FakeUser, latitude: float, longitude: float
    ) -> dict[str, Any]:
        """The user shares a location (📎 → Location) in the private chat."""
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_dict(),
            "location": {"latitude": latitude, "longitude": longitude},
        }
        return await self._push({"message": message})

    async def send_document(
        self, user: FakeUser, file_name: str, data: bytes, caption: str | None = None
    ) -> dict[str, Any]:
        """The user sends a file (📎 → File) whose contents the bot can download."""
        number = next(self._message_ids)
        file_id = f"D{number}"
        self.files[file_id] = "document"
        self.file_contents[f"documents/{file_id}"] = data
        message: dict[str, Any] = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user.id, "type": "private", "first_name": user.first_name},
            "from": user.as_dict(),
            "document": {
                "file_id": file_id,
                "file_unique_id": f"U{number}",
                "file_name": file_name,
                "file_size": len(data),
            },
        }
        if caption is not None:
            message["caption"] = caption
        return await self._push({"message": message})

    async def send_media(
        self,
        user: FakeUser,
        kind: str = "photo",
        caption: str | None = None,
        *,
        media_group_id: str | None = None,
    ) -> dict[str, Any]:
        """The user sends a photo, video, document, voice note, sticker or dice in the private
        chat (one of an album, with ``media_group_id``: Telegram sends each as its own message)."""
        number = next(self._message_ids)
        file: dict[str, Any] = {"file_id": f"F{number}", "file_unique_id": f"U{number}"}
        self.files[file["file_id"]] = kind
        if kind == "photo":  # what the bot downloads (getFile) is a real, small picture
            self.file_contents[f"documents/{file['file_id']}"] = site_photo(number)
        contents: dict[str, dict[str, Any]] = {
            "photo": {"photo": [{**file, "width": 90, "height": 90}]},
            "document": {"document": {**file, "file_name": "plan.pdf"}},
            "voice": {"voice": {**file, "duration": 3}},
            "video": {"video": {**file, "width": 640, "height": 480, "duration": 5}},
            "audio": {"audio": {**file, "duration": 60}},
            "video_note": {"video_note": {**file, "length": 240, "duration": 8}},
            "dice": {"dice": {"emoji": "🎲", "value": 4}},
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


def site_photo(seed: int, size: int = 90) -> bytes:
    """A small PNG (a coloured square), standing in for a photo of the site."""
    colour = bytes(((seed * 53) % 256, (seed * 97) % 256, (seed * 31) % 256))
    rows = b"".join(b"\x00" + colour * size for _ in range(size))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
