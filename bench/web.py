"""The board at a county's size: 1,000 projects (two secretaries each, a week of rounds) and
10,000 problems, served by the real bot's web server over the loopback.

Each API endpoint is asked 200 times in a row as the office's admin; p50 and p95 are reported
beside ``GET /api/me`` in the same run (the floor every call pays: the HTTP round trip, the
init data's signature and the viewer's roles). Then headless Chromium (Debian's) opens the
board and the ledger five times each, from navigation to the page drawn, beside the same page
answered 401 (the page's own weight, no data).

    python -m bench.web [--projects 1000] [--problems 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import shutil
import statistics
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
from playwright.async_api import async_playwright
from pydantic import SecretStr

from bench.tick import SLOT, seed
from bot.app import build_application, start, stop
from bot.config import Settings
from bot.jobs import services_of
from storage import Database
from storage.db import to_db
from tests.conftest import ADMIN, TOKEN
from tests.fakebot import FakeBotAPI, FakeClock
from tests.web_helpers import STRANGER, free_port, init_data

ENDPOINTS = (
    "/api/me",
    "/api/projects",
    "/api/problems",
    "/api/problems?status=all&overdue=1",
    "/api/problems?q=%E8%BF%81%E6%94%B9",  # 迁改: a substring search over every problem
    "/api/projects/17",
    "/api/problems/4321",
)


async def _problems(db: Database, projects: int, count: int) -> None:
    async with db.write() as conn:
        await conn.executemany(
            "INSERT INTO problems (project_id, reporter_id, text, created_at, deadline,"
            " coordination, proposal, status) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    1 + n % projects,
                    10_000 + 2 * (n % projects),
                    f"问题{n}：{'供电线路迁改未完成' if n % 50 == 0 else '便道需协调'}",
                    to_db(SLOT - timedelta(days=n % 40)),
                    to_db(SLOT + timedelta(days=(n % 20) - 10)),
                    "需供电公司本周内迁改线路",
                    "先施工南段，北段待迁改后跟进",
                    ("open", "in_progress", "awaiting", "resolved")[n % 4],
                )
                for n in range(count)
            ],
        )


def _ms(values: list[float]) -> str:
    ordered = sorted(values)
    p95 = ordered[max(0, int(len(ordered) * 0.95) - 1)]
    return f"p50 {statistics.median(ordered) * 1000:6.1f} ms  p95 {p95 * 1000:6.1f} ms"


async def run(projects: int, problems: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = await Database.open(Path(folder) / "bench.db")
        await seed(db, projects, projects * 7 * 6, SLOT)
        await _problems(db, projects, problems)
        api = FakeBotAPI()
        await api.start()
        clock = FakeClock(SLOT + timedelta(hours=2))
        port = free_port()
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            bot_token=SecretStr(TOKEN),
            admin_ids=[ADMIN.id],
            database_path=Path(folder) / "bench.db",
            bot_api_base_url=api.base_url,
            web_port=port,
            web_public_url="https://board.example.org",
        )
        application = build_application(settings, db, clock)
        api.known_chats.add(ADMIN.id)
        await start(application, poll_timeout=timedelta(seconds=1))
        # The seeded overdue problems are escalated at start: let that finish first, so the
        # figures are the board's alone.
        outbox = services_of(application).repos.outbox
        for _ in range(600):
            await asyncio.sleep(0.5)
            if (await outbox.depth())[0] == 0:
                break
        base = f"http://127.0.0.1:{port}"
        gc.collect()  # as run_until does after start-up (python -m bot)
        gc.freeze()
        try:
            print(f"web: {projects} projects, {problems} problems, 200 calls each as the admin")
            headers = {"Authorization": "tma " + init_data(ADMIN, clock.now())}
            async with httpx.AsyncClient(base_url=base, headers=headers) as client:
                for path in ENDPOINTS:
                    timings = []
                    for _ in range(200):
                        started = time.perf_counter()
                        response = await client.get(path)
                        timings.append(time.perf_counter() - started)
                        assert response.status_code == 200, (path, response.text[:200])
                    size = len(response.content) / 1024
                    label = "baseline " if path == "/api/me" else ""
                    print(f"  {label}{path:40} {_ms(timings)}  {size:7.1f} KB")
            await _browser(base, clock)
        finally:
            await api.release_polls()
            await stop(application)
            await db.close()
            await api.stop()


async def _browser(base: str, clock: FakeClock) -> None:
    chromium = shutil.which("chromium")
    if chromium is None:
        print("  (no chromium: page timings skipped)")
        return

    def url(user: object) -> str:
        data = quote(init_data(user, clock.now()), safe="")  # type: ignore[arg-type]
        return f"{base}/app/#tgWebAppData={data}"

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(executable_path=chromium)
        board, ledger, refused = [], [], []
        for _ in range(5):
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            started = time.perf_counter()
            await page.goto(url(STRANGER))
            await page.wait_for_selector("#signed-out")
            refused.append(time.perf_counter() - started)
            await page.close()
            page = await browser.new_page(viewport={"width": 1920, "height": 1080})
            started = time.perf_counter()
            await page.goto(url(ADMIN))
            await page.wait_for_selector("#projects")
            board.append(time.perf_counter() - started)
            started = time.perf_counter()
            await page.evaluate("location.hash = '#/problems'")
            await page.wait_for_selector("#problems")
            ledger.append(time.perf_counter() - started)
            await page.close()
        for label, timings in (
            ("baseline: refused (401)", refused),
            ("the board (from navigation)", board),
            ("the ledger (from the board)", ledger),
        ):
            print(f"  page ready, {label:30} median {statistics.median(timings) * 1000:6.0f} ms")
        await browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--projects", type=int, default=1000)
    parser.add_argument("--problems", type=int, default=10_000)
    args = parser.parse_args()
    # The bot escalates the seeded overdue problems meanwhile; its warnings are not the figures.
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger().setLevel(logging.ERROR)
    asyncio.run(run(args.projects, args.problems))


if __name__ == "__main__":
    main()
