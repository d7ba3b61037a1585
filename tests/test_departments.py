"""Departments at the storage level (both engines) and their pure rules: who may act on a
handover, once-only chasing, working time, references and figures."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from bot.departments.figures import department_figures
from bot.departments.service import parse_department_ref
from bot.departments.workhours import parse_office_location, parse_work_hours
from bot.errors import UserError
from storage import Repositories
from storage.access import ADMIN, DEPT, MEMBER, Denied, Need
from storage.departments import Department
from storage.handovers import NewHandover
from storage.problems import Change
from tests.conftest import ADMIN as ADMIN_USER

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Shanghai
SECRETARY_ID, LIAISON_ID, OTHER_ID = 2001, 6001, 6002


async def _setup(repos: Repositories) -> tuple[int, int, int, int]:
    """A project with a secretary and a problem; two departments, one liaison in each.
    Returns (project, problem, department, other department)."""
    admin = Need(ADMIN_USER.id, ADMIN)
    project = await repos.projects.create(admin, "Plant", "Asia/Shanghai", NOW)
    await repos.members.import_members(
        project.id, "secretary", [(SECRETARY_ID, "Li", None, "en")], ADMIN_USER.id, NOW
    )
    problem_id, _ = await repos.problems.create(
        Need(SECRETARY_ID, MEMBER, project.id), "Crane broken", NOW, NOW, timedelta(minutes=10)
    )
    housing = await repos.departments.create(admin, "Housing", NOW)
    power = await repos.departments.create(admin, "Power", NOW)
    for department, user_id in ((housing, LIAISON_ID), (power, OTHER_ID)):
        async with repos.db.write() as conn:
            await conn.execute(
                "INSERT INTO people (user_id, display_name, created_at, updated_at)"
                " VALUES (?, ?, ?, ?)",
                (
                    user_id,
                    f"U{user_id}",
                    "2026-03-01T00:00:00.000000Z",
                    "2026-03-01T00:00:00.000000Z",
                ),
            )
            await conn.execute(
                "INSERT INTO department_members (department_id, user_id, role, added_at)"
                " VALUES (?, ?, 'liaison', ?)",
                (department.id, user_id, "2026-03-01T00:00:00.000000Z"),
            )
    return project.id, problem_id, housing.id, power.id


async def _hand(repos: Repositories, project_id: int, problem_id: int, department_id: int) -> int:
    new = NewHandover(department_id, "Housing", NOW + timedelta(days=3), NOW + timedelta(hours=4))
    created = await repos.handovers.hand(
        Need(ADMIN_USER.id, ADMIN, project_id), problem_id, [new], NOW, lambda *_: []
    )
    return created[0] if created else 0


async def test_only_the_holding_departments_people_act_on_a_problem(repos: Repositories) -> None:
    project_id, problem_id, housing, _ = await _setup(repos)
    note = Change("note", ("open",), MEMBER | DEPT, text="On it")
    with pytest.raises(Denied):  # not handed to any department yet
        await repos.problems.apply(problem_id, note, LIAISON_ID, NOW)
    handover_id = await _hand(repos, project_id, problem_id, housing)
    assert await repos.problems.apply(problem_id, note, LIAISON_ID, NOW)
    with pytest.raises(Denied):  # another department's liaison
        await repos.problems.apply(problem_id, note, OTHER_ID, NOW)
    handover = await repos.handovers.get(handover_id)
    assert handover is not None
    with pytest.raises(Denied):
        await repos.handovers.change(handover, OTHER_ID, "signed", ("handed",), NOW)
    assert await repos.handovers.change(handover, LIAISON_ID, "signed", ("handed",), NOW)
    # A second press changes nothing.
    assert not await repos.handovers.change(handover, LIAISON_ID, "signed", ("handed",), NOW)
    # Removed from the department: refused as of the write.
    await repos.departments.remove_member(Need(ADMIN_USER.id, ADMIN), housing, LIAISON_ID, NOW)
    with pytest.raises(Denied):
        await repos.problems.apply(problem_id, note, LIAISON_ID, NOW)
    with pytest.raises(Denied):
        await repos.handovers.change(handover, LIAISON_ID, "done", ("signed",), NOW)


async def test_a_department_holds_a_problem_once_and_the_first_leads(repos: Repositories) -> None:
    project_id, problem_id, housing, power = await _setup(repos)
    first = await _hand(repos, project_id, problem_id, housing)
    assert await _hand(repos, project_id, problem_id, housing) == 0
    second = await _hand(repos, project_id, problem_id, power)
    held = await repos.handovers.of_problem(problem_id)
    assert [(h.id, h.lead) for h in held] == [(first, True), (second, False)]
    # Archived departments are handed nothing.
    await repos.departments.set_status(Need(ADMIN_USER.id, ADMIN), power, "archived", NOW)
    problem2, _ = await repos.problems.create(
        Need(SECRETARY_ID, MEMBER, project_id), "Road closed", NOW, NOW, timedelta(minutes=10)
    )
    assert await _hand(repos, project_id, problem2, power) == 0


async def test_a_done_lead_claims_the_problem_and_a_send_back_returns_it(
    repos: Repositories,
) -> None:
    project_id, problem_id, housing, _ = await _setup(repos)
    handover_id = await _hand(repos, project_id, problem_id, housing)
    handover = await repos.handovers.get(handover_id)
    assert handover is not None
    await repos.handovers.change(handover, LIAISON_ID, "signed", ("handed",), NOW)
    assert await repos.handovers.change(
        handover, LIAISON_ID, "done", ("signed",), NOW, text="Fixed", claim=True
    )
    problem = await repos.problems.get(problem_id)
    assert problem is not None and problem.status == "awaiting"
    assert problem.claimed_by == LIAISON_ID
    back = Change("sent_back", ("awaiting",), frozenset({"admin"}), status="open", text="No")
    assert await repos.problems.apply(problem_id, back, ADMIN_USER.id, NOW)
    again = await repos.handovers.get(handover_id)
    assert again is not None and again.status == "signed" and again.done_at is None


async def test_each_chase_is_recorded_once_per_time_limit(repos: Repositories) -> None:
    project_id, problem_id, housing, _ = await _setup(repos)
    await _hand(repos, project_id, problem_id, housing)
    later = NOW + timedelta(hours=5)
    due = await repos.handovers.due_sign(later)
    assert [h.problem_id for h in due] == [problem_id]
    assert await repos.handovers.chase(due[0], "sign", [], later, "liaisons")
    assert not await repos.handovers.chase(due[0], "sign", [], later, "liaisons")
    assert await repos.handovers.due_sign(later) == []
    assert await repos.handovers.due_level1(later) == []
    past = NOW + timedelta(days=3, minutes=1)
    [late] = await repos.handovers.due_level1(past)
    assert await repos.handovers.chase(late, "level1", [], past, "head")
    assert await repos.handovers.due_level2(past + timedelta(days=1), timedelta(days=2)) == []
    assert len(await repos.handovers.due_level2(past + timedelta(days=2), timedelta(days=2))) == 1
    assert await repos.handovers.next_due(timedelta(days=2)) == past + timedelta(days=2)


def test_working_time_skips_nights_weekends_and_holidays() -> None:
    hours = parse_work_hours("08:30-17:30")
    holidays = {date(2026, 3, 9)}

    def workday(day: date) -> bool:
        return day.weekday() < 5 and day not in holidays

    zone = "Asia/Shanghai"
    monday_9 = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    assert hours.add(monday_9, timedelta(hours=4), zone, workday) == monday_9 + timedelta(hours=4)
    friday_1630 = datetime(2026, 3, 6, 8, 30, tzinfo=UTC)
    # 1 hour on Friday; Monday the 9th is a holiday; 3 hours on Tuesday from 08:30.
    assert hours.add(friday_1630, timedelta(hours=4), zone, workday) == datetime(
        2026, 3, 10, 3, 30, tzinfo=UTC
    )
    saturday_night = datetime(2026, 3, 7, 14, 0, tzinfo=UTC)
    assert hours.add(saturday_night, timedelta(minutes=30), zone, workday) == datetime(
        2026, 3, 10, 1, 0, tzinfo=UTC
    )
    for bad in ("17:30-08:30", "8-17", "09:00-09:00"):
        with pytest.raises(ValueError):
            parse_work_hours(bad)


def test_office_location_and_department_references() -> None:
    office = parse_office_location("30.5728,104.0668,300")
    assert office is not None
    assert office.contains(30.5730, 104.0670) and not office.contains(30.60, 104.0668)
    assert parse_office_location("") is None
    for bad in ("30.5,104", "north,east,300", "95,104,300", "30,104,1"):
        with pytest.raises(ValueError):
            parse_office_location(bad)
    assert [parse_department_ref(r) for r in ("d3", "D12", "d#4", "5")] == [3, 12, 4, 5]
    for bad in ("dx", "d0", "-1", "d", "部门3"):
        with pytest.raises(UserError):
            parse_department_ref(bad)


def test_figures_count_in_time_late_and_absent() -> None:
    from storage.departments import Sitin
    from storage.handovers import Handover

    department = Department(1, "Housing", "active", NOW)

    def handed(n: int, signed: timedelta | None, done: timedelta | None, status: str) -> Handover:
        return Handover(
            id=n,
            problem_id=n,
            department_id=1,
            department_name="Housing",
            project_id=1,
            project_timezone="UTC",
            lead=True,
            status=status,
            handed_at=NOW,
            handed_by=1,
            deadline=NOW + timedelta(days=1),
            sign_due=NOW + timedelta(hours=4),
            signed_at=NOW + signed if signed is not None else None,
            signed_by=None,
            signed_by_name=None,
            done_at=NOW + done if done is not None else None,
            reason=None,
        )

    handovers = [
        handed(1, timedelta(hours=1), timedelta(hours=20), "done"),  # in time, on time
        handed(2, timedelta(hours=5), timedelta(days=2), "done"),  # signed late, done late
        handed(3, None, None, "handed"),  # never signed: overdue by the end
    ]
    sitins = [
        Sitin(1, 1, 6001, "2026-03-02", NOW, NOW, "present", NOW),
        Sitin(2, 1, 6002, "2026-03-02", NOW, NOW, "absent", None),
    ]
    [figures] = department_figures([department], handovers, sitins, NOW, NOW + timedelta(days=7))
    assert (figures.received, figures.signed_in_time) == (3, 1)
    assert (figures.done, figures.done_on_time) == (2, 1)
    assert (figures.open, figures.overdue) == (1, 1)
    assert (figures.sitins_present, figures.sitins_due) == (1, 2)
    assert figures.median_sign == timedelta(hours=3) and figures.late
