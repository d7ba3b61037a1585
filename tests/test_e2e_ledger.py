"""End to end: the problem ledger (帮办台帐) and its two-level escalation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import ADMIN, Harness, start_harness, stop_harness
from tests.e2e_helpers import invite_and_join, project_with, run_jobs
from tests.fakebot import ApiCall, FakeBotAPI, FakeClock, FakeGroup, FakeUser, buttons_of

SECRETARY = FakeUser(2001, "Li Wei", "liwei", "en")
LEADER = FakeUser(3001, "Zhang San", "zhangsan", "en")
STRANGER = FakeUser(5001, "Eve", "eve", "en")
GROUP = FakeGroup(-100777, "Leadership group", forum=True)
TOPIC = 42


async def tick(bot: Harness) -> None:
    await run_jobs(bot)
    await bot.services.escalation.tick()
    await bot.services.outbox.drain()


def cards(bot: Harness, chat_id: int, level: int) -> list[ApiCall]:
    """Escalation cards in a chat: English for people, Chinese for groups (DEFAULT_LANGUAGE)."""
    markers = (
        ("Level 1 (chief leader", "提请首席负责人督办（一级督办）")
        if level == 1
        else ("Level 2 (leadership group", "二级督办（提请领导小组")
    )
    return [c for c in bot.api.sent_to(chat_id) if any(m in c.params["text"] for m in markers)]


async def setup(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.send(ADMIN, "/setgroup 1", group=GROUP, thread_id=TOPIC)


async def test_the_whole_escalation_chain_survives_restarts(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """Report → deadline → leader card → extend → leader again → group → stranger refused →
    leader resolves → reporter told; restarts between steps send nothing twice."""
    path = tmp_path / "b.db"
    bot = await start_harness(api, clock, path)
    await setup(bot)
    reported = await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    assert "Problem #1 recorded" in reported.params["text"]
    assert [label for label, _ in buttons_of(reported)] == ["1 day", "3 days", "1 week", "Other…"]
    asked = bot.api.sent_to(SECRETARY.id)[-1]  # the first follow-up, a message of its own
    assert "Problem #1: what coordination" in asked.params["text"]
    assert [label for label, _ in buttons_of(asked)] == ["Skip question"]
    await bot.press(SECRETARY, reported, "pb:d1:1")
    assert "2026-03-03 08:30" in bot.api.message_of(reported)["text"]

    clock.advance(timedelta(days=1, minutes=1))
    await tick(bot)
    first = cards(bot, LEADER.id, 1)
    assert len(first) == 1 and cards(bot, ADMIN.id, 1) == []
    card = first[0].params["text"]
    assert "Problem #1: Power line blocks the excavation" in card
    assert "Reported by Li Wei" in card and "overdue by 1 minute" in card
    assert [label for label, _ in buttons_of(first[0])] == [
        "✍️ Acknowledge",
        "✅ Resolved",
        "⏳ Extend +1d",
        "⏳ Extend +3d",
        "🏢 Hand to a department (交办)",
        "📝 Record decision",
    ]
    await stop_harness(bot)  # restart: the card must not come again
    bot = await start_harness(api, clock, path)
    await tick(bot)
    assert len(cards(bot, LEADER.id, 1)) == 1

    await bot.press(LEADER, first[0], "pb:x1:1")
    asked = bot.api.sent_to(LEADER.id)[-1].params["text"]
    assert "send the reason in one message" in asked
    answer = await bot.send(LEADER, "The power bureau moves the line tomorrow")
    assert "new deadline 2026-03-04 08:31" in answer.params["text"]
    await bot.services.outbox.drain()
    told = [
        c.params["text"] for c in bot.api.sent_to(SECRETARY.id) if "extended by" in c.params["text"]
    ]
    assert told == [
        "The deadline of your problem #1 “Power line blocks the excavation” was extended by"
        " Zhang San to 2026-03-04 08:31. Reason: The power bureau moves the line tomorrow"
    ]

    clock.advance(timedelta(days=1, minutes=1))
    await tick(bot)
    assert len(cards(bot, LEADER.id, 1)) == 2  # the new deadline passed too: level 1 again
    assert cards(bot, GROUP.id, 2) == []
    clock.advance(timedelta(days=2))
    await stop_harness(bot)  # down when level 2 falls due: caught up at start-up
    bot = await start_harness(api, clock, path)
    await api.wait_for(
        lambda c: c.params.get("chat_id") == GROUP.id and "二级督办" in c.params["text"]
    )
    await tick(bot)
    group_cards = cards(bot, GROUP.id, 2)
    assert len(group_cards) == 1 and group_cards[0].params["message_thread_id"] == TOPIC
    # the group reads DEFAULT_LANGUAGE
    assert "提请领导小组高位统筹" in group_cards[0].params["text"]
    assert [label for label, _ in buttons_of(group_cards[0])][1] == "✅ 已解决"

    refused = await bot.press(STRANGER, group_cards[0], "pb:res:1")  # in the group's language
    assert "不是给您的" in refused.params["text"] and refused.params["show_alert"] is True
    assert (await bot.services.ledger.problem(1)).status == "open"

    done = await bot.press(LEADER, group_cards[0], "pb:res:1")
    assert "已销号" in done.params["text"]
    # Redrawn as the level-2 card it was, in the group's language, though he reads English.
    redrawn = bot.api.message_of(group_cards[0])["text"]
    assert redrawn.startswith("🚨🚨 二级督办（提请领导小组高位统筹）")
    assert "已由 Zhang San" in redrawn
    assert (
        buttons_of(
            ApiCall("x", {"reply_markup": bot.api.message_of(group_cards[0]).get("reply_markup")})
        )
        == []
    )
    await bot.services.outbox.drain()
    assert any(
        "was resolved (销号) by Zhang San" in c.params["text"]
        for c in bot.api.sent_to(SECRETARY.id)
    )
    stale = await bot.press(LEADER, first[0], "pb:ack:1")
    assert "already resolved by Zhang San at 2026-03-06 08:32" in stale.params["text"]
    assert (await bot.services.ledger.problem(1)).status == "resolved"

    await stop_harness(bot)
    bot = await start_harness(api, clock, path)
    clock.advance(timedelta(days=5))
    await tick(bot)
    assert len(cards(bot, LEADER.id, 1)) == 2 and len(cards(bot, GROUP.id, 2)) == 1

    history = (await bot.send(ADMIN, "/problem 1")).params["text"]
    expected = [
        "Li Wei: reported (deadline 2026-03-05 08:30)",
        "Li Wei: deadline set 2026-03-05 08:30 → 2026-03-03 08:30",
        "Bangban: escalated: level 1, to the chief leader(s) in charge",
        "Zhang San: deadline extended 2026-03-03 08:30 → 2026-03-04 08:31: The power bureau",
        "Bangban: escalated: level 1, to the chief leader(s) in charge",
        "Bangban: escalated: level 2, to the leadership group",
        "Zhang San: resolved (销号)",
    ]
    position = 0
    for line in expected:  # each line present, in this order
        position = history.find(line, position)
        assert position >= 0, (line, history)
    await stop_harness(bot)


async def test_without_reachable_leader_or_group_the_admins_get_the_cards(bot: Harness) -> None:
    await project_with(bot, "Plant", [SECRETARY])
    await bot.send(SECRETARY, "/newproblem 1 Cement shortage")
    bot.clock.advance(timedelta(days=3, minutes=1))
    await tick(bot)
    assert len(cards(bot, ADMIN.id, 1)) == 1
    bot.clock.advance(timedelta(days=2))
    await tick(bot)
    assert len(cards(bot, ADMIN.id, 2)) == 1
    history = (await bot.send(ADMIN, "/problem 1")).params["text"]
    assert "level 1, to the admins" in history and "level 2, to the admins" in history


async def test_commands_list_note_assign_reopen_and_permissions(bot: Harness) -> None:
    await setup(bot)
    await project_with(bot, "Other", [])
    await bot.send(SECRETARY, "/newproblem 1 Late steel")
    await bot.send(ADMIN, "/newproblem 2 Unpaid wages")
    bot.clock.advance(timedelta(days=4))
    await bot.send(SECRETARY, "/newproblem 1 Missing permit")

    listing = (await bot.send(ADMIN, "/problems")).params["text"]
    assert listing.index("#1 ") < listing.index("#2 ") < listing.index("#3 ")
    assert "Late steel" in listing and "⏰ overdue" in listing
    mine = (await bot.send(SECRETARY, "/problems")).params["text"]
    assert "Unpaid wages" not in mine and "Missing permit" in mine
    assert "not a member of project 2" in (await bot.send(SECRETARY, "/problems 2")).params["text"]
    assert "serve no project" in (await bot.send(STRANGER, "/problems")).params["text"]

    assert (
        "Note added"
        in (await bot.send(SECRETARY, "/note 1 Supplier promised Friday")).params["text"]
    )
    refused = (await bot.send(SECRETARY, "/extend 1 2d waiting")).params["text"]
    assert "no role on the project of problem #1" in refused
    assert "Usage" in (await bot.send(LEADER, "/extend 1 2d")).params["text"]
    assert "not a duration" in (await bot.send(LEADER, "/extend 1 soon because")).params["text"]
    assert (
        "new deadline"
        in (await bot.send(LEADER, "/extend 1 2d waiting for the supplier")).params["text"]
    )
    assigned = (await bot.send(LEADER, "/assign 1 County Transport Bureau")).params["text"]
    assert "assigned to County Transport Bureau" in assigned
    claimed = (await bot.send(SECRETARY, "/resolve 1 Steel arrived")).params["text"]
    assert "sent to the chief leader in charge for confirmation" in claimed
    assert "already awaits confirmation" in (await bot.send(SECRETARY, "/resolve 1")).params["text"]
    assert "resolved (销号)" in (await bot.send(LEADER, "/resolve 1")).params["text"]
    assert "already resolved by Zhang San" in (await bot.send(LEADER, "/resolve 1")).params["text"]
    assert "reopened" in (await bot.send(LEADER, "/reopen 1 Wrong grade delivered")).params["text"]
    assert "not resolved" in (await bot.send(LEADER, "/reopen 1 again")).params["text"]
    assert "no problem #99" in (await bot.send(ADMIN, "/problem 99")).params["text"]
    assert "not a problem id" in (await bot.send(ADMIN, "/problem x")).params["text"]
    # To a stranger an existing problem and a missing one look the same.
    existing = (await bot.send(STRANGER, "/problem 1")).params["text"]
    assert "no problem #1 in your projects" in existing
    missing = (await bot.send(STRANGER, "/problem 99")).params["text"]
    assert missing == existing.replace("#1", "#99")

    card = (await bot.send(SECRETARY, "/problem 1")).params["text"]
    for line in (
        "note: Supplier promised Friday",
        "assigned to County Transport Bureau",
        "reported it solved, awaiting confirmation: Steel arrived",
        "Zhang San: resolved (销号)",
        "reopened: Wrong grade delivered",
        "Assigned to: County Transport Bureau",
    ):
        assert line in card, line


async def test_deadlines_by_default_duration_and_date(bot: Harness) -> None:
    await setup(bot)
    reply = await bot.send(ADMIN, "/deadline default 1 12h")
    assert "new problems get a deadline of 12 hours" in reply.params["text"]
    assert "Only admins" in (await bot.send(LEADER, "/deadline default 1 1d")).params["text"]
    recorded = await bot.send(SECRETARY, "/newproblem 1 Crane broken")
    assert "Deadline (帮办时限): 2026-03-02 20:30" in recorded.params["text"]
    by_date = await bot.send(LEADER, "/deadline 1 2026-03-10")
    assert "2026-03-10 18:00" in by_date.params["text"]
    assert "in the future" in (await bot.send(LEADER, "/deadline 1 2020-01-01")).params["text"]
    assert "within a year" in (await bot.send(LEADER, "/deadline 1 400d")).params["text"]
    assert "neither a duration" in (await bot.send(LEADER, "/deadline 1 later")).params["text"]
    other = await bot.press(SECRETARY, recorded, "pb:dx:1")  # “Other…”
    assert other.params.get("text") is None
    asked = bot.api.sent_to(SECRETARY.id)[-1].params["text"]
    assert "Reply with the deadline of problem #1" in asked
    assert "neither a duration" in (await bot.send(SECRETARY, "soon")).params["text"]
    chosen = await bot.send(SECRETARY, "2026-03-04")  # not taken for the coordination needed
    assert "Deadline of #1: 2026-03-04 18:00" in chosen.params["text"]
    again = bot.api.sent_to(SECRETARY.id)[-1].params["text"]
    assert "Problem #1: what coordination does it need" in again
    await bot.send(SECRETARY, "Crane hire from the county")
    problem = await bot.services.repos.problems.get(1)
    assert problem is not None and problem.coordination == "Crane hire from the county"

    without_text = await bot.send(SECRETARY, "/newproblem 1")
    assert "describe the problem" in without_text.params["text"]
    described = await bot.send(SECRETARY, "Road closed by the police")
    assert "Problem #2 recorded" in described.params["text"]


async def test_prompt_lists_open_problems_with_buttons(bot: Harness) -> None:
    await project_with(bot, "Plant", [SECRETARY], "daily 09:00")
    await bot.send(SECRETARY, "/newproblem 1 Fence damaged")
    bot.clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    await tick(bot)
    prompt = [c for c in bot.api.sent_to(SECRETARY.id) if "Check-in:" in c.params["text"]][-1]
    assert (
        "Open problems (1):" in prompt.params["text"]
        and "#1 Fence damaged" in prompt.params["text"]
    )
    assert ("📝 Progress on #1", "pb:nt:1") in buttons_of(prompt)
    await bot.press(SECRETARY, prompt, "pb:nt:1")
    assert "progress note on problem #1" in bot.api.sent_to(SECRETARY.id)[-1].params["text"]
    noted = await bot.send(SECRETARY, "Contractor repairing it today")
    assert "Note added to problem #1" in noted.params["text"]
    solved = await bot.press(SECRETARY, prompt, "pb:rs:1")
    assert "sent to the chief leader in charge for confirmation" in solved.params["text"]
    again = await bot.press(SECRETARY, prompt, "pb:rs:1")
    assert "already awaits confirmation" in again.params["text"]


async def test_forged_and_malformed_problem_buttons_are_refused(bot: Harness) -> None:
    await setup(bot)
    reported = await bot.send(SECRETARY, "/newproblem 1 Flooding")
    for data in ("pb:zz:1", "pb:ack:999", "pb:ack:1:extra", "pb:ack:-1", "totally-forged"):
        answer = await bot.press(LEADER, reported, data)
        assert "out of date" in answer.params["text"], data
    leader_deadline = await bot.press(STRANGER, reported, "pb:d7:1")
    assert "not for you" in leader_deadline.params["text"]
    assert (await bot.services.ledger.problem(1)).status == "open"


async def test_reporter_is_told_of_an_acknowledgement(bot: Harness) -> None:
    await setup(bot)
    await bot.send(SECRETARY, "/newproblem 1 Drainage pipe cracked")
    bot.clock.advance(timedelta(days=3, minutes=1))
    await tick(bot)
    card = cards(bot, LEADER.id, 1)[0]
    assert "acknowledged" in (await bot.press(LEADER, card, "pb:ack:1")).params["text"]
    assert "already in progress" in (await bot.press(LEADER, card, "pb:ack:1")).params["text"]
    assert "Status: in progress" in bot.api.message_of(card)["text"]
    await bot.services.outbox.drain()
    told = [
        c.params["text"]
        for c in bot.api.sent_to(SECRETARY.id)
        if "acknowledged by" in c.params["text"]
    ]
    assert told == [
        "Your problem #1 “Drainage pipe cracked” was acknowledged by Zhang San"
        " and is being handled."
    ]


async def test_chinese_users_see_the_reference_vocabulary(bot: Harness) -> None:
    """A zh user's prompt, report and escalation card use 首办秘书, 帮办台帐, 帮办时限."""
    secretary = FakeUser(2301, "王芳", "wangfang", "zh-hans")
    leader = FakeUser(3301, "赵局长", "zhao", "zh-hans")
    await project_with(bot, "城南污水处理厂", [secretary], "daily 09:00")
    await invite_and_join(bot, 1, "leader", leader)
    bot.clock.set(datetime(2026, 3, 2, 1, 0, tzinfo=UTC))
    await tick(bot)
    prompt = [c for c in bot.api.sent_to(secretary.id) if "进展报送：" in c.params["text"]][-1]
    assert "形象进度" in prompt.params["text"]
    assert [label for label, _ in buttons_of(prompt)] == [
        "✅ 进展正常，无问题",
        "⚠️ 反映问题",
        "今日请假",
    ]
    recorded = await bot.send(secretary, "/newproblem 1 征地拆迁受阻")
    assert "帮办台帐" in recorded.params["text"] and "帮办时限" in recorded.params["text"]
    bot.clock.advance(timedelta(days=3, minutes=1))
    await tick(bot)
    card = cards(bot, leader.id, 1)[0].params["text"]
    assert "一级督办" in card and "帮办时限" in card and "已逾期" in card and "王芳" in card


async def test_a_leader_who_blocked_the_bot_is_skipped_and_the_admins_get_the_card(
    bot: Harness,
) -> None:
    """Once a leader is known to have blocked the bot, escalation cards go straight to the
    admins (recorded as such), with no send to the leader that Telegram would refuse."""
    await project_with(bot, "Plant", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    bot.api.blocked.add(LEADER.id)
    await bot.send(SECRETARY, "/newproblem 1 Cement shortage")
    await bot.services.outbox.drain()  # the new-problem card is refused: now unreachable
    refused_before = len([c for c in bot.api.refusals if c.params.get("chat_id") == LEADER.id])
    assert refused_before == 1
    bot.clock.advance(timedelta(days=3, minutes=1))
    await tick(bot)
    assert len(cards(bot, ADMIN.id, 1)) == 1
    refused_after = len([c for c in bot.api.refusals if c.params.get("chat_id") == LEADER.id])
    assert refused_after == refused_before  # the card was not tried on the leader
    history = (await bot.send(ADMIN, "/problem 1")).params["text"]
    assert "level 1, to the admins" in history


async def test_the_office_sees_a_new_problem_at_once(bot: Harness) -> None:
    """NEW_PROBLEM_TO (default leaders,admins): the admins get the new-problem card as the
    leaders do; the reporter does not get their own."""
    await setup(bot)
    await bot.send(SECRETARY, "/newproblem 1 Crane broken")
    await bot.services.outbox.drain()
    for reader in (LEADER, ADMIN):
        got = [c for c in bot.api.sent_to(reader.id) if "Crane broken" in c.params["text"]]
        assert len(got) == 1 and ("✍️ Acknowledge", "pb:ack:1") in buttons_of(got[0]), reader


async def test_new_problem_to_leaders_only(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await start_harness(api, clock, tmp_path / "b.db", new_problem_to="leaders")
    try:
        await setup(bot)
        await bot.send(SECRETARY, "/newproblem 1 Crane broken")
        await bot.services.outbox.drain()
        assert [c for c in bot.api.sent_to(ADMIN.id) if "Crane broken" in c.params["text"]] == []
        assert [c for c in bot.api.sent_to(LEADER.id) if "Crane broken" in c.params["text"]]
    finally:
        await stop_harness(bot)
