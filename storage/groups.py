"""Leadership group bindings: the bot-wide one and one per project."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from storage.access import Access, Need
from storage.db import Database, first_row, to_db
from storage.events import append_event
from storage.models import (
    GroupBinding,
)
from storage.outbox import OutgoingMessage, enqueue


class GroupRepo:
    def __init__(self, db: Database, access: Access) -> None:
        self._db = db
        self._access = access

    async def bind(
        self, need: Need, chat_id: int, thread_id: int | None, title: str | None, now: datetime
    ) -> None:
        project_id, actor_id = need.project_id, need.user_id
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            await conn.execute(
                "INSERT INTO group_bindings (project_id, chat_id, thread_id, title, bound_at,"
                " bound_by) VALUES (?, ?, ?, ?, ?, ?)"
                " ON CONFLICT(ifnull(project_id, 0)) DO UPDATE SET chat_id = excluded.chat_id,"
                " thread_id = excluded.thread_id, title = excluded.title,"
                " bound_at = excluded.bound_at, bound_by = excluded.bound_by",
                (project_id, chat_id, thread_id, title, to_db(now), actor_id),
            )
            await append_event(
                conn, now, actor_id, "group.bound", project_id, chat_id, thread_id=thread_id
            )

    async def for_project(self, project_id: int | None) -> GroupBinding | None:
        """The project's own leadership group, else the bot-wide one."""
        row = await self._db.fetchone(
            "SELECT g.*, l.language, b.status AS bot_status FROM group_bindings g"
            " LEFT JOIN chat_languages l ON l.chat_id = g.chat_id"
            " LEFT JOIN bot_chats b ON b.chat_id = g.chat_id"
            # On the index of ifnull(project_id, 0): the project's own binding and the global one.
            " WHERE ifnull(g.project_id, 0) IN (0, ?)"
            " ORDER BY g.project_id IS NULL LIMIT 1",
            (project_id or 0,),
        )
        if row is None:
            return None
        return GroupBinding(
            row["project_id"],
            row["chat_id"],
            row["thread_id"],
            row["title"],
            row["language"],
            row["bot_status"],
        )

    async def bound(self, chat_id: int) -> bool:
        """Whether the chat is a leadership group of some project (or of all)."""
        row = await self._db.fetchone(
            "SELECT 1 FROM group_bindings WHERE chat_id = ? LIMIT 1", (chat_id,)
        )
        return row is not None

    async def bot_status(self, chat_id: int) -> str | None:
        row = await self._db.fetchone("SELECT status FROM bot_chats WHERE chat_id = ?", (chat_id,))
        return str(row["status"]) if row else None

    async def set_bot_status(
        self,
        chat_id: int,
        status: str,
        title: str | None,
        actor_id: int | None,
        messages: Sequence[OutgoingMessage],
        now: datetime,
    ) -> str | None:
        """Record the bot's membership of a chat and, if it changed, queue ``messages``; the
        previous status (None if unknown). Unchanged, nothing is written."""
        async with self._db.write() as conn:
            row = await first_row(
                conn, "SELECT status FROM bot_chats WHERE chat_id = ?", (chat_id,)
            )
            previous = str(row["status"]) if row else None
            if previous == status:
                return previous
            await conn.execute(
                "INSERT INTO bot_chats (chat_id, status, title, changed_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(chat_id) DO UPDATE SET status = excluded.status,"
                " title = coalesce(excluded.title, bot_chats.title),"
                " changed_at = excluded.changed_at",
                (chat_id, status, title, to_db(now)),
            )
            await append_event(
                conn, now, actor_id, f"bot.{status}", None, chat_id, previous=previous
            )
            await enqueue(conn, messages, now)
            return previous

    async def for_projects(self, project_ids: Sequence[int]) -> dict[int, GroupBinding]:
        """The leadership group of each of these projects that has one (its own, else the
        bot-wide one), in one query."""
        if not project_ids:
            return {}
        rows = await self._db.fetchall(
            "SELECT g.*, l.language FROM group_bindings g"
            " LEFT JOIN chat_languages l ON l.chat_id = g.chat_id"
            f" WHERE ifnull(g.project_id, 0) IN (0, {','.join('?' * len(project_ids))})",
            list(project_ids),
        )
        bindings = {
            row["project_id"]: GroupBinding(
                row["project_id"], row["chat_id"], row["thread_id"], row["title"], row["language"]
            )
            for row in rows
        }
        found = {pid: bindings.get(pid) or bindings.get(None) for pid in project_ids}
        return {pid: binding for pid, binding in found.items() if binding is not None}

    async def language(self, chat_id: int) -> str | None:
        """The language set for a group chat, if any."""
        row = await self._db.fetchone(
            "SELECT language FROM chat_languages WHERE chat_id = ?", (chat_id,)
        )
        return str(row["language"]) if row else None

    async def set_language(self, need: Need, chat_id: int, language: str, now: datetime) -> None:
        async with self._db.write() as conn:
            await self._access.require(conn, need)
            await conn.execute(
                "INSERT INTO chat_languages (chat_id, language, set_at, set_by) VALUES (?, ?, ?, ?)"
                " ON CONFLICT(chat_id) DO UPDATE SET language = excluded.language,"
                " set_at = excluded.set_at, set_by = excluded.set_by",
                (chat_id, language, to_db(now), need.user_id),
            )
            await append_event(
                conn, now, need.user_id, "group.language", None, chat_id, language=language
            )

    async def migrate_chat(self, old_chat_id: int, new_chat_id: int) -> None:
        async with self._db.write() as conn:
            for table in ("group_bindings", "chat_languages", "bot_chats"):
                # What the new id already has gives way to what the group had (as SQLite's
                # UPDATE OR REPLACE did), on either engine.
                await conn.execute(
                    f"DELETE FROM {table} WHERE chat_id = ?"
                    f" AND EXISTS (SELECT 1 FROM {table} WHERE chat_id = ?)",
                    (new_chat_id, old_chat_id),
                )
                await conn.execute(
                    f"UPDATE {table} SET chat_id = ? WHERE chat_id = ?",
                    (new_chat_id, old_chat_id),
                )
