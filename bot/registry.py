"""Registration: projects, invites, memberships, leadership groups, admins and languages."""

from __future__ import annotations

import hashlib
import secrets
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.errors import UserError
from bot.i18n import normalize_language, t
from storage.invites import RedeemResult
from storage.models import (
    Admin,
    GroupBinding,
    InviteRole,
    Member,
    Person,
    Project,
    ProjectStatus,
    Role,
)
from storage.outbox import OutgoingMessage
from storage.people import upsert_person
from storage.repos import Repositories

MAX_NAME = 200
BAD_TOKEN_WINDOW = timedelta(minutes=10)
BAD_TOKEN_LIMIT = 5


def hash_token(token: str) -> str:
    """Invite tokens are stored only as this hash."""
    return hashlib.sha256(token.encode()).hexdigest()


def clean_name(raw: str) -> str:
    """Validate a project name: non-empty, at most 200 characters, no control characters."""
    name = " ".join(raw.split())
    if not name:
        raise UserError("error.name_empty")
    if len(name) > MAX_NAME:
        raise UserError("error.name_too_long", length=len(name))
    if any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in name):
        raise UserError("error.name_control")
    return name


def clean_text(raw: str, limit: int) -> str:
    """Free text typed by an admin (a question, a note): trimmed, bounded, no control characters."""
    text = raw.strip()
    if not text:
        raise UserError("error.name_empty")
    if len(text) > limit:
        raise UserError("error.text_too_long", length=len(text), limit=limit)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise UserError("error.name_control")
    return text


def parse_project_id(raw: str) -> int:
    """A project id as typed by a user: a positive integer, optionally with a leading '#'."""
    value = raw.strip().lstrip("#")
    if not value.isdigit() or len(value) > 12 or int(value) == 0:
        raise UserError("error.bad_id", value=raw[:40])
    return int(value)


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who sent an update, as far as services care."""

    id: int
    display_name: str
    username: str | None = None
    language_code: str | None = None


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


class Registry:
    """Use cases for admins and newcomers; every method validates its input."""

    def __init__(
        self,
        repos: Repositories,
        clock: Clock,
        *,
        default_timezone: str,
        default_language: str,
        invite_ttl: timedelta,
    ) -> None:
        self._repos = repos
        self._clock = clock
        self._default_timezone = default_timezone
        self.default_language = default_language
        self._invite_ttl = invite_ttl

    # --- people and languages -------------------------------------------------------------

    async def language_of(self, user_id: int, telegram_code: str | None = None) -> str:
        person = await self._repos.people.get(user_id)
        if person and person.language:
            return person.language
        return normalize_language(telegram_code) or self.default_language

    async def seen(self, user: UserRef) -> str:
        """Keep a known person's name current and mark them reachable again.

        Returns the language to answer them in (what :meth:`language_of` would say), so the
        handler does not read the same row twice per update.
        """
        person = await self._repos.people.get(user.id)
        now = self._clock.now()
        fallback = normalize_language(user.language_code) or self.default_language
        if person is None:
            # Admins from configuration become people on first contact, with their language.
            if await self._repos.admins.is_admin(user.id):
                async with self._repos.db.write() as conn:
                    await upsert_person(
                        conn,
                        user.id,
                        user.display_name,
                        user.username,
                        normalize_language(user.language_code),
                        now,
                    )
            return fallback
        await self._repos.people.touch(user.id, user.display_name, user.username, now)
        if not person.reachable:
            await self._repos.people.set_reachable(user.id, True, now)
        return person.language or fallback

    async def set_language(self, user: UserRef, language: str) -> None:
        now = self._clock.now()
        if not await self._repos.people.set_language(user.id, language, now):
            async with self._repos.db.write() as conn:
                await upsert_person(conn, user.id, user.display_name, user.username, language, now)

    async def is_admin(self, user_id: int) -> bool:
        return await self._repos.admins.is_admin(user_id)

    async def require_admin(self, user_id: int) -> None:
        if not await self._repos.admins.is_admin(user_id):
            raise UserError("error.not_admin")

    async def roles(self, user_id: int) -> tuple[bool, list[Member]]:
        """Whether the user is an admin, and their current memberships."""
        return await self._repos.admins.is_admin(user_id), await self._repos.members.of_user(
            user_id
        )

    async def admins(self) -> list[Admin]:
        return await self._repos.admins.all()

    # --- projects ---------------------------------------------------------------------------

    async def project(self, project_id: int) -> Project:
        project = await self._repos.projects.get(project_id)
        if project is None:
            raise UserError("error.unknown_project", id=project_id)
        return project

    async def active_project(self, project_id: int) -> Project:
        project = await self.project(project_id)
        if project.status != "active":
            raise UserError("error.archived_project", id=project_id)
        return project

    async def create_project(self, actor_id: int, raw_name: str) -> Project:
        return await self._repos.projects.create(
            clean_name(raw_name), self._default_timezone, actor_id, self._clock.now()
        )

    async def rename(self, actor_id: int, project_id: int, raw_name: str) -> Project:
        name = clean_name(raw_name)
        await self.project(project_id)
        await self._repos.projects.rename(project_id, name, actor_id, self._clock.now())
        return await self.project(project_id)

    async def set_archived(self, actor_id: int, project_id: int, archived: bool) -> Project:
        project = await self.project(project_id)
        wanted: ProjectStatus = "archived" if archived else "active"
        if project.status == wanted:
            key = "project.already_archived" if archived else "project.already_active"
            raise UserError(key, id=project_id)
        await self._repos.projects.set_status(project_id, wanted, actor_id, self._clock.now())
        return await self.project(project_id)

    async def overview(self, offset: int, limit: int) -> tuple[int, list[ProjectOverview]]:
        """One page of projects with their people, plus the total count."""
        total = await self._repos.projects.count()
        projects = await self._repos.projects.list(offset=offset, limit=limit)
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
        self, actor_id: int, project_id: int | None, role: InviteRole
    ) -> tuple[str, datetime, Project | None]:
        """A fresh single-use token (192 random bits, URL-safe, 32 characters)."""
        project = await self.active_project(project_id) if project_id is not None else None
        token = secrets.token_urlsafe(24)
        now = self._clock.now()
        expires_at = now + self._invite_ttl
        await self._repos.invites.create(
            hash_token(token), project_id, role, actor_id, now, expires_at
        )
        return token, expires_at, project

    async def redeem(self, user: UserRef, token: str) -> RedeemOutcome:
        now = self._clock.now()
        recent = await self._repos.invites.failures_since(user.id, now - BAD_TOKEN_WINDOW)
        if recent >= BAD_TOKEN_LIMIT:
            return RedeemOutcome(RedeemResult.THROTTLED)
        redeemed = await self._repos.invites.redeem(
            hash_token(token),
            user.id,
            user.display_name,
            user.username,
            normalize_language(user.language_code),
            now,
        )
        if redeemed.result in {RedeemResult.UNKNOWN, RedeemResult.USED, RedeemResult.EXPIRED}:
            await self._repos.invites.record_failure(user.id, now)
        invite = redeemed.invite
        project = None
        if invite is not None and invite.project_id is not None:
            project = await self._repos.projects.get(invite.project_id)
        outcome = RedeemOutcome(redeemed.result, invite.role if invite else None, project)
        if redeemed.result is RedeemResult.OK:
            await self._announce_join(user, outcome)
        return outcome

    async def _announce_join(self, user: UserRef, outcome: RedeemOutcome) -> None:
        messages = []
        for admin_id in await self._repos.admins.ids():
            if admin_id == user.id:
                continue
            lang = await self.language_of(admin_id)
            if outcome.project is None:
                text = t(lang, "invite.notify_admins_admin", name=user.display_name)
            else:
                text = t(
                    lang,
                    "invite.notify_admins",
                    name=user.display_name,
                    id=outcome.project.id,
                    project=outcome.project.name,
                    role=t(lang, f"role.{outcome.role}"),
                )
            key = f"joined:{user.id}:{outcome.role}:{outcome.project.id if outcome.project else 0}"
            messages.append(
                OutgoingMessage(f"{key}:{self._clock.now().isoformat()}:{admin_id}", admin_id, text)
            )
        await self._repos.outbox.enqueue(messages, self._clock.now())

    # --- members and groups -----------------------------------------------------------------

    async def find_member(self, project_id: int, ref: str) -> Person:
        """Resolve ``123456`` or ``@name`` to a current member of the project."""
        members = await self.members(project_id)
        ref = ref.strip()
        for member in members:
            person = member.person
            if ref.lstrip("-").isdigit() and person.user_id == int(ref):
                return person
            if (
                person.username
                and ref.startswith("@")
                and person.username.lower() == ref[1:].lower()
            ):
                return person
        raise UserError("error.unknown_person", who=ref[:64], id=project_id)

    async def remove_member(self, actor_id: int, project_id: int, ref: str) -> tuple[Person, int]:
        person = await self.find_member(project_id, ref)
        count = await self._repos.members.remove(
            project_id, person.user_id, actor_id, self._clock.now()
        )
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
            project_id, chat_id, thread_id, title, actor_id, self._clock.now()
        )
        return project

    # --- notices to admins ------------------------------------------------------------------

    async def notify_admins(self, key: str, catalog_key: str, **params: object) -> None:
        """Queue one notice per admin in their language; ``key`` makes it happen once."""
        messages = []
        for admin_id in await self._repos.admins.ids():
            lang = await self.language_of(admin_id)
            messages.append(
                OutgoingMessage(f"{key}:{admin_id}", admin_id, t(lang, catalog_key, **params))
            )
        await self._repos.outbox.enqueue(messages, self._clock.now())

    async def mark_unreachable(self, user_id: int) -> None:
        """A user blocked the bot: flag them and tell the admins once per occurrence."""
        now = self._clock.now()
        if await self._repos.people.set_reachable(user_id, False, now):
            person = await self._repos.people.get(user_id)
            name = person.label if person else str(user_id)
            await self.notify_admins(
                f"unreachable:{user_id}:{now.isoformat()}", "notice.unreachable", name=name
            )
