"""Roles are checked inside the transaction that writes the change (storage level)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, date, datetime, timedelta

import pytest

from storage import Repositories
from storage.access import ADMIN, LEAD, MEMBER, SECRETARY, Denied, Need
from storage.models import Role
from storage.problems import Change
from tests.conftest import ADMIN as ADMIN_USER

NOW = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
SECRETARY_ID, LEADER_ID, STRANGER_ID = 2001, 3001, 5001


async def _setup(repos: Repositories) -> int:
    """One project with a secretary and a leader; returns its id."""
    project = await repos.projects.create(Need(ADMIN_USER.id, ADMIN), "Plant", "Asia/Shanghai", NOW)
    roles: tuple[tuple[int, Role], ...] = ((SECRETARY_ID, "secretary"), (LEADER_ID, "leader"))
    for user_id, role in roles:
        await repos.members.import_members(
            project.id, role, [(user_id, f"User {user_id}", None, "en")], ADMIN_USER.id, NOW
        )
    return project.id


async def test_members_act_and_strangers_are_refused_without_learning_ids(
    repos: Repositories,
) -> None:
    project_id = await _setup(repos)
    problem_id, created = await repos.problems.create(
        Need(SECRETARY_ID, MEMBER, project_id), "Crane broken", NOW, NOW, timedelta(minutes=10)
    )
    assert created
    for project in (project_id, 99):  # an existing project and a missing one look the same
        with pytest.raises(Denied) as refused:
            await repos.problems.create(
                Need(STRANGER_ID, MEMBER, project), "x", NOW, NOW, timedelta(minutes=10)
            )
        assert refused.value.reason == "not_member"
    with pytest.raises(Denied) as unknown:
        await repos.problems.create(
            Need(ADMIN_USER.id, MEMBER, 99), "x", NOW, NOW, timedelta(minutes=10)
        )
    assert unknown.value.reason == "unknown_project"  # admins may learn it
    ack = Change("acknowledged", ("open",), LEAD, status="in_progress")
    with pytest.raises(Denied):
        await repos.problems.apply(problem_id, ack, SECRETARY_ID, NOW)
    assert await repos.problems.apply(problem_id, ack, LEADER_ID, NOW)


async def test_a_removed_member_is_refused_by_every_write(repos: Repositories) -> None:
    """Whatever was read before, the write itself checks the role as of now."""
    project_id = await _setup(repos)
    problem_id, _ = await repos.problems.create(
        Need(SECRETARY_ID, MEMBER, project_id), "Crane broken", NOW, NOW, timedelta(minutes=10)
    )
    round_id = await repos.rounds.open_round(
        project_id, NOW, date(2026, 3, 2), NOW + timedelta(hours=8), "schedule", NOW
    )
    assert round_id is not None
    checkin = (await repos.checkins.checkins_of_round(round_id))[0]
    for user_id in (SECRETARY_ID, LEADER_ID):
        await repos.members.remove(Need(ADMIN_USER.id, ADMIN, project_id), user_id, NOW)

    writes: list[Callable[[], Awaitable[object]]] = [
        lambda: repos.checkins.record_answer(checkin.id, "ok", NOW, outcome="ok"),
        lambda: repos.problems.create(
            Need(SECRETARY_ID, MEMBER, project_id), "again", NOW, NOW, timedelta(minutes=10)
        ),
        lambda: repos.problems.apply(
            problem_id, Change("note", ("open",), MEMBER, text="n"), SECRETARY_ID, NOW
        ),
        lambda: repos.problems.apply(
            problem_id,
            Change("extended", ("open",), LEAD, deadline=NOW + timedelta(days=1)),
            LEADER_ID,
            NOW,
        ),
        lambda: repos.schedules.add_leave(
            Need(SECRETARY_ID, SECRETARY), date(2026, 3, 3), date(2026, 3, 3), NOW
        ),
    ]
    for write in writes:
        with pytest.raises(Denied):
            await write()
    assert await repos.checkins.answers(checkin.id) == []
    assert len(await repos.problems.history(problem_id)) == 1


async def test_archived_projects_refuse_changes_until_reactivated(repos: Repositories) -> None:
    project_id = await _setup(repos)
    admin = Need(ADMIN_USER.id, ADMIN, project_id, active=False)
    assert await repos.projects.set_status(admin, "archived", NOW)
    assert not await repos.projects.set_status(admin, "archived", NOW)  # a retry changes nothing
    with pytest.raises(Denied) as refused:
        await repos.problems.create(
            Need(SECRETARY_ID, MEMBER, project_id), "x", NOW, NOW, timedelta(minutes=10)
        )
    assert refused.value.reason == "archived"
    with pytest.raises(Denied):
        await repos.invites.create(
            Need(ADMIN_USER.id, ADMIN, project_id), "hash", "secretary", NOW, NOW
        )


async def test_admin_only_writes_refuse_others(repos: Repositories) -> None:
    project_id = await _setup(repos)
    for user_id in (SECRETARY_ID, STRANGER_ID):
        with pytest.raises(Denied) as refused:
            await repos.projects.create(Need(user_id, ADMIN), "Other", "Asia/Shanghai", NOW)
        assert refused.value.reason == "not_admin"
        with pytest.raises(Denied):
            await repos.members.remove(Need(user_id, ADMIN, project_id), LEADER_ID, NOW)
        with pytest.raises(Denied):
            await repos.schedules.set_calendar_days(
                Need(user_id, ADMIN), [NOW.date()], "holiday", NOW
            )
    assert await repos.projects.count() == 1
    assert len(await repos.members.of_project(project_id)) == 2
