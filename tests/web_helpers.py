"""The bot with its web server on a free port, and Telegram's signed init data for a person."""

from __future__ import annotations

import json
import socket
from datetime import datetime, timedelta
from pathlib import Path

import httpx

from bot.web.initdata import sign
from tests.conftest import ADMIN, TOKEN, Harness, start_harness
from tests.e2e_helpers import invite_and_join, project_with
from tests.fakebot import FakeBotAPI, FakeClock, FakeUser

PUBLIC = "https://board.example.org"
SECRETARY = FakeUser(2001, "Li Wei", "liwei", "en")
LEADER = FakeUser(3001, "Zhang San", "zhangsan", "en")
OTHER_SECRETARY = FakeUser(2002, "王芳", "wangfang", "zh-hans")
STRANGER = FakeUser(5001, "Eve", "eve", "en")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def init_data(
    user: FakeUser, at: datetime, *, token: str = TOKEN, language: str | None = None
) -> str:
    """What Telegram hands the Mini App for ``user``, signed at ``at`` with ``token``."""
    fields = {
        "auth_date": str(int(at.timestamp())),
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps(
            {
                "id": user.id,
                "first_name": user.first_name,
                "username": user.username,
                "language_code": language or user.language_code,
            },
            separators=(",", ":"),
            ensure_ascii=False,
        ),
    }
    return sign(fields, token)


async def web_bot(api: FakeBotAPI, clock: FakeClock, path: Path) -> tuple[Harness, str]:
    """The bot with its web server and board on; its base address."""
    port = free_port()
    bot = await start_harness(api, clock, path, web_port=port, web_public_url=PUBLIC)
    return bot, f"http://127.0.0.1:{port}"


async def two_projects(bot: Harness) -> None:
    """Project 1 (secretary Li Wei, leader Zhang San) with problem #1; project 2 (secretary 王芳)
    with problem #2."""
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    await project_with(bot, "北环路大桥", [OTHER_SECRETARY])
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    await bot.send(OTHER_SECRETARY, "/newproblem 2 征地拆迁进度滞后，需要协调自然资源局")
    await bot.services.outbox.drain()


def as_user(user: FakeUser, clock: FakeClock, *, age: timedelta = timedelta()) -> dict[str, str]:
    return {"Authorization": f"tma {init_data(user, clock.now() - age)}"}


async def get(base: str, path: str, headers: dict[str, str] | None = None) -> httpx.Response:
    async with httpx.AsyncClient(base_url=base) as client:
        return await client.get(path, headers=headers or {})


__all__ = ["ADMIN", "as_user", "get", "init_data", "two_projects", "web_bot"]
