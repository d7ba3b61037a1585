"""End to end: a problem handed to a department (交办), signed for (签收), worked and reported
done (办结), then crossed off (销号) by the leader; and a late department chased."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from tests.conftest import ADMIN, Harness, start_harness, stop_harness
from tests.e2e_helpers import invite_and_join, project_with
from tests.fakebot import ApiCall, FakeBotAPI, FakeClock, FakeGroup, FakeUser, buttons_of
from tests.test_e2e_ledger import LEADER, SECRETARY, STRANGER

LIAISON = FakeUser(6001, "Wang Fang", "wangfang", "en")
HEAD = FakeUser(6002, "Zhao Lei", "zhaolei", "en")
OTHER_LIAISON = FakeUser(6003, "Sun Li", "sunli", "en")
GROUP = FakeGroup(-100888, "Leadership group")


async def join_department(bot: Harness, ref: str, role: str, user: FakeUser) -> str:
    text = (await bot.send(ADMIN, f"/invite {ref} {role}")).params["text"]
    assert "start=" in text, text
    token = text.rsplit("start=", 1)[1].strip()
    welcome = (await bot.send(user, f"/start {token}")).params["text"]
    assert "Welcome" in welcome, welcome
    return str(welcome)


async def department_with(bot: Harness, name: str = "Housing Bureau") -> None:
    created = (await bot.send(ADMIN, f"/newdept {name}")).params["text"]
    assert "Department d1" in created, created
    welcome = await join_department(bot, "d1", "liaison", LIAISON)
    assert "department liaison of department d1" in welcome
    await join_department(bot, "d1", "head", HEAD)


async def setup(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    await department_with(bot)
    await bot.send(ADMIN, "/setgroup 1", group=GROUP)
    await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
    await bot.send(SECRETARY, "/cancel")


def texts_to(bot: Harness, user: FakeUser, words: str) -> list[ApiCall]:
    return [c for c in bot.api.sent_to(user.id) if words in c.params.get("text", "")]


async def handed_card(bot: Harness, handover_id: int = 1) -> ApiCall:
    await bot.services.outbox.drain()
    sign = ("✍️ Sign for it (签收)", f"dp:sg:{handover_id}")
    found = [c for c in bot.api.sent_to(LIAISON.id) if sign in buttons_of(c)]
    assert len(found) == 1, [c.params.get("text") for c in bot.api.sent_to(LIAISON.id)]
    return found[0]


async def test_a_department_signs_works_and_finishes_and_the_leader_crosses_off(
    bot: Harness,
) -> None:
    await setup(bot)
    supported = (await bot.send(ADMIN, "/project 1 dept d1")).params["text"]
    assert "Housing Bureau is now a supporting department" in supported
    card = (await bot.send(ADMIN, "/project 1")).params["text"]
    assert "Supporting departments (帮扶部门): d1 Housing Bureau" in card
    members = (await bot.send(ADMIN, "/members 1")).params["text"]
    assert "Supporting departments (帮扶部门): d1 Housing Bureau" in members

    handed = (await bot.send(ADMIN, "/assign 1 d1 2d")).params["text"]
    assert "handed (交办) to Housing Bureau, time limit 2026-03-04 08:30" in handed, handed
    got = await handed_card(bot)
    text = got.params["text"]
    assert "Handed to Housing Bureau (leading), time limit 2026-03-04 08:30" in text
    assert "Power line blocks the excavation" in text
    assert "awaiting signature" in text
    assert ("↩️ Not ours, hand back", "dp:rt:1") in buttons_of(got)

    # Only the department's own people can press its buttons.
    refused = await bot.press(STRANGER, got, "dp:sg:1")
    assert "not for you" in refused.params["text"]
    refused = await bot.press(SECRETARY, got, "dp:sg:1")
    assert "not for you" in refused.params["text"]

    signed = await bot.press(LIAISON, got, "dp:sg:1")
    assert "Signed for problem #1" in signed.params["text"]
    again = await bot.press(LIAISON, got, "dp:sg:1")
    assert "already signed for by Wang Fang" in again.params["text"]
    redrawn = bot.api.message_of(got)
    assert "signed for, in work by Wang Fang" in redrawn["text"]
    await bot.services.outbox.drain()
    for person in (SECRETARY, LEADER):
        assert len(texts_to(bot, person, "Wang Fang signed for it (签收) for Housing Bureau")) == 1

    # Progress with a photo, through the card's button.
    await bot.press(LIAISON, got, "dp:nt:1")
    assert "progress note on problem #1" in bot.api.sent_to(LIAISON.id)[-1].params["text"]
    sent = await bot.api.send_media(LIAISON, "photo", caption="Poles ordered, crew booked")
    await bot.settled(sent["update_id"])
    problem = await bot.services.ledger.problem(1)
    assert problem.attachments == 1
    # The liaison sees the problem (and only problems handed to the department).
    shown = (await bot.send(LIAISON, "/problem 1")).params["text"]
    assert "note: Poles ordered, crew booked" in shown
    listing = (await bot.send(LIAISON, "/problems")).params["text"]
    assert "#1 " in listing

    await bot.press(LIAISON, got, "dp:dn:1")
    assert "short account" in bot.api.sent_to(LIAISON.id)[-1].params["text"]
    done = await bot.send(LIAISON, "The line was moved on Tuesday")
    assert "reported done (办结)" in done.params["text"]
    problem = await bot.services.ledger.problem(1)
    assert problem.status == "awaiting" and problem.claimed_by == LIAISON.id
    await bot.services.outbox.drain()
    asked = texts_to(bot, LEADER, "Wang Fang reports problem #1 solved")
    assert len(asked) == 1 and "The line was moved on Tuesday" in asked[0].params["text"]
    confirmed = await bot.press(LEADER, asked[0], "pb:ok:1")
    assert "resolved (销号)" in confirmed.params["text"]
    assert (await bot.services.ledger.problem(1)).status == "resolved"

    figures = (await bot.send(ADMIN, "/depts")).params["text"]
    assert (
        "d1 Housing Bureau: 0 open, 0 overdue · 1 received, 1 signed in time · 1 done, 1 on time"
        in figures
    ), figures
    history = (await bot.send(ADMIN, "/problem 1")).params["text"]
    for entry in (
        "handed to Housing Bureau, leading",
        "Wang Fang: signed for it (签收) for Housing Bureau",
        "Wang Fang: reported it done (办结) for Housing Bureau: The line was moved on Tuesday",
        "Zhang San: confirmed the crossing-off (销号)",
    ):
        assert entry in history, (entry, history)


async def test_a_crossing_off_sent_back_returns_to_the_department(bot: Harness) -> None:
    await setup(bot)
    await bot.send(ADMIN, "/assign 1 d1")
    got = await handed_card(bot)
    await bot.press(LIAISON, got, "dp:sg:1")
    await bot.press(LIAISON, got, "dp:dn:1")
    await bot.send(LIAISON, "Done")
    await bot.services.outbox.drain()
    asked = texts_to(bot, LEADER, "Wang Fang reports problem #1 solved")[0]
    await bot.press(LEADER, asked, "pb:sb:1")
    await bot.send(LEADER, "The poles are still there")
    handover = (await bot.services.repos.handovers.of_problem(1))[0]
    assert handover.status == "signed"  # back in the department's hands
    await bot.services.outbox.drain()
    told = texts_to(bot, LIAISON, "was sent back by Zhang San")
    assert len(told) == 1 and "still there" in told[0].params["text"]
    # It can be reported done again.
    await bot.press(LIAISON, got, "dp:dn:1")
    again = await bot.send(LIAISON, "Now really")
    assert "reported done" in again.params["text"]


async def test_a_late_department_is_reminded_then_its_head_then_the_group(bot: Harness) -> None:
    await setup(bot)
    await bot.send(ADMIN, "/assign 1 d1 1d")
    await handed_card(bot)
    chasing = bot.services.chasing

    # 08:30 Monday + 4 working hours = 12:30; nothing before.
    bot.clock.advance(timedelta(hours=3, minutes=59))
    assert (await chasing.tick()).reminders == 0
    bot.clock.advance(timedelta(minutes=2))
    assert (await chasing.tick()).reminders == 1
    assert (await chasing.tick()).reminders == 0  # once
    await bot.services.outbox.drain()
    reminders = texts_to(bot, LIAISON, "Reminder: Housing Bureau has not signed")
    assert len(reminders) == 1
    assert ("✍️ Sign for it (签收)", "dp:sg:1") in buttons_of(reminders[0])

    bot.clock.advance(timedelta(days=1))  # past the time limit, never signed
    report = await chasing.tick()
    assert report.level1 == 1
    await bot.services.outbox.drain()
    head_cards = texts_to(bot, HEAD, "一级督办 to the department: Housing Bureau")
    assert len(head_cards) == 1 and buttons_of(head_cards[0]) == []
    assert texts_to(bot, LEADER, "Housing Bureau is past its time limit") == []

    bot.clock.advance(timedelta(days=2))  # ESCALATE_L2_AFTER
    assert (await chasing.tick()).level2 == 1
    assert (await chasing.tick()).level2 == 0
    await bot.services.outbox.drain()
    group_cards = [
        c for c in bot.api.sent_to(GROUP.id) if "Housing Bureau" in c.params.get("text", "")
    ]
    assert len(group_cards) == 1 and "二级督办" in group_cards[0].params["text"]
    history = (await bot.send(ADMIN, "/problem 1")).params["text"]
    assert "Housing Bureau chased: 一级督办 to the department, to the department head" in history
    figures = (await bot.send(ADMIN, "/depts")).params["text"]
    assert "1 open, 1 overdue · 1 received, 0 signed in time" in figures
    card = (await bot.send(HEAD, "/dept d1")).params["text"]
    assert (
        "Department d1 “Housing Bureau”" in card
        and "Wang Fang (@wangfang) — department liaison" in card
    )
    assert "#1 awaiting signature (待签收), time limit 2026-03-03 08:30 ⏰" in card, card
    refused = (await bot.send(SECRETARY, "/dept d1")).params["text"]
    assert "not yours to see" in refused


async def test_the_sign_time_counts_working_hours_only(bot: Harness) -> None:
    await setup(bot)
    bot.clock.advance(timedelta(days=4, hours=8))  # Friday 16:30 local
    await bot.send(ADMIN, "/assign 1 d1 5d")
    handover = (await bot.services.repos.handovers.of_problem(1))[0]
    # One hour on Friday, three on Monday: 11:30 Monday local, 03:30 UTC.
    assert handover.sign_due.isoformat() == "2026-03-09T03:30:00+00:00"


async def test_bad_input_and_edge_cases_get_clear_answers(bot: Harness) -> None:
    await setup(bot)
    renamed = (await bot.send(ADMIN, "/renamedept d1 Housing and Construction Bureau")).params
    assert "renamed to “Housing and Construction Bureau”" in renamed["text"]
    await bot.send(ADMIN, "/renamedept d1 Housing Bureau")
    taken = (await bot.send(ADMIN, "/newdept housing bureau")).params["text"]
    assert "exists already: d1" in taken
    assert "Usage" in (await bot.send(ADMIN, "/invite d1 boss")).params["text"]
    refused = (await bot.send(LEADER, "/newdept Tax Bureau")).params["text"]
    assert refused == "Only admins can use this command."
    assert "no department d9" in (await bot.send(ADMIN, "/assign 1 d9")).params["text"]
    assert "not a department" in (await bot.send(ADMIN, "/dept x1")).params["text"]
    past = (await bot.send(ADMIN, "/assign 1 d1 2020-01-01")).params["text"]
    assert "must be in the future" in past, past
    assert await bot.services.repos.handovers.of_problem(1) == []
    # A second department without a liaison: the admins hear at once; the item waits.
    await bot.send(ADMIN, "/newdept Power Supply Co")
    waits = (await bot.send(ADMIN, "/assign 1 d2")).params["text"]
    assert "has no liaison yet" in waits
    await bot.services.outbox.drain()
    # Handing to one that already holds it changes nothing.
    again = (await bot.send(ADMIN, "/assign 1 d2")).params["text"]
    assert "already with Power Supply Co" in again
    # Archived departments take nothing new.
    await bot.send(ADMIN, "/newdept Old Bureau")
    await bot.send(ADMIN, "/archivedept d3")
    assert "archived" in (await bot.send(ADMIN, "/assign 1 d3")).params["text"]
    assert "already archived" in (await bot.send(ADMIN, "/archivedept d3")).params["text"]
    # Not the department's: handed back with a reason, once.
    await bot.send(ADMIN, "/assign 1 d1")
    got = await handed_card(bot, 2)  # d2 holds handover 1
    await bot.press(LIAISON, got, "dp:rt:2")
    back = await bot.send(LIAISON, "This is the power company's line")
    assert "handed back to the office" in back.params["text"]
    second = await bot.press(LIAISON, got, "dp:rt:2")
    assert "already handed back" in second.params["text"]
    await bot.services.outbox.drain()
    assert (
        len(texts_to(bot, ADMIN, "handed problem #1 “Power line blocks the excavation” back")) == 1
    )
    # 签收 after the office took an item back.
    await bot.send(ADMIN, "/assign 1 d1")
    fresh = await handed_card(bot, 3)
    recalled = (await bot.send(ADMIN, "/recall 1 d1")).params["text"]
    assert "taken back from Housing Bureau" in recalled
    late = await bot.press(LIAISON, fresh, "dp:sg:3")
    assert "taken back by the office" in late.params["text"]
    handover = await bot.services.repos.handovers.get(3)
    assert handover is not None and handover.status == "recalled"


async def test_a_liaison_removed_after_signing_leaves_the_item_with_the_department(
    bot: Harness,
) -> None:
    await setup(bot)
    await join_department(bot, "d1", "liaison", OTHER_LIAISON)
    await bot.send(ADMIN, "/assign 1 d1")
    got = await handed_card(bot)
    await bot.press(LIAISON, got, "dp:sg:1")
    removed = (await bot.send(ADMIN, "/remove d1 @wangfang")).params["text"]
    assert "Wang Fang (@wangfang) no longer serves department d1" in removed
    await bot.services.outbox.drain()
    told = texts_to(bot, HEAD, "Wang Fang (@wangfang) no longer serves Housing Bureau")
    assert len(told) == 1 and "#1" in told[0].params["text"]
    assert (await bot.services.repos.handovers.of_problem(1))[0].status == "signed"
    # The former liaison may no longer act; the other one may.
    refused = await bot.press(LIAISON, got, "dp:dn:1")
    assert "not for you" in refused.params["text"]
    listing = (await bot.send(OTHER_LIAISON, "/problems")).params["text"]
    assert "#1 " in listing
    # /problem gives the other liaison the department's card to act on.
    await bot.send(OTHER_LIAISON, "/problem 1")
    card = bot.api.sent_to(OTHER_LIAISON.id)[-1]
    assert ("✅ Done (办结)", "dp:dn:1") in buttons_of(card)


async def test_a_department_sits_in_the_office_and_an_absence_is_counted(bot: Harness) -> None:
    await setup(bot)
    await join_department(bot, "d1", "liaison", OTHER_LIAISON)
    answer = (await bot.send(ADMIN, "/sitin d1 mon,wed 08:30")).params["text"]
    assert "sits in the office (坐班): Mon, Wed at 08:30" in answer
    sitins = bot.services.sitins
    assert await sitins.tick() == 2  # Monday 08:30: both liaisons asked
    assert await sitins.tick() == 0  # once a day
    await bot.services.outbox.drain()
    prompt = texts_to(bot, LIAISON, "坐班 today (2026-03-02)")[-1]
    signed = await bot.press(LIAISON, prompt, "si:1")
    assert "Signed in" in signed.params["text"]
    again = await bot.press(LIAISON, prompt, "si:1")
    assert "No 坐班 sign-in is open" in again.params["text"]
    bot.clock.advance(timedelta(hours=9))  # the working day is over: Sun Li was absent
    await sitins.tick()
    figures = (await bot.send(ADMIN, "/depts")).params["text"]
    assert "坐班 1/2" in figures, figures
    bot.clock.advance(timedelta(hours=15))  # Tuesday: no sitting
    assert await sitins.tick() == 0


async def test_with_an_office_location_sign_in_is_by_location_near_it(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await start_harness(api, clock, tmp_path / "b.db", office_location="30.5728,104.0668,300")
    try:
        await department_with(bot)
        await bot.send(ADMIN, "/sitin d1 工作日 08:30")
        assert await bot.services.sitins.tick() == 1
        await bot.services.outbox.drain()
        prompt = texts_to(bot, LIAISON, "sharing your location")[-1]
        assert buttons_of(prompt) == []
        far = await bot.api.send_location(LIAISON, 30.60, 104.0668)
        await bot.settled(far["update_id"])
        assert "from the office (at most 300 m)" in bot.api.sent_to(LIAISON.id)[-1].params["text"]
        near = await bot.api.send_location(LIAISON, 30.5730, 104.0670)
        await bot.settled(near["update_id"])
        assert "Signed in" in bot.api.sent_to(LIAISON.id)[-1].params["text"]
        figures = (await bot.send(ADMIN, "/depts")).params["text"]
        assert "坐班 1/1" in figures, figures
    finally:
        await stop_harness(bot)


async def test_a_department_escalation_due_at_night_waits_for_the_morning(bot: Harness) -> None:
    await setup(bot)
    await bot.send(ADMIN, "/assign 1 d1 14h")  # 08:30 + 14 h = 22:30, in QUIET_HOURS
    got = await handed_card(bot)
    await bot.press(LIAISON, got, "dp:sg:1")
    bot.clock.advance(timedelta(hours=14, minutes=1))
    assert (await bot.services.chasing.tick()).level1 == 1
    await bot.services.outbox.drain()
    assert texts_to(bot, HEAD, "一级督办 to the department") == []
    bot.clock.advance(timedelta(hours=9))  # 07:31 the next morning
    await bot.services.outbox.drain()
    assert len(texts_to(bot, HEAD, "一级督办 to the department")) == 1
