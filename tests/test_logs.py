"""Logs: one line per update and delivery; JSON for machines; secrets never shown."""

from __future__ import annotations

import asyncio
import json
import logging
import signal
import sys
from pathlib import Path

from bot.logs import JsonFormatter
from tests.conftest import ADMIN, TOKEN, process_env
from tests.fakebot import FakeBotAPI


def test_a_json_line_carries_context_and_masks_secrets() -> None:
    formatter = JsonFormatter([TOKEN])
    try:
        raise ValueError(f"bad request to /bot{TOKEN}/sendMessage")
    except ValueError:
        record = logging.LogRecord(
            "bot.x", logging.ERROR, __file__, 1, "failed for %s", (TOKEN,), sys.exc_info()
        )
    record.update_id = 7
    record.outcome = "error"
    line = formatter.format(record)
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["update_id"] == 7 and entry["outcome"] == "error"
    assert TOKEN not in line and "[redacted]" in entry["message"]
    assert "ValueError" in entry["traceback"]


async def test_the_process_logs_json_lines_per_update(api: FakeBotAPI, tmp_path: Path) -> None:
    env = process_env(api, tmp_path / "bangban.db", LOG_FORMAT="json")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=tmp_path, env=env, stderr=asyncio.subprocess.PIPE
    )
    try:
        await api.wait_for(lambda c: c.method == "setMyCommands", timeout=30)
        mark = len(api.calls)
        await api.send_text(ADMIN, "/newproject 东区道路")
        await api.reply_to(ADMIN.id, after=mark, timeout=30)
    finally:
        process.send_signal(signal.SIGTERM)
        await api.release_polls()
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    lines = [json.loads(line) for line in stderr.decode().splitlines() if line.strip()]
    handled = [e for e in lines if e.get("logger") == "handlers.updates"]
    assert handled and handled[0]["outcome"] == "ok" and handled[0]["chat_id"] == ADMIN.id
    assert "update_id" in handled[0] and "ms" in handled[0]
    assert TOKEN not in stderr.decode()
