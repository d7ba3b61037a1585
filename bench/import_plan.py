"""The office's plan workbook at a county's size: 200 projects with 2,000 milestones, from the
XLSX bytes an admin sends to the projects, plans and milestones written, through the real
services on an SQLite file (or PostgreSQL with BENCH_ENGINE=postgres, as the other benches).

Reported beside a baseline from the same run: openpyxl alone loading the same workbook (the
floor any import pays), and the same import a second time (nothing changes: the idempotent
path).

    python -m bench.import_plan [--projects 200] [--milestones 10]
"""

from __future__ import annotations

import argparse
import asyncio
import io
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from openpyxl import load_workbook
from pydantic import SecretStr

from bench.tick import _NoNotifier
from bot.config import Settings
from bot.plans import workbook
from bot.services import build_services
from storage import Database, Repositories
from tests.conftest import ADMIN
from tests.fakebot import FakeClock

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


def filled(projects: int, milestones: int) -> bytes:
    book = load_workbook(io.BytesIO(workbook.template()))
    sheet, steps = book[workbook.PROJECTS], book[workbook.MILESTONES]
    sheet.delete_rows(2)
    steps.delete_rows(2)
    start = date(2026, 4, 1)
    for n in range(1, projects + 1):
        sheet.append(
            [f"项目{n:04d}", "在建", 20000 + n, 5000, f"线{n % 5}", f"镇{n % 12}",
             "2026-03-01", "2027-12-31", "主体完工"]
        )  # fmt: skip
        for k in range(milestones):
            steps.append([f"项目{n:04d}", f"节点{k + 1}", start + timedelta(days=14 * k)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


async def run(projects: int, milestones: int) -> None:
    data = filled(projects, milestones)
    started = time.perf_counter()
    load_workbook(io.BytesIO(data))
    floor = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=SecretStr("1:x"),
            admin_ids=[ADMIN.id],
        )
        services = build_services(
            settings,
            Repositories(db, [ADMIN.id]),
            FakeClock(NOW),
            _NoNotifier(),
        )
        timings = []
        for attempt in ("first import", "same workbook again"):
            started = time.perf_counter()
            reply = await services.imports.preview(ADMIN.id, "plan.xlsx", data, "en")
            checked = time.perf_counter() - started
            applied = 0.0
            if reply.buttons:
                data_id = reply.buttons[0][0].data
                started = time.perf_counter()
                await services.imports.press(ADMIN.id, data_id, "en")
                applied = time.perf_counter() - started
            timings.append((attempt, checked, applied))
        count = await services.repos.projects.count()
        steps = len(await services.repos.plans.milestones(None))
        await db.close()
    size = len(data) / 1024
    print(f"workbook: {projects} projects, {projects * milestones} milestones, {size:.0f} KB")
    print(f"baseline, openpyxl loading it alone: {floor:.2f} s")
    for attempt, checked, applied in timings:
        print(f"{attempt}: checked and previewed {checked:.2f} s, applied {applied:.2f} s,"
              f" total {checked + applied:.2f} s")  # fmt: skip
    print(f"written: {count} projects, {steps} milestones")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=200)
    parser.add_argument("--milestones", type=int, default=10)
    args = parser.parse_args()
    asyncio.run(run(args.projects, args.milestones))


if __name__ == "__main__":
    main()
