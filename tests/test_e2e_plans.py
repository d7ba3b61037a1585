"""End to end: a project's plan (三明确), its milestones and 形象进度, the monthly investment
report, and a project behind its plan asked to explain (说明原因), then the group."""

from __future__ import annotations

import io
import zipfile
from datetime import timedelta

import pytest
from openpyxl import load_workbook

from bot.errors import UserError
from bot.plans.money import format_money, parse_money
from bot.plans.scoring import parse_board_weights, weighted_score
from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with, run_jobs
from tests.fakebot import ApiCall, FakeGroup, FakeUser, buttons_of
from tests.test_e2e_checkins import SLOT, last_prompt
from tests.test_e2e_ledger import LEADER, SECRETARY

GROUP = FakeGroup(-100999, "Leadership group")


def texts_to(bot: Harness, chat_id: int, words: str) -> list[ApiCall]:
    return [c for c in bot.api.sent_to(chat_id) if words in c.params.get("text", "")]


async def setup(bot: Harness) -> None:
    await project_with(bot, "South Road", [SECRETARY])
    await invite_and_join(bot, 1, "leader", LEADER)
    await bot.send(ADMIN, "/setgroup 1", group=GROUP)


def test_amounts_are_read_and_written_as_an_office_does() -> None:
    assert parse_money("1,234.5") == 12_345_000
    assert parse_money("1234.5万") == parse_money("1234.5万元") == 12_345_000
    assert parse_money("0.12亿") == 12_000_000
    assert parse_money("5000元") == 5000
    for bad in ("-5", "abc", "12万万", "1.2.3", ""):
        try:
            parse_money(bad)
        except UserError as error:
            assert error.key == "money.bad"
        else:
            raise AssertionError(bad)
    assert format_money(12_345_000, "zh-CN") == "1,234.5万元"
    assert format_money(250_000_000, "zh-CN") == "2.5亿元"
    assert format_money(None, "en") == "–"


async def test_the_plan_is_set_in_english_or_chinese_and_shown_on_the_card(bot: Harness) -> None:
    await setup(bot)
    for command, answer in (
        ("/plan 1 阶段 在建", "stage set to under construction (在建)"),
        ("/plan 1 总投资 3.5亿", "total investment set to 3.5亿元"),
        ("/plan 1 year 12000", "this year's planned investment set to 1.2亿元"),
        ("/plan 1 line 工业线", "work line set to 工业线"),
        ("/plan 1 属地 城关镇", "locality set to 城关镇"),
        ("/plan 1 start 2026-03-01", "planned start set to 2026-03-01"),
        ("/plan 1 completion 2027-06-30", "planned completion set to 2027-06-30"),
    ):
        reply = (await bot.send(ADMIN, command)).params["text"]
        assert answer in reply, (command, reply)
    refused = (await bot.send(ADMIN, "/plan 1 completion 2026-01-01")).params["text"]
    assert "is before the planned start 2026-03-01" in refused
    assert "not a stage" in (await bot.send(ADMIN, "/plan 1 stage flying")).params["text"]
    assert "not a field" in (await bot.send(ADMIN, "/plan 1 colour red")).params["text"]
    assert "not an amount" in (await bot.send(ADMIN, "/plan 1 total lots")).params["text"]
    absurd = (await bot.send(ADMIN, "/plan 1 year 40亿")).params["text"]
    assert "more than ten times the total" in absurd
    assert "Only admins" in (await bot.send(LEADER, "/plan 1 stage 签约")).params["text"]
    await bot.send(ADMIN, "/project 1")
    card = "\n".join(c.params["text"] for c in bot.api.sent_to(ADMIN.id)[-2:])
    assert "Stage: under construction (在建) (since 2026-03-02)" in card
    assert "Total investment 3.5亿元; planned this year 1.2亿元" in card
    assert "Work line: 工业线; locality: 城关镇" in card
    lines = (await bot.send(ADMIN, "/lines")).params["text"]
    assert "工业线: 1 project(s)" in lines


async def test_milestones_make_the_visible_progress(bot: Harness) -> None:
    await setup(bot)
    past = (await bot.send(ADMIN, "/milestones 1 add 2026-03-01 Excavation")).params["text"]
    assert "already past" in past
    for day, name in (
        ("2026-03-03", "Excavation"),
        ("2026-03-05", "Pipes laid"),
        ("2026-04-01", "Backfill"),
    ):
        added = (await bot.send(ADMIN, f"/milestones 1 add {day} {name} @liwei")).params["text"]
        assert f"“{name}” by {day}" in added
    listing = (await bot.send(SECRETARY, "/milestones 1")).params["text"]
    assert "⏳ #1 Excavation, 2026-03-03 (Li Wei)" in listing
    assert "形象进度 –" in listing  # nothing due yet
    bot.clock.advance(timedelta(days=1))
    done = (await bot.send(SECRETARY, "/done 1 Trench dug, photos sent")).params["text"]
    assert "done on 2026-03-03, on time" in done
    assert "already done" in (await bot.send(SECRETARY, "/done 1")).params["text"]
    bot.clock.advance(timedelta(days=3))  # the 6th: Pipes laid is a day overdue
    listing = (await bot.send(LEADER, "/milestones 1")).params["text"]
    assert (
        "✅ #1 Excavation" in listing
        and "⚠️ #2 Pipes laid, 2026-03-05 (Li Wei) — ⚠️ 1 days overdue" in listing
    )
    assert "▓▓▓▓▓░░░░░ 50%" in listing
    report = (await bot.send(ADMIN, "/report")).params["text"]
    assert "形象进度 ▓▓▓▓▓░░░░░ 50%" in report
    assert "Milestones behind (滞后节点): Pipes laid (planned 2026-03-05)" in report
    late = (await bot.send(SECRETARY, "/done 2")).params["text"]
    assert "after its planned day" in late
    stranger = FakeUser(5002, "Mallory", "mallory", "en")
    assert "no milestone #3 of yours" in (await bot.send(stranger, "/done 3")).params["text"]


async def test_the_monthly_investment_report(bot: Harness) -> None:
    await setup(bot)
    await bot.send(ADMIN, "/plan 1 year 1000")
    answer = (await bot.send(ADMIN, "/schedule 1 investment monthly 3 09:00")).params["text"]
    assert "on day 3 09:00 each month" in answer
    assert await bot.services.investment.tick() == 0  # the 2nd: not yet
    bot.clock.advance(timedelta(days=1, minutes=31))  # the 3rd, 09:01
    assert await bot.services.investment.tick() == 1
    assert await bot.services.investment.tick() == 0  # once a month
    await bot.services.outbox.drain()
    prompt = texts_to(bot, SECRETARY.id, "Monthly investment report")[-1]
    await bot.press(SECRETARY, prompt, "iv:1")
    bad = await bot.send(SECRETARY, "about a million")
    assert "not an amount" in bad.params["text"]
    ok = await bot.send(SECRETARY, "250万")
    assert "investment 250万元 recorded; completed this year 250万元 (25%)" in ok.params["text"]
    corrected = await bot.send(SECRETARY, "/invest 1 300 2026-03")
    assert "corrected to 300万元; completed this year 300万元 (30%)" in corrected.params["text"]
    plan = (await bot.send(LEADER, "/plan 1")).params["text"]
    assert "completed this year 300万元 (30%)" in plan
    report = (await bot.send(ADMIN, "/report")).params["text"]
    assert "investment completed this year 300万元 (30%)" in report
    await bot.send(ADMIN, "/export")
    book = load_workbook(io.BytesIO(bot.api.uploads[-1].data))
    values = list(book["Projects"].iter_rows(values_only=True))
    row = dict(zip(values[0], values[1], strict=True))
    assert row["Completed this year (万元)"] == 300 and row["Planned this year (万元)"] == 1000


async def test_a_project_behind_plan_asks_its_leader_then_the_group(bot: Harness) -> None:
    await setup(bot)
    await bot.send(ADMIN, "/milestones 1 add 2026-03-03 Excavation")
    explain = bot.services.explain
    assert await explain.tick() == (0, 0)
    bot.clock.advance(timedelta(days=2))  # the 4th: the milestone of the 3rd is undone
    assert (await explain.tick())[0] == 1
    assert (await explain.tick())[0] == 0  # asked once
    await bot.services.outbox.drain()
    card = texts_to(bot, LEADER.id, "is behind its plan: the milestone “Excavation”")
    assert len(card) == 1 and buttons_of(card[0]) == [("📝 Explain (说明原因)", "ex:1")]
    refused = await bot.press(SECRETARY, card[0], "ex:1")
    assert "not for you" in refused.params["text"]
    bot.clock.advance(timedelta(days=3))  # EXPLAIN_WITHIN: the group hears
    assert (await explain.tick())[1] == 1
    assert (await explain.tick())[1] == 0
    await bot.services.outbox.drain()
    group = texts_to(bot, GROUP.id, "节点滞后")  # the group speaks DEFAULT_LANGUAGE
    assert (
        len(group) == 1
        and "首席负责人（Zhang San）自 2026-03-04 起未说明原因" in group[0].params["text"]
    )
    # The leader still explains; it is kept, and only once.
    await bot.press(LEADER, card[0], "ex:1")
    reply = await bot.send(LEADER, "Rain for a week; two crews from Monday")
    assert "explanation is in project 1's history" in reply.params["text"]
    again = await bot.press(LEADER, card[0], "ex:1")
    assert "explained already" in again.params["text"]


async def test_a_stalled_project_is_asked_to_explain(bot: Harness) -> None:
    await setup(bot)
    bot.clock.advance(timedelta(days=13))
    assert (await bot.services.explain.tick())[0] == 0
    bot.clock.advance(timedelta(days=1, minutes=1))
    assert (await bot.services.explain.tick())[0] == 1
    await bot.services.outbox.drain()
    assert len(texts_to(bot, LEADER.id, "has shown no progress for 14 days")) == 1


async def test_the_board_ranks_by_progress_against_the_plan(bot: Harness) -> None:
    await setup(bot)
    await project_with(bot, "North Road", [])
    for project in (1, 2):
        await bot.send(ADMIN, f"/plan {project} year 1000")
    before = (await bot.send(ADMIN, "/board")).params["text"]
    assert before.index("1. North Road") < before.index("2. South Road")  # a tie: by name
    await bot.send(SECRETARY, "/invest 1 800")
    after = (await bot.send(ADMIN, "/board")).params["text"]
    assert after.index("1. South Road") < after.index("2. North Road"), after
    assert "investment against plan 80%" in after
    assert "Score: milestones on time 30; investment 30; problems on time 20; reporting 20" in after


def test_the_score_weighs_what_a_project_has_and_the_weights_are_checked() -> None:
    weights = parse_board_weights("milestones=30,investment=30,problems=20,reporting=20")
    full = {"milestones": 1.0, "investment": 0.5, "problems": 0.0, "reporting": 1.0}
    assert weighted_score(full, weights) == (30 + 15 + 0 + 20) / 100
    partial = {"milestones": None, "investment": None, "problems": 0.5, "reporting": 1.0}
    assert weighted_score(partial, weights) == (10 + 20) / 40
    assert weighted_score(dict.fromkeys(full), weights) is None
    assert parse_board_weights("reporting=1") == {
        "milestones": 0.0,
        "investment": 0.0,
        "problems": 0.0,
        "reporting": 1.0,
    }
    for bad in ("speed=3", "milestones=x", "milestones=-1", "milestones=0"):
        with pytest.raises(ValueError):
            parse_board_weights(bad)


async def test_a_secretary_marks_a_milestone_done_from_the_check_in_prompt(
    bot: Harness,
) -> None:
    await project_with(bot, "South Road", [SECRETARY], "daily 09:00")
    await bot.send(ADMIN, "/milestones 1 add 2026-03-02 Excavation")  # due today
    await bot.send(ADMIN, "/milestones 1 add 2026-05-01 Backfill")  # not due for weeks
    bot.clock.set(SLOT)
    await run_jobs(bot)
    prompt = last_prompt(bot, SECRETARY)
    assert ("🏁 Milestone done (节点完成)", "ms:1") in buttons_of(prompt)
    await bot.press(SECRETARY, prompt, "ms:1")
    listing = bot.api.sent_to(SECRETARY.id)[-1]
    assert [d for _, d in buttons_of(listing)] == ["ms:d:1"]  # Backfill is not due yet
    done = await bot.press(SECRETARY, listing, "ms:d:1")
    assert "done on 2026-03-02, on time" in done.params["text"]
    again = await bot.press(SECRETARY, listing, "ms:d:1")
    assert "already done" in again.params["text"]
    stranger = await bot.press(LEADER, prompt, "ms:1")
    assert "not for you" in stranger.params["text"]
    # Next day's prompt: nothing due, no button.
    bot.clock.set(SLOT + timedelta(days=1))
    await run_jobs(bot)
    assert all(d != "ms:1" for _, d in buttons_of(last_prompt(bot, SECRETARY)))


async def test_a_photo_after_done_is_the_milestones_evidence(bot: Harness) -> None:
    """节点佐证: a photo sent right after /done is kept with the milestone, shown on the board
    and exported with the files; a text sent then is what it always was (a report), not
    evidence."""
    await setup(bot)
    await bot.send(ADMIN, "/milestones 1 add 2026-03-03 Excavation @liwei")
    await bot.send(ADMIN, "/milestones 1 add 2026-03-05 Pipes laid @liwei")
    bot.clock.advance(timedelta(days=1))
    done = (await bot.send(SECRETARY, "/done 1 Trench dug")).params["text"]
    assert "Send a photo now as its evidence" in done
    mark = len(bot.api.calls)
    await bot.api.send_media(SECRETARY, "photo", caption="North end")
    kept = await bot.api.reply_to(SECRETARY.id, after=mark)
    assert "kept as the evidence of milestone #1" in kept.params["text"]
    files = await bot.services.repos.attachments.of_milestone(1)
    assert [f.kind for f in files] == ["photo"]
    # The wait is over; and after the next /done a text is not taken as evidence.
    await bot.send(SECRETARY, "/done 2")
    reply = (await bot.send(SECRETARY, "Pipes laid along the whole north section")).params
    assert "evidence" not in reply["text"]
    assert await bot.services.repos.attachments.of_milestone(2) == []
    # The board shows it to the project's people; the export carries it.
    viewer = await bot.services.web_access.viewer(LEADER.id, None)
    project = await bot.services.web_board.project(viewer, 1)
    milestones = project["milestones"]
    assert isinstance(milestones, list) and milestones[0]["photos"] == [files[0].id]
    assert milestones[0]["evidence"] == "Trench dug"
    assert (await bot.services.web_ledger.photo(viewer, files[0].id)).id == files[0].id
    await bot.send(ADMIN, "/export files")
    await bot.api.wait_for(lambda c: c.method == "sendDocument" and c.params["chat_id"] == ADMIN.id)
    archive = zipfile.ZipFile(io.BytesIO(bot.api.uploads[-1].data))
    assert any(name.startswith("South Road/") for name in archive.namelist())
