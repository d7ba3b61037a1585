"""Webhook mode: updates posted to the bot's own endpoint, only with Telegram's secret token."""

from __future__ import annotations

import json
import socket
from pathlib import Path

import httpx
import pytest

from bot.config import SettingsError, load_settings
from tests.conftest import ADMIN, TOKEN, start_harness, stop_harness
from tests.fakebot import FakeBotAPI, FakeClock

SECRET = "s3cret_Token-1"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _update(update_id: int, text: str) -> dict[str, object]:
    return {
        "update_id": update_id,
        "message": {
            "message_id": update_id,
            "date": 0,
            "chat": {"id": ADMIN.id, "type": "private", "first_name": ADMIN.first_name},
            "from": ADMIN.as_dict(),
            "text": text,
            "entities": [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}],
        },
    }


async def test_updates_come_by_webhook_and_need_the_secret(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    port = _free_port()
    bot = await start_harness(
        api,
        clock,
        tmp_path / "b.db",
        webhook_url="https://bot.example.org/bangban-hook",
        webhook_port=port,
        webhook_secret=SECRET,
    )
    try:
        registered = [c for c in api.calls if c.method == "setWebhook"]
        assert registered and registered[0].params["url"] == "https://bot.example.org/bangban-hook"
        assert registered[0].params["secret_token"] == SECRET
        assert not [c for c in api.calls if c.method == "getUpdates"]  # no polling
        url = f"http://127.0.0.1:{port}/bangban-hook"
        api.known_chats.add(ADMIN.id)  # Telegram knows the chat the update comes from
        async with httpx.AsyncClient() as client:
            forged = await client.post(url, json=_update(1, "/newproject Forged"))
            assert forged.status_code == 403
            wrong = await client.post(
                url,
                json=_update(2, "/newproject Forged"),
                headers={"X-Telegram-Bot-Api-Secret-Token": "guess"},
            )
            assert wrong.status_code == 403
            mark = len(api.calls)
            sent = await client.post(
                url,
                content=json.dumps(_update(3, "/newproject 城东路")),
                headers={
                    "X-Telegram-Bot-Api-Secret-Token": SECRET,
                    "Content-Type": "application/json",
                },
            )
            assert sent.status_code == 200
        reply = await api.reply_to(ADMIN.id, after=mark)
        assert "城东路" in reply.params["text"]
        assert "Forged" not in str([c.params for c in api.calls])
    finally:
        await stop_harness(bot)


def test_webhook_settings_are_checked_at_start_up(tmp_path: Path) -> None:
    base = {"bot_token": TOKEN, "database_path": tmp_path / "b.db", "_env_file": None}
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET is required"):
        load_settings(**base, webhook_url="https://bot.example.org/hook")
    with pytest.raises(SettingsError, match="WEBHOOK_SECRET must be 1-256 characters"):
        load_settings(**base, webhook_url="https://bot.example.org/hook", webhook_secret="a b")
    with pytest.raises(SettingsError, match="WEBHOOK_URL must start with https://"):
        load_settings(**base, webhook_url="http://bot.example.org/hook", webhook_secret="x")
    assert load_settings(**base).webhook_url is None  # polling
