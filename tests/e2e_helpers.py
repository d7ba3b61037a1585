"""Steps many end-to-end tests share."""

from __future__ import annotations

from typing import Any

from tests.conftest import ADMIN, Harness
from tests.fakebot import ApiCall, FakeUser


async def invite_and_join(bot: Harness, project_id: int | None, role: str, user: FakeUser) -> str:
    """The admin invites ``user`` as ``role``; the user opens the link. Returns the welcome."""
    command = "/invite admin" if project_id is None else f"/invite {project_id} {role}"
    text = (await bot.send(ADMIN, command)).params["text"]
    token = text.rsplit("start=", 1)[1].strip()
    welcome = (await bot.send(user, f"/start {token}")).params["text"]
    assert "Welcome" in welcome or "欢迎" in welcome, welcome
    return str(welcome)


async def run_jobs(bot: Harness) -> None:
    """What the sweep and slot jobs do when they fire: tick, then deliver."""
    await bot.services.rounds.tick()
    await bot.services.outbox.drain()


async def project_with(
    bot: Harness, name: str, secretaries: list[FakeUser], schedule: str | None = None
) -> int:
    """Create a project, have each secretary join, optionally set a schedule; returns its id."""
    text = (await bot.send(ADMIN, f"/newproject {name}")).params["text"]
    project_id = int(text.split("“", 1)[0].split()[-1]) if "“" in text else 0
    for user in secretaries:
        await invite_and_join(bot, project_id, "secretary", user)
    if schedule:
        reply = (await bot.send(ADMIN, f"/schedule {project_id} {schedule}")).params["text"]
        assert "Next" in reply or "下次" in reply, reply
    await bot.services.outbox.drain()
    return project_id


def prompts_to(bot: Harness, user: FakeUser) -> list[str]:
    """Texts of the check-in prompts a user has received."""
    return [
        str(c.params["text"])
        for c in bot.api.sent_to(user.id)
        if "Check-in:" in c.params["text"] or "进展报送：" in c.params["text"]
    ]


async def send_answered(bot: Harness, user: FakeUser, text: str) -> tuple[dict[str, Any], ApiCall]:
    """``user`` sends ``text`` and the bot answers: the update (to edit it later) and the reply."""
    mark = len(bot.api.calls)
    sent = await bot.api.send_text(user, text)
    reply = await bot.api.reply_to(user.id, after=mark)
    await bot.settled(sent["update_id"])
    return sent, reply


async def edit_answered(bot: Harness, user: FakeUser, sent: dict[str, Any], text: str) -> ApiCall:
    """``user`` edits the message ``sent`` (its text, or a photo's caption) to ``text``; the
    bot's reply to the edit."""
    mark = len(bot.api.calls)
    edit = await bot.api.edit_text(user, sent, text)
    reply = await bot.api.reply_to(user.id, after=mark)
    await bot.settled(edit["update_id"])
    return reply
