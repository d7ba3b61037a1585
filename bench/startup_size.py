"""Start-up against the size of the database: after a clean stop and after a crash.

A database of 10,000 projects (``bench.tick.seed``) is padded with history (event rows of 1 KB)
to each size asked for; the real ``python -m bot`` is started on it twice, once as after a clean
stop and once as after a crash (the clean-stop mark removed), and the seconds from starting the
process to its first answer are reported beside the same bot on an empty database, in the same
run. After a clean stop the integrity check runs in the background; after a crash before the
first update.

    python -m bench.startup_size [--sizes 100,1000] [--projects 10000]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sqlite3
import tempfile
import time
from pathlib import Path

from bench.harness import bangban
from bench.startup import first_update
from bench.tick import seed
from storage import Database
from tests.conftest import ADMIN
from tests.fakebot import FakeBotAPI

ROW_BYTES = 1000


def pad(path: Path, megabytes: int) -> None:
    """Add event rows until the file is about ``megabytes`` large."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        while path.stat().st_size < megabytes * 1024 * 1024:
            rows = [
                ("2026-01-01T00:00:00.000000Z", "bench.pad", os.urandom(ROW_BYTES // 2).hex())
                for _ in range(50_000)
            ]
            conn.executemany("INSERT INTO events (at, kind, detail) VALUES (?, ?, ?)", rows)
            conn.commit()
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


def crash_mark(path: Path) -> None:
    """Leave the file as a crash would: no clean stop recorded."""
    conn = sqlite3.connect(path)
    try:
        conn.execute("DELETE FROM meta WHERE key = 'clean_stop'")
        conn.commit()
    finally:
        conn.close()


async def first_answer(api: FakeBotAPI, path: Path) -> float:
    async with bangban(api, path, 1000) as process:
        return await first_update(api, process)


async def main(sizes: list[int], projects: int) -> None:
    api = FakeBotAPI()
    await api.start()
    api.known_chats.add(ADMIN.id)
    try:
        with tempfile.TemporaryDirectory() as folder:
            empty = Path(folder) / "empty.db"
            print(f"empty database: first answer after {await first_answer(api, empty):.2f} s")
            path = Path(folder) / "big.db"
            db = await Database.open(path)
            await seed(db, projects, 10_000)
            await db.close()
            for size in sizes:
                began = time.monotonic()
                await asyncio.to_thread(pad, path, size)
                megabytes = path.stat().st_size / 1024 / 1024
                print(f"padded to {megabytes:.0f} MB in {time.monotonic() - began:.0f} s")
                clean = await first_answer(api, path)  # its stop is clean: marked again
                await asyncio.to_thread(crash_mark, path)
                crashed = await first_answer(api, path)
                print(
                    f"  {megabytes:.0f} MB: first answer after {clean:.2f} s (after a clean stop),"
                    f" {crashed:.2f} s (after a crash: integrity check first)"
                )
    finally:
        await api.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="100,1000", help="megabytes, comma-separated")
    parser.add_argument("--projects", type=int, default=10_000)
    args = parser.parse_args()
    asyncio.run(main([int(s) for s in args.sizes.split(",")], args.projects))
