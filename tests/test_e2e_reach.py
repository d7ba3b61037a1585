"""End to end: escalations always reach someone, notices go with their cause, errors anywhere
reach the admins, forged presses are logged, and the overall rate limit holds."""

from __future__ import annotations

import logging
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from storage.outbox import OutgoingMessage
from tests.conftest import ADMIN, Harness, start_harness, stop_harness
from tests.e2e_helpers import invite_and_join, project_with, run_jobs
from tests.fakebot import FakeBotAPI, FakeClock, FakeGroup, FakeUser, buttons_of
from tests.test_e2e_checkins import SLOT

S1 = FakeUser(2001, "Li Wei", "liwei", "en")
LEADER = FakeUser(3001, "Zhang San", "zhangsan", "en")
GROUP = FakeGroup(-100777, "Leadership group")


async def _overdue(bot: Harness) -> None:
    await project_with(bot, "Plant", [S1])
    await invite_and_join(bot, 1, "leader", LEADER)
    reported = await bot.send(S1, "/newproblem 1 Crane broken")
    await bot.press(S1, reported, "pb:d1:1")
    bot.clock.advance(timedelta(days=1, minutes=1))


def _to_admin(bot: Harness, marker: str) -> list[Any]:
    return [c for c in bot.api.sent_to(ADMIN.id) if marker in c.params["text"]]


async def test_a_card_for_a_leader_who_blocked_the_bot_goes_to_the_admins(bot: Harness) -> None:
    await _overdue(bot)
    bot.api.blocked.add(LEADER.id)
    await bot.services.escalation.tick()
    await bot.services.outbox.drain()
    instead = _to_admin(bot, "Could not deliver this to Zhang San (@zhangsan)")
    assert len(instead) == 1
    assert "blocked" in instead[0].params["text"] and "Crane broken" in instead[0].params["text"]
    assert ("✍️ Acknowledge", "pb:ack:1") in buttons_of(instead[0])
    await bot.services.outbox.drain()
    assert len(_to_admin(bot, "Could not deliver")) == 1  # once


async def test_a_long_card_goes_to_the_admins_whole(bot: Harness) -> None:
    """A card near Telegram's limit, redirected: the reason above it no longer pushes its end
    off (or the message past the limit); the card follows in a message of its own, with its
    buttons."""
    await project_with(bot, "Plant", [S1])
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.send(S1, "/newproblem 1 " + "Crane broken; " * 140 + "END")
    await bot.send(S1, "County depot " * 150 + "LAST")
    bot.clock.advance(timedelta(days=3, minutes=1))
    bot.api.blocked.add(LEADER.id)
    await bot.services.escalation.tick()
    await bot.services.outbox.drain()
    header = _to_admin(bot, "Could not deliver this to Zhang San (@zhangsan)")
    # (The admin also had the new-problem card, NEW_PROBLEM_TO; this is the escalation's.)
    (card,) = [c for c in bot.api.sent_to(ADMIN.id) if c.params["text"].startswith("🚨 Level 1")]
    assert len(header) == 1 and card is not header[0]
    assert card.params["text"].startswith("🚨 Level 1")  # the card as the leader would see it
    assert ("✍️ Acknowledge", "pb:ack:1") in buttons_of(card)
    assert not [c for c in bot.api.refusals if c.params.get("chat_id") == ADMIN.id]


async def test_a_card_for_a_group_that_removed_the_bot_goes_to_the_admins(bot: Harness) -> None:
    await _overdue(bot)
    await bot.send(ADMIN, "/setgroup 1", group=GROUP)
    await bot.services.escalation.tick()
    await bot.services.outbox.drain()
    bot.api.blocked.add(GROUP.id)  # the bot was removed from the group
    bot.clock.advance(timedelta(days=2, minutes=1))
    await bot.services.escalation.tick()
    await bot.services.outbox.drain()
    instead = _to_admin(bot, "Could not deliver this to the leadership group")
    assert len(instead) == 1 and "Crane broken" in instead[0].params["text"]


async def test_a_problem_resolved_a_moment_ago_gets_no_card(bot: Harness) -> None:
    await _overdue(bot)
    due = await bot.services.repos.escalations.due_level1(bot.clock.now())
    assert [p.id for p in due] == [1]
    await bot.services.decisions.resolve(LEADER.id, 1, "fixed")  # between reading and escalating
    assert not await bot.services.escalation._escalate(due[0], 1, bot.clock.now())
    await bot.services.outbox.drain()
    assert await bot.db.fetchall("SELECT * FROM escalations") == []
    assert not [c for c in bot.api.sent_to(LEADER.id) if "escalation" in c.params["text"]]


async def test_a_caught_up_round_reminds_from_when_the_prompt_was_sent(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "b.db"
    bot = await start_harness(api, clock, path)
    await project_with(bot, "Plant", [S1], "daily 09:00")
    await stop_harness(bot)
    clock.set(SLOT + timedelta(hours=3))  # down through 09:00; the prompt goes out at 12:00
    bot = await start_harness(api, clock, path)
    await run_jobs(bot)
    clock.advance(timedelta(hours=1, minutes=59))
    await run_jobs(bot)
    assert not [c for c in api.sent_to(S1.id) if "Reminder" in c.params["text"]]
    clock.advance(timedelta(minutes=2))
    await run_jobs(bot)
    assert len([c for c in api.sent_to(S1.id) if "Reminder" in c.params["text"]]) == 1


async def test_a_long_history_is_shown_whole_and_cards_keep_the_newest(bot: Harness) -> None:
    """/problem ("with its full history") shows every entry, in order, over several messages;
    a card to act on keeps the newest entries and counts the older ones."""
    await project_with(bot, "Plant", [S1])
    await bot.send(S1, "/newproblem 1 Crane broken")
    await bot.send(S1, "/cancel")
    for n in range(1, 13):
        await bot.send(S1, f"/note 1 note-{n:02d} " + "progress detail " * 40)
    mark = len(bot.api.calls)
    await bot.send(S1, "/problem 1")
    parts = [c.params["text"] for c in bot.api.calls[mark:] if c.params.get("chat_id") == S1.id]
    whole = "\n".join(parts)
    assert len(parts) > 1 and all(len(part) <= 4096 for part in parts)
    positions = [whole.index(f"note-{n:02d} ") for n in range(1, 13)]
    assert positions == sorted(positions) and "earlier entries not shown" not in whole
    ledger = bot.services.ledger
    problem = await ledger.problem(1)
    history = await bot.services.repos.problems.history(1)
    card = ledger.cards.render_card(problem, history, "en", level=1).text
    assert "note-12" in card and "note-01 " not in card
    assert "earlier entries not shown" in card and len(card) <= 4096


async def test_an_error_in_a_scheduled_job_reaches_the_admins(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    await bot.send(ADMIN, "/start")

    async def broken(*args: object) -> None:  # tick(on_prompts_queued) as the jobs call it
        raise RuntimeError("clock broke")

    monkeypatch.setattr(bot.services.rounds, "tick", broken)
    assert bot.app.job_queue is not None
    sweep = bot.app.job_queue.get_jobs_by_name("sweep")[0]
    await sweep.run(bot.app)
    await bot.api.wait_for(
        lambda c: c.params.get("chat_id") == ADMIN.id and "clock broke" in c.params.get("text", "")
    )
    assert "job sweep" in _to_admin(bot, "clock broke")[0].params["text"]


async def test_forged_presses_of_every_kind_are_refused_and_logged(
    bot: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    await project_with(bot, "Plant", [S1], "daily 09:00")
    message = await bot.send(S1, "/help")
    caplog.set_level(logging.WARNING)
    presses = [(S1, data) for data in ("ci:ok:²", "ci:zz:1", "pb:ack:٣", "pb:zz:1", "xx:1")]
    for user, data in [*presses, (ADMIN, "pj:abc"), (ADMIN, "pj:-1")]:
        caplog.clear()
        answer = await bot.press(user, message, data)
        refusal = answer.params["text"]
        assert "out of date" in refusal or "not for you" in refusal, data
        assert any(str(user.id) in r.getMessage() for r in caplog.records), data


async def test_notices_are_queued_with_the_change_that_causes_them(
    bot: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Joining and blocking the bot queue the admins' notice in their own transaction: nothing
    goes through the separate outbox call that a crash could separate from the change."""
    await project_with(bot, "Plant", [], "daily 09:00")

    async def no_separate_enqueue(*args: Any, **kwargs: Any) -> int:
        raise AssertionError("queued outside the change's transaction")

    monkeypatch.setattr(bot.services.repos.outbox, "enqueue", no_separate_enqueue)
    await invite_and_join(bot, 1, "secretary", S1)
    bot.api.blocked.add(S1.id)
    bot.clock.set(SLOT)
    await run_jobs(bot)
    await bot.services.outbox.drain()
    assert _to_admin(bot, "Li Wei joined project 1")
    assert _to_admin(bot, "has blocked the bot")


async def test_the_overall_rate_limit_holds(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """20 messages to 20 chats at 5 per second take seconds, not milliseconds."""
    bot = await start_harness(api, clock, tmp_path / "b.db", rate_limit_per_second=5)
    chats = list(range(900_001, 900_021))
    api.known_chats.update(chats)
    messages = [OutgoingMessage(f"n:{chat}", chat, "notice") for chat in chats]
    await bot.services.repos.outbox.enqueue(messages, clock.now())
    began = time.monotonic()
    await bot.services.outbox.drain()
    sent = [c.at for c in api.calls if c.method == "sendMessage" and c.params["chat_id"] in chats]
    assert len(sent) == 20
    assert max(sent) - began >= 2.0


async def test_an_answer_sent_before_the_close_counts_when_handled_after_it(
    bot: Harness,
) -> None:
    """The bot was down across 23:59; Telegram kept the messages. One sent at 23:50 is on time
    (answered, not missed); one sent at 00:02 is late and says so."""
    s2 = FakeUser(2002, "Wang Fang", "wangfang", "en")
    await project_with(bot, "Plant", [S1, s2], "daily 09:00")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    bot.clock.set(SLOT + timedelta(hours=15, minutes=10))  # 00:10: back up, the round closed
    await run_jobs(bot)
    before = SLOT + timedelta(hours=14, minutes=50)  # sent at 23:50
    mark = len(bot.api.calls)
    await bot.api.send_text(S1, "Slab poured", sent_at=before)
    await bot.api.send_text(s2, "Slab poured too", sent_at=before + timedelta(minutes=12))
    on_time = await bot.api.reply_to(S1.id, after=mark)
    late = await bot.api.reply_to(s2.id, after=mark)
    assert "You sent it at 2026-03-02 23:50, while the round was open" in on_time.params["text"]
    assert "closed at 2026-03-02 23:59, so this message was not recorded" in late.params["text"]
    status = (await bot.send(ADMIN, "/status 1")).params["text"]
    assert "Answered: Li Wei" in status and "Missed: Wang Fang" in status
    answers = (await bot.send(ADMIN, "/answers 1")).params["text"]
    assert "Slab poured" in answers and "Slab poured too" not in answers
