"""A year of history: start-up, the sweeps and the hot queries against 1, 30 and 365 days.

10,000 projects with two secretaries each (``bench.tick.seed``), then day after day of what a
day leaves behind: every project's round (closed and summarized), its two check-ins answered,
their answers, the day's events, and, for the last 14 days only (older ones are pruned), the
day's delivered outbox rows as a delivered row is kept (no text). Measured at each size, beside
the same bot on an empty database in the same run:

- the file's size;
- seconds from starting ``python -m bot`` (after a clean stop) to its first answer;
- in this process, on the same file: the quiet tick (nothing due), the escalation and digest
  sweeps, the outbox's due query, a project's /status read, and the daily prune, each the
  median of five.

The figures should stay flat from 1 day to 365.

    python -m bench.history [--days 1,30,365] [--projects 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.startup_size import first_answer
from bench.tick import _NoNotifier, seed
from bot.config import Settings
from bot.services import build_services
from storage import Database, Repositories
from storage.db import to_db
from tests.conftest import ADMIN
from tests.fakebot import FakeBotAPI, FakeClock

SECRETARIES = 2
FIRST_USER = 10_000  # bench.tick.seed's secretaries
OUTBOX_KEPT_DAYS = 14  # bot.jobs.OUTBOX_KEEP
ANSWER = "三号楼主体封顶，正在进行二次结构施工；下周计划完成四号楼基础验收。"


def _day_rows(
    conn: sqlite3.Connection, projects: int, day: datetime, ids: dict[str, int], outbox: bool
) -> int:
    """One day of every project's history, in one transaction; how many rows."""
    stamp = to_db(day)
    closed = to_db(day + timedelta(hours=8))
    local = day.date().isoformat()
    rounds, checkins, answers, events, messages = [], [], [], [], []
    for project in range(1, projects + 1):
        round_id = ids["rounds"] = ids["rounds"] + 1
        rounds.append((round_id, project, stamp, local, closed, stamp, closed, closed))
        events.append((stamp, "round.opened", project, round_id))
        events.append((closed, "round.closed", project, round_id))
        for k in range(SECRETARIES):
            user = FIRST_USER + SECRETARIES * (project - 1) + k
            checkin_id = ids["checkins"] = ids["checkins"] + 1
            checkins.append((checkin_id, round_id, user, stamp))
            answers.append((checkin_id, ANSWER, stamp))
            events.append((stamp, "checkin.answered", project, checkin_id))
            if outbox:
                messages.append((f"p:{checkin_id}", project, user, user, stamp, stamp))
    conn.execute("BEGIN")
    conn.executemany(
        "INSERT INTO rounds (id, project_id, slot_at, local_date, closes_at, status, origin,"
        " opened_at, closed_at, summarized_at)"
        " VALUES (?, ?, ?, ?, ?, 'closed', 'schedule', ?, ?, ?)",
        rounds,
    )
    conn.executemany(
        "INSERT INTO checkins (id, round_id, user_id, status, outcome, answered_at)"
        " VALUES (?, ?, ?, 'answered', 'answered', ?)",
        checkins,
    )
    conn.executemany(
        "INSERT INTO answers (checkin_id, kind, question_no, text, at)"
        " VALUES (?, 'progress', 1, ?, ?)",
        answers,
    )
    conn.executemany(
        "INSERT INTO events (at, kind, project_id, subject_id) VALUES (?, ?, ?, ?)", events
    )
    conn.executemany(
        "INSERT INTO outbox (dedupe_key, kind, project_id, chat_id, user_id, text, status,"
        " attempts, next_attempt_at, created_at, sent_at, message_id, queued_for)"
        " VALUES (?, 'prompt', ?, ?, ?, '', 'sent', 1, ?, ?, NULL, 1, '')",
        messages,
    )
    conn.execute("COMMIT")
    return len(rounds) + len(checkins) + len(answers) + len(events) + len(messages)


def grow(path: Path, projects: int, days: range, today: datetime) -> int:
    """Add the days ``days`` (counted back from ``today``) of history; how many rows."""
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=OFF")
        ids = {
            table: conn.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()[0]
            for table in ("rounds", "checkins")
        }
        rows = sum(
            _day_rows(
                conn,
                projects,
                today - timedelta(days=back),
                ids,
                back <= OUTBOX_KEPT_DAYS,
            )
            for back in days
        )
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return rows
    finally:
        conn.close()


async def _median_ms(work: Callable[[], Awaitable[Any]], times: int = 5) -> float:
    spent = []
    for _ in range(times):
        began = time.perf_counter()
        await work()
        spent.append(time.perf_counter() - began)
    return statistics.median(spent) * 1000


async def sweeps(path: Path, now: datetime, projects: int) -> dict[str, float]:
    """The scheduler's recurring work on this file, at a moment when nothing is due."""
    db = await Database.open(path)
    try:
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token="1:x",  # type: ignore[arg-type]
            admin_ids=[ADMIN.id],
        )
        repos = Repositories(db, [ADMIN.id])
        services = build_services(settings, repos, FakeClock(now), _NoNotifier())
        return {
            "quiet tick ms": await _median_ms(services.rounds.tick),
            "escalation sweep ms": await _median_ms(services.escalation.tick),
            "digest sweep ms": await _median_ms(services.digest.tick),
            "outbox due ms": await _median_ms(lambda: repos.outbox.due(now, 500)),
            "a project's status ms": await _median_ms(lambda: services.rounds.status(projects)),
            "prune ms": await _median_ms(
                lambda: repos.outbox.prune(now - timedelta(days=OUTBOX_KEPT_DAYS))
            ),
        }
    finally:
        await db.close()


async def main(sizes: list[int], projects: int) -> None:
    api = FakeBotAPI()
    await api.start()
    api.known_chats.add(ADMIN.id)
    now = datetime.now(UTC).replace(microsecond=0)
    today = now.replace(hour=1, minute=0, second=0) - timedelta(days=1)
    try:
        with tempfile.TemporaryDirectory() as folder:
            empty = Path(folder) / "empty.db"
            print(f"empty database: first answer after {await first_answer(api, empty):.2f} s")
            path = Path(folder) / "year.db"
            db = await Database.open(path)
            # Every project's next slot is tomorrow's: nothing falls due while measuring.
            await seed(db, projects, 0, today + timedelta(days=2))
            await db.close()
            done = 0
            for days in sorted(sizes):
                began = time.monotonic()
                rows = await asyncio.to_thread(grow, path, projects, range(done, days), today)
                done = days
                megabytes = path.stat().st_size / 1024 / 1024
                print(
                    f"{days} days: {rows} rows added in {time.monotonic() - began:.0f} s,"
                    f" {megabytes:.0f} MB"
                )
                figures = {"first answer s": await first_answer(api, path)}
                figures |= await sweeps(path, now, projects)
                print("  ", ", ".join(f"{k} {v:.2f}" for k, v in figures.items()), flush=True)
    finally:
        await api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", default="1,30,365", help="comma-separated")
    parser.add_argument("--projects", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(main([int(d) for d in args.days.split(",")], args.projects))
