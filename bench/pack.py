"""The dispatch meeting's material (调度会材料) at a county's size: 500 projects, each with a
week of two secretaries' reports and three open problems, as one Word document.

Reported beside a baseline from the same run: python-docx writing a document of the same
number of paragraphs and table rows with no database behind it (the floor any DOCX pays).

    python -m bench.pack [--projects 500]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from pydantic import SecretStr

from bench.tick import SLOT, _NoNotifier, seed
from bot.config import Settings
from bot.documents import report_document
from bot.services import build_services
from storage import Database, Repositories
from storage.db import to_db
from tests.conftest import ADMIN
from tests.fakebot import FakeClock


async def run(projects: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        # A week of rounds before the slot: 7 days x projects, two answers each.
        await seed(db, projects, projects * 7 * 6, SLOT + timedelta(days=7))
        now = SLOT + timedelta(days=6, hours=10)
        async with db.write() as conn:
            await conn.executemany(
                "INSERT INTO problems (project_id, reporter_id, text, created_at, deadline,"
                " coordination, proposal) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        p,
                        10_000 + 2 * (p - 1),
                        f"问题{k}：供电线路迁改未完成，影响北段开挖",
                        to_db(SLOT),
                        to_db(SLOT + timedelta(days=3 + k)),
                        "需供电公司本周内迁改线路",
                        "先施工南段，北段待迁改后跟进",
                    )
                    for p in range(1, projects + 1)
                    for k in range(3)
                ],
            )
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=SecretStr("1:x"),
            admin_ids=[ADMIN.id],
        )
        services = build_services(
            settings, Repositories(db, [ADMIN.id]), FakeClock(now), _NoNotifier()
        )
        period = services.pack.period_of_key("2030-W02")
        started = time.perf_counter()
        name, data = await services.pack.document(period, "zh-CN")
        made = time.perf_counter() - started
        await db.close()
    blocks: list[tuple[object, ...]] = []
    for p in range(projects):
        blocks += [("heading", f"{p}. 项目"), ("text", "阶段")]
        blocks += [("text", "3月2日 李伟——形象进度：Level 3 poured") for _ in range(14)]
        blocks.append(("table", ["编号"] * 8, [["#1"] * 8 for _ in range(3)]))
    started = time.perf_counter()
    floor = report_document("标题", "第2周", blocks)
    baseline = time.perf_counter() - started
    print(f"pack: {projects} projects, {name}, {len(data) / 1024:.0f} KB, made in {made:.2f} s")
    print(
        f"baseline, python-docx alone, same shape: {len(floor) / 1024:.0f} KB in {baseline:.2f} s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=500)
    asyncio.run(run(parser.parse_args().projects))


if __name__ == "__main__":
    main()
