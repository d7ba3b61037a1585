"""/healthz and /metrics on METRICS_PORT."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from storage import StorageError
from tests.conftest import start_harness, stop_harness
from tests.e2e_helpers import project_with, run_jobs
from tests.fakebot import FakeBotAPI, FakeClock
from tests.test_e2e_ledger import SECRETARY
from tests.test_webhook import _free_port

SLOT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)


async def test_health_and_metrics(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = _free_port()
    bot = await start_harness(api, clock, tmp_path / "b.db", metrics_port=port)
    try:
        await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
        clock.set(SLOT)
        await run_jobs(bot)
        await bot.send(SECRETARY, "Foundation poured")
        base = f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as client:
            healthy = await client.get(f"{base}/healthz")
            assert healthy.status_code == 200
            body: dict[str, Any] = healthy.json()
            assert body["status"] == "ok" and body["database"] == "ok"
            assert body["scheduler"] == "ok" and body["bot_api"] == "ok"
            assert body["bot_api_last_ok_seconds"] < 60

            scraped = (await client.get(f"{base}/metrics")).text
            assert 'bangban_messages_sent_total{kind="prompt"} 1.0' in scraped
            assert 'bangban_updates_total{type="message"}' in scraped
            assert "bangban_handler_seconds_count" in scraped
            assert "bangban_outbox_depth 0.0" in scraped
            assert (await client.get(f"{base}/nothing")).status_code == 404

            async def broken(*args: object, **kwargs: object) -> None:
                raise StorageError("disk gone")

            monkeypatch.setattr(bot.services.repos.db, "fetchone", broken)
            sick = await client.get(f"{base}/healthz")
            assert sick.status_code == 503
            assert sick.json()["database"] == "unreachable: disk gone"
            assert sick.json()["status"] == "fail"
    finally:
        monkeypatch.undo()
        await stop_harness(bot)
