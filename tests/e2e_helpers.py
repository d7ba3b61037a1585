"""Steps many end-to-end tests share."""

from __future__ import annotations

from tests.conftest import ADMIN, Harness
from tests.fakebot import FakeUser


async def invite_and_join(bot: Harness, project_id: int | None, role: str, user: FakeUser) -> str:
    """The admin invites ``user`` as ``role``; the user opens the link. Returns the welcome."""
    command = "/invite admin" if project_id is None else f"/invite {project_id} {role}"
    text = (await bot.send(ADMIN, command)).params["text"]
    token = text.rsplit("start=", 1)[1].strip()
    welcome = (await bot.send(user, f"/start {token}")).params["text"]
    assert "Welcome" in welcome or "欢迎" in welcome, welcome
    return str(welcome)
