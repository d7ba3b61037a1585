"""The web board's sign-ins: one-time links and the sessions they open, stored hashed."""

from __future__ import annotations

from datetime import datetime

from storage.db import Database, first_row, to_db


class WebSessionRepo:
    def __init__(self, db: Database) -> None:
        self._db = db

    async def add_login(
        self, token_hash: str, user_id: int, now: datetime, expires_at: datetime
    ) -> None:
        await self._db.execute(
            "INSERT INTO web_logins (token_hash, user_id, created_at, expires_at)"
            " VALUES (?, ?, ?, ?)",
            (token_hash, user_id, to_db(now), to_db(expires_at)),
        )

    async def redeem_login(
        self, token_hash: str, session_hash: str, now: datetime, session_expires: datetime
    ) -> int | None:
        """Use a one-time link and open a session in the same transaction; None if the link is
        unknown, used or expired (two presses of one link: one session)."""
        async with self._db.write() as conn:
            row = await first_row(
                conn,
                "UPDATE web_logins SET used_at = ? WHERE token_hash = ? AND used_at IS NULL"
                " AND expires_at > ? RETURNING user_id",
                (to_db(now), token_hash, to_db(now)),
            )
            if row is None:
                return None
            user_id = int(row["user_id"])
            await conn.execute(
                "INSERT INTO web_sessions (token_hash, user_id, created_at, expires_at)"
                " VALUES (?, ?, ?, ?)",
                (session_hash, user_id, to_db(now), to_db(session_expires)),
            )
            return user_id

    async def session_user(self, session_hash: str, now: datetime) -> int | None:
        row = await self._db.fetchone(
            "SELECT user_id FROM web_sessions WHERE token_hash = ? AND ended_at IS NULL"
            " AND expires_at > ?",
            (session_hash, to_db(now)),
        )
        return None if row is None else int(row["user_id"])

    async def end_sessions(self, user_id: int, now: datetime) -> int:
        """End every session of this person; how many were open."""
        return await self._db.execute(
            "UPDATE web_sessions SET ended_at = ? WHERE user_id = ? AND ended_at IS NULL",
            (to_db(now), user_id),
        )

    async def prune(self, now: datetime) -> None:
        """Forget links and sessions past their time (nothing can use them any more)."""
        async with self._db.write() as conn:
            await conn.execute("DELETE FROM web_logins WHERE expires_at <= ?", (to_db(now),))
            await conn.execute("DELETE FROM web_sessions WHERE expires_at <= ?", (to_db(now),))
