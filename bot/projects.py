"""Projects and who serves them: creation, archiving, invites, members, leadership groups.

Every change is made with a :class:`~storage.access.Need` that the repository checks inside
the transaction that writes it, so a role taken away a moment ago is already gone.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, format_local
from bot.errors import UserError
from bot.i18n import normalize_language, t
from bot.parsing import clean_name
from bot.registry import Registry, UserRef
from storage.access import ADMIN, LEAD, Need
from storage.departments import Department
from storage.invites import RedeemResult
from storage.models import GroupBinding, Invite, InviteRole, Member, Person, Project, Role
from storage.outbox import OutgoingMessage
from storage.projects import NameTaken
from storage.repos import Repositories

BAD_TOKEN_WINDOW = timedelta(minutes=10)
BAD_TOKEN_LIMIT = 5


def hash_token(token: str) -> str:
    """Invite tokens are stored only as this hash."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class ProjectOverview:
    project: Project
    secretaries: list[Member]
    leaders: list[Member]


@dataclass(frozen=True, slots=True)
class RedeemOutcome:
    result: RedeemResult
    role: InviteRole | None = None
    project: Project | None = None
    department: Department | None = None


class ProjectService:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        clock: Clock,
        *,
        default_timezone: str,
        invite_ttl: timedelta,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._clock = clock
        self.default_timezone = default_timezone
        self._invite_ttl = invite_ttl

    @property
    def invite_ttl(self) -> timedelta:
        return self._invite_ttl

    # --- projects ---------------------------------------------------------------------------

    async def project(self, project_id: int) -> Project:
        project = await self._repos.projects.get(project_id)
        if project is None:
            raise UserError("error.unknown_project", id=project_id)
        return project

    async def readable(
        self, user_id: int, project_id: int | None, *, refused: str, nothing: str
    ) -> tuple[list[int] | None, Project | None]:
        """The projects whose figures this person may read: one, if they lead it or are an
        admin (else ``refused``); without one, all for admins (None) or those they lead
        (else ``nothing``). Secretaries read their own answers, not the office's figures."""
        if project_id is not None:
            project = await self.project(project_id)
            if not await self._registry.roles_on(user_id, project.id) & LEAD:
                raise UserError(refused, id=project.id)
            return [project.id], project
        scoped: list[int] = []
        if await self._registry.is_admin(user_id):
            reach = await self._registry.admin_projects(user_id)
            if reach is None:
                return None, None
            scoped = reach  # a work line's or locality's admin (项目到线)
        mine = await self._repos.members.of_user(user_id)
        led = sorted({m.project_id for m in mine if m.role == "leader"} | set(scoped))
        if not led:
            raise UserError(nothing)
        return led, None

    async def active_project(self, project_id: int) -> Project:
        project = await self.project(project_id)
        if project.status != "active":
            raise UserError("error.archived_project", id=project_id)
        return project

    async def create_project(self, actor_id: int, raw_name: str) -> Project:
        """A new project; a name already in use is refused, so a retried command creates
        nothing twice."""
        try:
            return await self._repos.projects.create(
                Need(actor_id, ADMIN), clean_name(raw_name), self.default_timezone, self._now()
            )
        except NameTaken as exc:
            raise UserError("error.name_taken", id=exc.project.id, name=exc.project.name) from None

    async def rename(self, actor_id: int, project_id: int, raw_name: str) -> Project:
        name = clean_name(raw_name)
        need = Need(actor_id, ADMIN, project_id, active=False)
        try:
            await self._repos.projects.rename(need, name, self._now())
        except NameTaken as exc:
            raise UserError("error.name_taken", id=exc.project.id, name=exc.project.name) from None
        return await self.project(project_id)

    async def set_archived(self, actor_id: int, project_id: int, archived: bool) -> Project:
        """Archive (or reactivate) a project; done already counts as done (a retry)."""
        await self.project(project_id)
        need = Need(actor_id, ADMIN, project_id, active=False)
        if not await self._repos.projects.set_status(
            need, "archived" if archived else "active", self._now()
        ):
            key = "project.already_archived" if archived else "project.already_active"
            raise UserError(key, id=project_id)
        return await self.project(project_id)

    async def overview(
        self, user_id: int, offset: int, limit: int
    ) -> tuple[int, list[ProjectOverview]]:
        """One page of the projects this admin manages (a scoped one: their work line's or
        locality's) with their people, plus the total count."""
        ids = await self._registry.admin_projects(user_id)
        total = await self._repos.projects.count(ids)
        projects = await self._repos.projects.list(offset=offset, limit=limit, ids=ids)
        members = await self._repos.members.of_projects([p.id for p in projects])
        return total, [
            ProjectOverview(
                p,
                [m for m in members[p.id] if m.role == "secretary"],
                [m for m in members[p.id] if m.role == "leader"],
            )
            for p in projects
        ]

    async def members(self, project_id: int, role: Role | None = None) -> list[Member]:
        await self.project(project_id)
        return await self._repos.members.of_project(project_id, role)

    async def group_of(self, project_id: int | None) -> GroupBinding | None:
        return await self._repos.groups.for_project(project_id)

    # --- invites ----------------------------------------------------------------------------

    async def create_invite(
        self,
        actor_id: int,
        project_id: int | None,
        role: InviteRole,
        official: dict[str, str] | None = None,
    ) -> tuple[str, datetime, Project | None]:
        """A fresh single-use token (192 random bits, URL-safe, 32 characters); ``official``:
        the unit and title recorded for whoever joins by it."""
        project = await self.active_project(project_id) if project_id is not None else None
        token = secrets.token_urlsafe(24)
        now = self._now()
        given = official or {}
        await self._repos.invites.create(
            Need(actor_id, ADMIN, project_id),
            hash_token(token),
            role,
            now,
            now + self._invite_ttl,
            unit=given.get("unit") or None,
            title=given.get("title") or None,
        )
        return token, now + self._invite_ttl, project

    async def redeem(self, user: UserRef, token: str) -> RedeemOutcome:
        now = self._now()
        recent = await self._repos.invites.failures_since(user.id, now - BAD_TOKEN_WINDOW)
        if recent >= BAD_TOKEN_LIMIT:
            return RedeemOutcome(RedeemResult.THROTTLED)
        token_hash = hash_token(token)
        invite = await self._repos.invites.peek(token_hash)
        project = department = None
        if invite is not None and invite.project_id is not None:
            project = await self._repos.projects.get(invite.project_id)
        if invite is not None and invite.department_id is not None:
            department = await self._repos.departments.get(invite.department_id)
        notices = await self._join_notices(user, invite, project, department) if invite else []
        redeemed = await self._repos.invites.redeem(
            token_hash,
            user.id,
            user.display_name,
            user.username,
            normalize_language(user.language_code),
            now,
            notices,
        )
        if redeemed.result in {RedeemResult.UNKNOWN, RedeemResult.USED, RedeemResult.EXPIRED}:
            await self._repos.invites.record_failure(user.id, now)
        role = redeemed.invite.role if redeemed.invite else None
        return RedeemOutcome(redeemed.result, role, project, department)

    async def _join_notices(
        self,
        user: UserRef,
        invite: Invite,
        project: Project | None,
        department: Department | None = None,
    ) -> list[OutgoingMessage]:
        """What the admins are told if the invite is used: queued with the redemption."""
        messages = []
        key = f"joined:{user.id}:{invite.role}:{invite.id}"
        for admin_id in await self._repos.admins.ids():
            if admin_id == user.id:
                continue
            lang = await self._registry.language_of(admin_id)
            if department is not None:
                text = t(
                    lang,
                    "invite.notify_admins_dept",
                    name=user.display_name,
                    id=department.id,
                    dept=department.name,
                    role=t(lang, f"role.{invite.role}"),
                )
            elif project is None:
                text = t(lang, "invite.notify_admins_admin", name=user.display_name)
            else:
                text = t(
                    lang,
                    "invite.notify_admins",
                    name=user.display_name,
                    id=project.id,
                    project=project.name,
                    role=t(lang, f"role.{invite.role}"),
                )
            messages.append(OutgoingMessage(f"{key}:{admin_id}", admin_id, text))
        return messages

    # --- members and groups -----------------------------------------------------------------

    async def find_member(self, project_id: int, ref: str) -> Person:
        """Resolve ``123456`` or ``@name`` to a current member of the project."""
        members = await self.members(project_id)
        ref = ref.strip()
        for member in members:
            if is_person_ref(member.person, ref):
                return member.person
        raise UserError("error.unknown_person", who=ref[:64], id=project_id)

    async def remove_member(self, actor_id: int, project_id: int, ref: str) -> tuple[Person, int]:
        try:
            person = await self.find_member(project_id, ref)
        except UserError:
            # A retry (the first reply was lost) is told it is done, not "not a member".
            for former, stopped in await self._repos.members.former_of_project(project_id):
                if is_person_ref(former, ref.strip()):
                    project = await self.project(project_id)
                    raise UserError(
                        "members.already_removed",
                        who=former.label,
                        id=project_id,
                        since=format_local(stopped, project.timezone),
                    ) from None
            raise
        need = Need(actor_id, ADMIN, project_id, active=False)
        count = await self._repos.members.remove(need, person.user_id, self._now())
        return person, count

    async def bind_group(
        self,
        actor_id: int,
        chat_id: int,
        thread_id: int | None,
        title: str | None,
        project_id: int | None,
    ) -> Project | None:
        project = await self.active_project(project_id) if project_id is not None else None
        await self._repos.groups.bind(
            Need(actor_id, ADMIN, project_id), chat_id, thread_id, title, self._now()
        )
        return project

    def _now(self) -> datetime:
        return self._clock.now()


def is_person_ref(person: Person, ref: str) -> bool:
    """Whether ``123456`` or ``@name`` refers to this person."""
    if ref.isascii() and ref.isdigit():
        return person.user_id == int(ref)
    username = person.username
    if not username or not ref.startswith("@"):
        return False
    return username.lower() == ref[1:].lower()
