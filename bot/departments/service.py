"""Departments and their people: creating, renaming, archiving, invites, the projects they
support (帮扶部门), and who may see what a department holds."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from bot.clock import Clock
from bot.departments.figures import DepartmentFigures, department_figures
from bot.errors import UsageError, UserError, refusal
from bot.i18n import t
from bot.parsing import MAX_ID_DIGITS, clean_name, parse_project_id
from bot.projects import ProjectService, hash_token, is_person_ref
from bot.registry import Registry
from storage.access import ADMIN, Denied, Need
from storage.departments import Department, DepartmentNameTaken, DeptMember, DeptRole
from storage.handovers import Handover
from storage.models import Person, Project
from storage.outbox import OutgoingMessage
from storage.repos import Repositories

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
DEPT_REF = re.compile(rf"^[dD]#?([0-9]{{1,{MAX_ID_DIGITS}}})$")
DEPT_ROLES: dict[str, DeptRole] = {
    "liaison": "liaison",
    "联络员": "liaison",
    "部门联络员": "liaison",
    "head": "head",
    "负责人": "head",
    "部门负责人": "head",
}


def is_department_ref(raw: str) -> bool:
    return DEPT_REF.match(raw.strip()) is not None


def parse_department_ref(raw: str) -> int:
    """``d3`` (also ``D3``, ``d#3``); a bare number is taken too where only a department can
    be meant (``/dept 3``)."""
    text = raw.strip()
    match = DEPT_REF.match(text)
    if match is None and text.isascii() and text.lstrip("#").isdigit():
        value = int(text.lstrip("#"))
    elif match is not None:
        value = int(match.group(1))
    else:
        raise UserError("dept.bad_ref", value=text[:40])
    if value <= 0:
        raise UserError("dept.bad_ref", value=text[:40])
    return value


@dataclass(frozen=True, slots=True)
class DepartmentCard:
    department: Department
    members: list[DeptMember]
    holding: list[Handover]
    projects: list[Project]


class DepartmentService:
    def __init__(
        self, repos: Repositories, registry: Registry, projects: ProjectService, clock: Clock
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._clock = clock

    # --- lookups ------------------------------------------------------------------------------

    async def department(self, department_id: int) -> Department:
        found = await self._repos.departments.get(department_id)
        if found is None:
            raise UserError("dept.unknown", id=department_id)
        return found

    async def active(self, department_id: int) -> Department:
        found = await self.department(department_id)
        if found.status != "active":
            raise UserError("dept.archived", id=found.id, name=found.name)
        return found

    async def all(self) -> list[Department]:
        return await self._repos.departments.all()

    async def served_by(self, user_id: int) -> list[DeptMember]:
        """The departments the person serves now, and in which role."""
        return await self._repos.departments.of_user(user_id)

    async def card(self, user_id: int, raw: str) -> DepartmentCard:
        """/dept: for admins, and for the department's own people."""
        department = await self.department(parse_department_ref(raw))
        if not await self._registry.is_admin(user_id):
            mine = {m.department_id for m in await self.served_by(user_id)}
            if department.id not in mine:
                raise UserError("dept.not_yours", id=department.id)
        members = await self._repos.departments.members(department.id)
        holding = await self._repos.handovers.of_department(department.id)
        supported = await self._repos.departments.projects_supported(department.id)
        return DepartmentCard(department, members, holding, supported)

    # --- admin changes ------------------------------------------------------------------------

    async def create(self, actor_id: int, raw_name: str) -> Department:
        try:
            return await self._repos.departments.create(
                Need(actor_id, ADMIN), clean_name(raw_name), self._clock.now()
            )
        except DepartmentNameTaken as exc:
            taken = exc.department
            raise UserError("dept.name_taken", id=taken.id, name=taken.name) from None
        except Denied as exc:
            raise refusal(exc) from None

    async def rename(self, actor_id: int, args: list[str]) -> Department:
        if len(args) < 2:
            raise UsageError("renamedept")
        department = await self.department(parse_department_ref(args[0]))
        try:
            await self._repos.departments.rename(
                Need(actor_id, ADMIN), department.id, clean_name(" ".join(args[1:])), self._now()
            )
        except DepartmentNameTaken as exc:
            taken = exc.department
            raise UserError("dept.name_taken", id=taken.id, name=taken.name) from None
        except Denied as exc:
            raise refusal(exc) from None
        return await self.department(department.id)

    async def set_archived(self, actor_id: int, args: list[str], archived: bool) -> Department:
        if len(args) != 1:
            raise UsageError("archivedept")
        department = await self.department(parse_department_ref(args[0]))
        try:
            changed = await self._repos.departments.set_status(
                Need(actor_id, ADMIN),
                department.id,
                "archived" if archived else "active",
                self._now(),
            )
        except Denied as exc:
            raise refusal(exc) from None
        if not changed:
            key = "dept.already_archived" if archived else "dept.already_active"
            raise UserError(key, id=department.id, name=department.name)
        return await self.department(department.id)

    async def create_invite(
        self, actor_id: int, department_ref: str, raw_role: str
    ) -> tuple[str, datetime, Department, DeptRole]:
        """``/invite d<id> liaison|head`` (联络员, 负责人): a single-use link to the department."""
        role = DEPT_ROLES.get(raw_role.strip().lower()) or DEPT_ROLES.get(raw_role.strip())
        if role is None:
            raise UsageError("invite")
        department = await self.active(parse_department_ref(department_ref))
        token = secrets.token_urlsafe(24)
        now = self._now()
        expires = now + self._projects.invite_ttl
        try:
            await self._repos.invites.create(
                Need(actor_id, ADMIN), hash_token(token), role, now, expires, department.id
            )
        except Denied as exc:
            raise refusal(exc) from None
        return token, expires, department, role

    async def support(
        self, actor_id: int, project_arg: str, department_ref: str
    ) -> tuple[Project, Department, bool]:
        """``/project <id> dept d<id>``: a supporting department (帮扶部门) of the project;
        False when it already was one."""
        project = await self._projects.active_project(parse_project_id(project_arg))
        department = await self.active(parse_department_ref(department_ref))
        try:
            added = await self._repos.departments.support(
                Need(actor_id, ADMIN, project.id), department.id, self._now()
            )
        except Denied as exc:
            raise refusal(exc) from None
        return project, department, added

    async def supporting(self, project_ids: list[int]) -> dict[int, list[Department]]:
        return await self._repos.departments.supporting(project_ids)

    async def remove_member(self, actor_id: int, department_ref: str, ref: str) -> Person:
        """``/remove d<id> <who>``: the person no longer serves the department. What it holds
        stays with it; if they had signed for something still open, the head is told."""
        department = await self.department(parse_department_ref(department_ref))
        members = await self._repos.departments.members(department.id)
        person = next((m.person for m in members if is_person_ref(m.person, ref.strip())), None)
        if person is None:
            raise UserError("dept.unknown_person", who=ref[:64], id=department.id)
        signed = [
            h
            for h in await self._repos.handovers.of_department(department.id)
            if h.signed_by == person.user_id and h.status == "signed"
        ]
        notices: list[OutgoingMessage] = []
        if signed:
            ids = ", ".join(f"#{h.problem_id}" for h in signed)
            stamp = self._now().isoformat()
            for head in await self._repos.departments.members(department.id, "head"):
                head_id = head.person.user_id
                if head_id == person.user_id:
                    continue
                lang = await self._registry.language_of(head_id)
                text = t(lang, "dept.liaison_left", who=person.label, dept=department.name, ids=ids)
                notices.append(
                    OutgoingMessage(
                        f"deptleft:{department.id}:{person.user_id}:{head_id}:{stamp}",
                        head_id,
                        text,
                        user_id=head_id,
                    )
                )
        try:
            await self._repos.departments.remove_member(
                Need(actor_id, ADMIN), department.id, person.user_id, self._now(), notices
            )
        except Denied as exc:
            raise refusal(exc) from None
        return person

    async def figures(
        self, since: datetime | None = None, until: datetime | None = None
    ) -> list[DepartmentFigures]:
        """Every active department's figures over the period (default: all time to now)."""
        # To now means including what happened this very moment (the period's end is open).
        until = until or self._now() + timedelta(microseconds=1)
        since = since or EPOCH
        departments = await self._repos.departments.all()
        handovers = await self._repos.handovers.between(since, until)
        sitins = await self._repos.departments.sitins_between(since, until)
        return department_figures(departments, handovers, sitins, since, until)

    def _now(self) -> datetime:
        return self._clock.now()
