"""Tick benchmark: the scheduler's work against a growing history.

1,000 projects with two secretaries each, and 1k, 10k or 100k rows of history (closed rounds,
check-ins, answers, events). Measured in this process, against a real SQLite file: the tick
that opens every project's round and queues 2,000 prompts, a quiet tick (nothing due), and
the escalation sweep. The times should stay flat as the history grows.

    python -m bench.tick [--projects 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.config import Settings
from bot.services import build_services
from storage import Database, Repositories
from storage.db import to_db
from tests.conftest import ADMIN
from tests.fakebot import FakeClock
from tests.test_hot_queries import round_trips

SLOT = datetime(2030, 1, 7, 1, 0, tzinfo=UTC)  # a Monday, 09:00 in Shanghai


class _NoNotifier:
    async def send(self, *args: object, **kwargs: object) -> int:
        raise AssertionError("the tick benchmark sends nothing")

    async def send_document(self, *args: object, **kwargs: object) -> int:
        raise AssertionError("the tick benchmark sends nothing")

    async def edit(self, *args: object, **kwargs: object) -> None:
        raise AssertionError("the tick benchmark sends nothing")


async def seed(
    db: Database, projects: int, history: int, slot: datetime = SLOT, secretaries: int = 2
) -> None:
    """Projects with ``secretaries`` each (user ids from 10,000) and a daily schedule whose next
    slot is ``slot``, then about ``history`` rows of past rounds (rounds, check-ins, answers,
    events; two check-ins a round)."""
    at_time = slot.astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:%M")
    now = slot - timedelta(days=30)
    stamp = to_db(now)
    async with db.write() as conn:
        await conn.executemany(
            "INSERT INTO projects (id, name, timezone, created_at) VALUES (?, ?, ?, ?)",
            [(p, f"Project {p}", "Asia/Shanghai", stamp) for p in range(1, projects + 1)],
        )
        people = [(10_000 + n, f"S{n}", stamp, stamp) for n in range(projects * secretaries)]
        await conn.executemany(
            "INSERT INTO people (user_id, display_name, created_at, updated_at)"
            " VALUES (?, ?, ?, ?)",
            people,
        )
        await conn.executemany(
            "INSERT INTO memberships (project_id, user_id, role, added_at)"
            " VALUES (?, ?, 'secretary', ?)",
            [(1 + n // secretaries, 10_000 + n, stamp) for n in range(projects * secretaries)],
        )
        await conn.executemany(
            "INSERT INTO schedules (project_id, kind, at_time, weekdays, timezone, active_since,"
            " updated_at, next_due) VALUES (?, 'daily', ?, '', 'Asia/Shanghai', ?, ?, ?)",
            [(p, at_time, stamp, stamp, to_db(slot)) for p in range(1, projects + 1)],
        )
        # History: closed rounds of earlier days (long since summarized for their leaders),
        # each with its check-ins, answers, events.
        rounds = history // 6  # a round brings 1 + 2 check-ins + 2 answers + 1 event
        for n in range(rounds):
            project = 1 + n % projects
            day = slot - timedelta(days=1 + n // projects)
            cursor = await conn.execute(
                "INSERT INTO rounds (project_id, slot_at, local_date, closes_at, status, origin,"
                " opened_at, closed_at, summarized_at)"
                " VALUES (?, ?, ?, ?, 'closed', 'schedule', ?, ?, ?)",
                (project, to_db(day), day.date().isoformat(), *[to_db(day)] * 4),
            )
            round_id = cursor.lastrowid
            for k in range(2):
                checkin = await conn.execute(
                    "INSERT INTO checkins (round_id, user_id, status) VALUES (?, ?, 'answered')",
                    (round_id, 10_000 + secretaries * (project - 1) + k),
                )
                await conn.execute(
                    "INSERT INTO answers (checkin_id, kind, text, at) VALUES (?, 'progress', ?, ?)",
                    (checkin.lastrowid, "Level 3 poured, rebar tied", to_db(day)),
                )
            await conn.execute(
                "INSERT INTO events (at, kind, project_id, subject_id) VALUES (?, 'round.closed',"
                " ?, ?)",
                (to_db(day), project, round_id),
            )


async def measure(projects: int, history: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "tick.db")
        try:
            await seed(db, projects, history)
            clock = FakeClock(SLOT)
            settings = Settings(
                _env_file=None,  # type: ignore[call-arg]
                bot_token="1:x",  # type: ignore[arg-type]
                admin_ids=[ADMIN.id],
            )
            services = build_services(settings, Repositories(db, [ADMIN.id]), clock, _NoNotifier())
            began = time.perf_counter()
            with round_trips(db) as trips:
                report = await services.rounds.tick()
            opening = time.perf_counter() - began
            assert report.opened == projects, report
            clock.advance(timedelta(minutes=1))
            began = time.perf_counter()
            await services.rounds.tick()
            quiet = time.perf_counter() - began
            began = time.perf_counter()
            await services.escalation.tick()
            sweep = time.perf_counter() - began
            rows = await db.fetchone(
                "SELECT (SELECT count(*) FROM rounds) + (SELECT count(*) FROM checkins)"
                " + (SELECT count(*) FROM answers) + (SELECT count(*) FROM events) AS n"
            )
            return {
                "history rows": float(rows["n"] if rows else 0),
                "opening tick ms": opening * 1000,
                "its round trips": float(sum(trips.values())),
                "quiet tick ms": quiet * 1000,
                "escalation sweep ms": sweep * 1000,
            }
        finally:
            await db.close()


async def main(projects: int) -> None:
    for history in (1_000, 10_000, 100_000):
        row = await measure(projects, history)
        print(", ".join(f"{k} {v:.1f}" for k, v in row.items()))


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=1000)
    asyncio.run(main(parser.parse_args().projects))
