"""The weekly dispatch digest (每周调度) and its notice (通报), from a known week."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from pathlib import Path

from docx import Document

from bot.digest_slot import parse_digest_schedule
from bot.periods import period_of
from tests.conftest import ADMIN, Harness, start_harness, stop_harness
from tests.e2e_helpers import invite_and_join, project_with, run_jobs
from tests.fakebot import ApiCall, FakeBotAPI, FakeClock, FakeGroup, FakeUser, buttons_of
from tests.test_e2e_ledger import LEADER, SECRETARY

S2 = FakeUser(2002, "Zhao Min", "zhaomin", "en")
S3 = FakeUser(2003, "Sun Li", "sunli", "en")
GROUP = FakeGroup(-100555, "County leadership group")
MONDAY = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # 09:00 in Shanghai, week 2026-W10
NEXT_MONDAY = MONDAY + timedelta(days=7)


def test_periods_are_iso_weeks_in_the_zone() -> None:
    period = period_of(datetime(2026, 3, 8).date(), "Asia/Shanghai")
    assert (period.key, str(period.first), str(period.last)) == (
        "2026-W10",
        "2026-03-02",
        "2026-03-08",
    )
    assert period.start == datetime(2026, 3, 1, 16, 0, tzinfo=UTC)
    assert parse_digest_schedule("off") is None
    assert parse_digest_schedule("fri 17:30") is not None


async def _week(bot: Harness) -> None:
    """South Road: Li Wei answers every day, Zhao Min misses Tuesday and Thursday; a problem
    extended twice stays open past its deadline. North Road: Sun Li answers; a problem is
    crossed off."""
    await project_with(bot, "South Road", [SECRETARY, S2], "daily 09:00")
    await project_with(bot, "North Road", [S3], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.send(ADMIN, "/setgroup", group=GROUP)
    await bot.send(ADMIN, "/person @zhangsan 单位 县住建局 职务 局长")
    for day in range(7):
        bot.clock.set(MONDAY + timedelta(days=day))
        await run_jobs(bot)
        await bot.send(SECRETARY, f"Day {day + 1} done")
        await bot.send(S3, "On track")
        if day not in (1, 3):
            await bot.send(S2, "Fine")
        if day == 0:
            await bot.send(SECRETARY, "/newproblem 1 Power line blocks the excavation")
            await bot.send(S3, "/newproblem 2 Permit missing")
            await bot.send(ADMIN, "/resolve 2 Permit issued")
        if day in (2, 4):
            await bot.send(LEADER, f"/extend 1 1d bureau delayed (day {day})")
    bot.clock.set(NEXT_MONDAY - timedelta(hours=1))  # Monday 08:00: not yet
    await run_jobs(bot)
    assert not await bot.services.digest.tick()


def _digests(bot: Harness, chat_id: int) -> list[ApiCall]:
    markers = ("Weekly dispatch", "每周调度")
    return [c for c in bot.api.sent_to(chat_id) if any(m in c.params["text"] for m in markers)]


def _notices(bot: Harness, chat_id: int) -> list[ApiCall]:
    return [c for c in bot.api.sent_to(chat_id) if "重大项目帮办情况的通报" in c.params["text"]]


async def test_the_digest_names_figures_and_waits_for_publish(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    path = tmp_path / "b.db"
    bot = await start_harness(api, clock, path)
    try:
        await _week(bot)
        clock.set(NEXT_MONDAY)
        assert await bot.services.digest.tick()
        await bot.services.outbox.drain()
        admin = _digests(bot, ADMIN.id)
        assert len(admin) == 1
        # The meeting's material goes with the county-wide digest, as a Word document.
        packs = [u for u in bot.api.uploads if u.filename == "调度会材料-2026-W10.docx"]
        assert len(packs) == 1
        text = admin[0].params["text"]
        assert "Weekly dispatch (每周调度), week 10 (2 March – 8 March)" in text
        assert "【1 South Road】\nProgress reports on time: 12/14 (86%)" in text
        assert "Missed: Zhao Min (@zhaomin) ×2" in text
        assert "Problems: 1 new, 0 crossed off, 1 overdue, 2 extensions of 1" in text
        assert "Longest overdue: #1 “Power line blocks the excavation”" in text
        assert "chief leader in charge: Zhang San" in text
        assert "【2 North Road】\nProgress reports on time: 7/7 (100%)" in text
        assert "Problems: 1 new, 1 crossed off, 0 overdue" in text
        assert "Ranking by reporting rate: 1. North Road 100%; 2. South Road 86%" in text
        group = _digests(bot, GROUP.id)
        assert len(group) == 1 and "按时报送 12/14（86%）" in group[0].params["text"]
        # The notice names people: a draft for the admins, nothing in the group yet.
        assert _notices(bot, GROUP.id) == []
        draft = next(c for c in bot.api.sent_to(ADMIN.id) if "Draft notice" in c.params["text"])
        # Named as an office names people: unit, title, name; never a Telegram handle.
        assert "Zhao Min（South Road，2 次）" in draft.params["text"]
        assert "首席负责人：县住建局局长Zhang San" in draft.params["text"]
        assert "@" not in draft.params["text"] and "〔____〕第__期" in draft.params["text"]
        assert [d for _, d in buttons_of(draft)] == ["nt:pub:1", "nt:del:1"]
        refused = await bot.press(LEADER, draft, "nt:pub:1")
        assert "Only admins" in refused.params["text"]
        assert _notices(bot, GROUP.id) == []
    finally:
        await stop_harness(bot)
    bot = await start_harness(api, clock, path)  # a restart sends nothing again
    try:
        assert not await bot.services.digest.tick()
        await bot.services.outbox.drain()
        assert len(_digests(bot, ADMIN.id)) == 1
        published = await bot.press(ADMIN, draft, "nt:pub:1")
        assert "Notice published" in published.params["text"]
        # The draft now says what was decided, above the notice it showed.
        decided = bot.api.message_of(draft)["text"]
        assert decided.startswith("Notice published.\n\n重大项目365帮办工作通报\n〔2026〕第1期\n")
        assert "关于第10周（3月2日—3月8日）重大项目帮办情况的通报" in decided
        assert decided.endswith("365 帮办办公室\n2026年3月9日")
        assert "Zhao Min（" in decided and "Draft notice" not in decided
        # The admin also gets it as a Word document, laid out as an office issues it.
        document = await bot.api.wait_for(lambda c: c.method == "sendDocument")
        assert bot.api.uploads[-1].filename == "通报〔2026〕第1期.docx"
        assert document.params["chat_id"] == ADMIN.id
        paragraphs = [
            p.text for p in Document(io.BytesIO(bot.api.uploads[-1].data)).paragraphs if p.text
        ]
        assert paragraphs[:3] == [
            "重大项目365帮办工作通报",
            "〔2026〕第1期",
            "关于第10周（3月2日—3月8日）重大项目帮办情况的通报",
        ]
        assert paragraphs[-2:] == ["365 帮办办公室", "2026年3月9日"]
        assert any(p.startswith("一、未按时报送进展的首办秘书：Zhao Min") for p in paragraphs)
        again = await bot.press(ADMIN, draft, "nt:del:1")
        assert "already published" in again.params["text"]
        # The group gets the notice as text and, through the outbox, once, as a document.
        await bot.services.outbox.drain()
        await bot.services.outbox.drain()
        to_group = [
            c
            for c in bot.api.calls
            if c.method == "sendDocument" and c.params.get("chat_id") == GROUP.id
        ]
        assert len(to_group) == 1
        await bot.services.outbox.drain()
        notices = _notices(bot, GROUP.id)
        assert len(notices) == 1
        assert (
            "未按时报送进展的首办秘书：Zhao Min（South Road，2 次）" in (notices[0].params["text"])
        )
        assert (
            "逾期未办结的问题：South Road #1“Power line blocks the excavation”"
            in (notices[0].params["text"])
        )
        # Laid out like an office notice: its heading and number, the title, then one
        # paragraph per fact; no Telegram handles.
        head = notices[0].params["text"].split("\n")
        assert head[:2] == ["重大项目365帮办工作通报", "〔2026〕第1期"]
        assert head[2].startswith("关于第10周（3月2日—3月8日）")
        assert "@" not in notices[0].params["text"]
    finally:
        await stop_harness(bot)


async def test_without_approval_the_notice_goes_out_with_the_digest(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    bot = await start_harness(api, clock, tmp_path / "b.db", notice_approval=False)
    try:
        await _week(bot)
        clock.set(NEXT_MONDAY)
        assert await bot.services.digest.tick()
        await bot.services.outbox.drain()
        assert len(_notices(bot, GROUP.id)) == 1
        assert not [c for c in bot.api.sent_to(ADMIN.id) if "Draft notice" in c.params["text"]]
    finally:
        await stop_harness(bot)


async def test_a_long_notice_names_everyone_over_several_messages(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """120 secretaries miss a day: the notice is never cut short. The draft and the published
    notice come in parts Telegram accepts, every name in them, the buttons under the last."""
    bot = await start_harness(api, clock, tmp_path / "b.db", rate_limit_per_second=1000)
    try:
        await project_with(bot, "South Road", [], "daily 09:00")
        people = [(50_000 + n, f"Secretary {n:03d} " + "W" * 30, None, "en") for n in range(120)]
        api.known_chats.update(user_id for user_id, *_ in people)
        await bot.services.repos.members.import_members(
            1, "secretary", people, ADMIN.id, clock.now()
        )
        await bot.send(ADMIN, "/setgroup", group=GROUP)
        clock.set(MONDAY)
        await run_jobs(bot)
        clock.set(MONDAY + timedelta(hours=15))  # past 23:59: everyone missed
        await run_jobs(bot)
        clock.set(NEXT_MONDAY)
        assert await bot.services.digest.tick()
        await bot.services.outbox.drain()
        drafts = _notices(bot, ADMIN.id)
        assert len(drafts) > 1 and all(len(c.params["text"]) <= 4096 for c in drafts)
        assert "Draft notice" in drafts[0].params["text"]
        assert [bool(buttons_of(c)) for c in drafts] == [False] * (len(drafts) - 1) + [True]
        names = {f"Secretary {n:03d}" for n in range(120)}
        assert {n for n in names if n not in "".join(c.params["text"] for c in drafts)} == set()
        published = await bot.press(ADMIN, drafts[-1], "nt:pub:1")
        assert "Notice published" in published.params["text"]
        assert bot.api.message_of(drafts[-1])["text"].startswith("Notice published.\n\n")
        await bot.services.outbox.drain()
        posted = _notices(bot, GROUP.id)
        assert len(posted) > 1 and all(len(c.params["text"]) <= 4096 for c in posted)
        assert {n for n in names if n not in "".join(c.params["text"] for c in posted)} == set()
        assert "请被通报的同志高度重视" in posted[-1].params["text"]
    finally:
        await stop_harness(bot)


async def test_report_on_demand_publishes_nothing(bot: Harness) -> None:
    await _week(bot)
    bot.clock.set(NEXT_MONDAY - timedelta(hours=2))
    mine = (await bot.send(LEADER, "/report 2026-W10")).params["text"]
    assert "South Road" in mine and "North Road" not in mine
    one = (await bot.send(ADMIN, "/report 2 2026-W10")).params["text"]
    assert "North Road" in one and "South Road" not in one
    refused = (await bot.send(LEADER, "/report 2")).params["text"]
    assert "Only admins and the chief leaders in charge of project 2" in refused
    assert "no report for you" in (await bot.send(SECRETARY, "/report")).params["text"]
    assert "Usage" in (await bot.send(ADMIN, "/report 2026-W99")).params["text"]
    await bot.services.outbox.drain()
    assert _digests(bot, GROUP.id) == [] and _notices(bot, GROUP.id) == []


async def test_the_week_so_far_counts_only_what_is_overdue_by_now(bot: Harness) -> None:
    """On Monday a problem due on Thursday is not overdue in this week's report; on Thursday
    afternoon it is. A week yet to come is refused, not reported as empty."""
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    bot.clock.set(MONDAY)
    assert (
        "Problem #1 recorded" in (await bot.send(SECRETARY, "/newproblem 1 Crane")).params["text"]
    )
    monday = (await bot.send(LEADER, "/report")).params["text"]
    assert (
        "week 10 (2 March – 8 March)" in monday
        and "0 overdue" in monday
        and "Longest overdue" not in monday
    )
    bot.clock.set(MONDAY + timedelta(days=3, hours=6))  # Thursday 15:00
    thursday = (await bot.send(LEADER, "/report")).params["text"]
    assert "1 overdue" in thursday and "Longest overdue: #1" in thursday
    later = (await bot.send(LEADER, "/report 2026-W12")).params["text"]
    assert "Week 12 (from 2026-03-16) has not begun yet" in later
    before = (await bot.send(LEADER, "/report 2026-W09")).params["text"]
    assert (
        "week 9 (23 February – 1 March)" in before
        and "No active project existed in that week" in before
    )


async def test_a_friday_digest_counts_only_what_is_overdue_by_friday(bot: Harness) -> None:
    """A digest sent before its week ends (a project's own Friday slot) does not count a
    problem due on Sunday as overdue."""
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await bot.send(ADMIN, "/digest 1 周五 17:00")
    bot.clock.set(MONDAY + timedelta(days=3))  # Thursday 09:00
    await bot.send(SECRETARY, "/newproblem 1 Crane")  # due Sunday 09:00
    bot.clock.set(MONDAY + timedelta(days=4, hours=8))  # Friday 17:00
    assert await bot.services.digest.tick()
    await bot.services.outbox.drain()
    friday = _digests(bot, ADMIN.id)[-1].params["text"]
    assert "week 10 (2 March – 8 March)" in friday and "1 new" in friday and "0 overdue" in friday


async def test_a_project_with_its_own_digest_slot_is_sent_apart(bot: Harness) -> None:
    await _week(bot)  # the clock stops at the next Monday 08:00
    assert "Usage" in (await bot.send(ADMIN, "/digest 1 someday 17:00")).params["text"]
    reply = (await bot.send(ADMIN, "/digest 2 周五 17:00")).params["text"]
    assert "goes out weekly on Fri at 17:00" in reply
    await bot.send(ADMIN, "/language zh")
    assert "每周五 17:00" in (await bot.send(ADMIN, "/digest 2 fri 17:00")).params["text"]
    await bot.send(ADMIN, "/language en")
    assert "Only admins" in (await bot.send(LEADER, "/digest 1 off")).params["text"]
    bot.clock.set(NEXT_MONDAY)
    assert await bot.services.digest.tick()
    await bot.services.outbox.drain()
    weekly = _digests(bot, ADMIN.id)[-1].params["text"]
    assert "South Road" in weekly and "North Road" not in weekly
    bot.clock.set(NEXT_MONDAY + timedelta(days=4, hours=8))  # Friday 17:00: this week's
    assert await bot.services.digest.tick()
    await bot.services.outbox.drain()
    own = _digests(bot, ADMIN.id)[-1].params["text"]
    assert "week 11 (9 March – 15 March)" in own and "North Road" in own and "South Road" not in own
    assert not await bot.services.digest.tick()
    await bot.send(ADMIN, "/digest 1 off")
    await bot.send(ADMIN, "/digest 2 default")
    bot.clock.set(NEXT_MONDAY + timedelta(days=7))
    assert await bot.services.digest.tick()
    await bot.services.outbox.drain()
    later = _digests(bot, ADMIN.id)[-1].params["text"]
    assert "North Road" in later and "South Road" not in later


async def test_a_notice_drafted_on_demand_goes_through_the_same_approval(
    bot: Harness,
) -> None:
    await _week(bot)
    reply = (await bot.send(ADMIN, "/notice 2026-W10")).params["text"]
    assert "The notice is drafted" in reply
    await bot.services.outbox.drain()
    draft = [c for c in bot.api.sent_to(ADMIN.id) if "Draft notice" in c.params["text"]][-1]
    assert "Zhao Min（South Road，2 次）" in draft.params["text"]
    assert _notices(bot, GROUP.id) == []  # nothing published before an admin decides
    await bot.press(ADMIN, draft, next(d for _, d in buttons_of(draft)))
    await bot.services.outbox.drain()
    assert len(_notices(bot, GROUP.id)) == 1
    # The scheduled digest still comes, with a notice of its own.
    bot.clock.set(NEXT_MONDAY)
    assert await bot.services.digest.tick()
    nobody = (await bot.send(ADMIN, "/notice 2026-W09")).params["text"]
    assert "Nobody to name" in nobody
    assert "Only admins" in (await bot.send(LEADER, "/notice")).params["text"]
    assert "Usage" in (await bot.send(ADMIN, "/notice soon")).params["text"]


async def test_a_project_without_a_group_is_named_in_the_notice_too(bot: Harness) -> None:
    """The group is bound to South Road only; North Road has no group of its own (and none for
    all projects): its missed report is named in the group's notice all the same."""
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await project_with(bot, "North Road", [S3], "daily 09:00")
    await bot.send(ADMIN, "/setgroup 1", group=GROUP)
    for day in range(7):
        bot.clock.set(MONDAY + timedelta(days=day))
        await run_jobs(bot)
        await bot.send(SECRETARY, "On track")
        if day != 2:
            await bot.send(S3, "On track")
    bot.clock.set(NEXT_MONDAY)
    await run_jobs(bot)
    assert await bot.services.digest.tick()
    await bot.services.outbox.drain()
    draft = next(c for c in bot.api.sent_to(ADMIN.id) if "Draft notice" in c.params["text"])
    await bot.press(ADMIN, draft, next(d for _, d in buttons_of(draft)))
    await bot.services.outbox.drain()
    notice = _notices(bot, GROUP.id)[0].params["text"]
    assert "Sun Li（North Road，1 次）" in notice and "@" not in notice
