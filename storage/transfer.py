"""Moving a deployment between engines: every table copied in batches, then checked.

The copy is checked table by table on both sides: the row count, and a digest of the rows that
does not depend on their order (the sum of each row's SHA-256), so a row lost, doubled or
changed on the way is found. Identity sequences are moved past the copied ids, so new rows do
not collide with old ones.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from storage.db import Database, StorageError

# Parents before children, so every reference finds its row.
TABLES = (
    "projects",
    "people",
    "memberships",
    "admins",
    "invites",
    "group_bindings",
    "events",
    "start_failures",
    "rounds",
    "checkins",
    "answers",
    "questions",
    "leaves",
    "calendar_days",
    "problems",
    "escalations",
    "outbox",
    "pending_inputs",
    "chat_languages",
    "schedules",
    "contacts",
    "digests",
    "notices",
    "bot_chats",
    "attachments",
    "departments",
    "department_members",
    "project_departments",
    "handovers",
    "handover_chases",
    "sitins",
    "project_plans",
    "milestones",
    "investments",
    "investment_schedules",
    "investment_prompts",
    "explanations",
    "plan_imports",
    "web_logins",
    "web_sessions",
)
# Tables whose rows carry a generated id: its sequence moves past the copied ids.
WITH_ID = frozenset(
    {
        "projects",
        "memberships",
        "invites",
        "group_bindings",
        "events",
        "rounds",
        "checkins",
        "answers",
        "leaves",
        "problems",
        "escalations",
        "outbox",
        "contacts",
        "notices",
        "attachments",
        "departments",
        "department_members",
        "handovers",
        "sitins",
        "milestones",
        "explanations",
        "plan_imports",
    }
)
BATCH = 5_000
DIGEST_MODULUS = 2**256


@dataclass(frozen=True, slots=True)
class TableCheck:
    table: str
    rows: int
    digest: str


def _row_hash(row: Sequence[Any]) -> int:
    text = json.dumps([value for value in row], ensure_ascii=False, default=str)
    return int.from_bytes(hashlib.sha256(text.encode()).digest(), "big")


async def _columns(db: Database, table: str) -> list[str]:
    columns, _ = await db.fetch_with_columns(f"SELECT * FROM {table} WHERE 1 = 0")
    return columns


async def _batches(db: Database, table: str, columns: list[str]) -> Any:
    """The table's rows in batches of BATCH: by id where it has one (keyset), else whole."""
    listed = ", ".join(columns)
    if table in WITH_ID:
        last = -1
        while True:
            rows = await db.fetchall(
                f"SELECT {listed} FROM {table} WHERE id > ? ORDER BY id LIMIT ?", (last, BATCH)
            )
            if not rows:
                return
            yield rows
            last = int(rows[-1][columns.index("id")])
    else:
        rows = await db.fetchall(f"SELECT {listed} FROM {table}")
        if rows:
            yield rows


async def check(db: Database, table: str) -> TableCheck:
    """The table's row count and order-independent digest."""
    columns = sorted(await _columns(db, table))  # the same order whatever the engine's
    total = 0
    count = 0
    async for rows in _batches(db, table, columns):
        for row in rows:
            total = (total + _row_hash(tuple(row))) % DIGEST_MODULUS
            count += 1
    return TableCheck(table, count, f"{total:064x}")


async def copy_all(source: Database, target: Database) -> list[TableCheck]:
    """Copy every table from ``source`` into the empty ``target`` and check the copy; returns
    each table's count and digest. Refuses a target that holds any row."""
    for table in TABLES:
        if await target.fetchone(f"SELECT 1 FROM {table} LIMIT 1") is not None:
            raise StorageError(f"the target is not empty ({table} has rows); nothing copied")
    for table in TABLES:
        columns = await _columns(source, table)
        async for rows in _batches(source, table, columns):
            await target.bulk_insert(table, columns, rows)
    await target.after_copy(sorted(WITH_ID))
    checks = []
    for table in TABLES:
        there, here = await check(source, table), await check(target, table)
        if there != here:
            raise StorageError(
                f"{table}: the copy differs ({there.rows} rows, digest {there.digest[:12]} →"
                f" {here.rows} rows, digest {here.digest[:12]})"
            )
        checks.append(here)
    return checks
