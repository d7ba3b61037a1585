"""A whole SQLite transaction run in the database thread, in one hop from the event loop
(:meth:`storage.db.Database.at_once`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, TypeVar, cast

if TYPE_CHECKING:  # sqlite3 itself runs in aiosqlite's thread, never on the loop
    import sqlite3

    from storage.db import Body, Params, Written

T = TypeVar("T")


class _InThread:
    """A :class:`Tx` on the sqlite3 connection itself, for code already running in the database
    thread: every await completes at once."""

    def __init__(self, raw: sqlite3.Connection) -> None:
        self._raw = raw

    async def execute(self, sql: str, parameters: Params = ()) -> Written:
        return self._raw.execute(sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Params]) -> Written:
        return self._raw.executemany(sql, parameters)

    async def execute_fetchall(self, sql: str, parameters: Params = ()) -> Iterable[sqlite3.Row]:
        return self._raw.execute(sql, parameters).fetchall()


def transaction_in_thread(raw: sqlite3.Connection, body: Body[T]) -> T:
    """BEGIN, the body, COMMIT (or ROLLBACK), all in the database thread. The body is a
    coroutine whose awaits are all :class:`_InThread` statements, so one ``send`` runs it to
    the end; one that waits for anything else is a bug, and is rolled back."""
    raw.execute("BEGIN IMMEDIATE")
    try:
        coroutine = body(_InThread(raw))
        try:
            coroutine.send(None)
        except StopIteration as finished:
            result = cast(T, finished.value)
        else:
            coroutine.close()
            raise RuntimeError("a transaction run at once waited for something else")
        raw.execute("COMMIT")
    except BaseException:
        # SQLite has already rolled back after some errors; a failed COMMIT (a full disk, a
        # deferred constraint) leaves the transaction open, and every later BEGIN would fail.
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise
    return result
