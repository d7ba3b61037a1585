"""Who is asking, and what they may see: the same roles as in the chat, read afresh on every
call, so a person removed a moment ago is refused at once (their session and init data stop
working with their last role)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta

from bot.clock import Clock
from bot.projects import hash_token
from bot.registry import Registry
from bot.web.initdata import InvalidInitData, validate
from storage.repos import Repositories

LOGIN_TTL = timedelta(minutes=10)


class Unauthorized(Exception):
    """No valid init data or session, or nobody with a role: HTTP 401."""


class NotFound(Exception):
    """Unknown, or not this person's to see (the two look the same): HTTP 404."""


@dataclass(frozen=True, slots=True)
class Viewer:
    user_id: int
    name: str
    lang: str
    admin: bool
    project_roles: dict[int, frozenset[str]]  # project → secretary / leader
    department_ids: tuple[int, ...]  # departments the person works for (liaison, head)

    @property
    def project_ids(self) -> list[int] | None:
        """The projects this person may see (None: all, an admin)."""
        return None if self.admin else sorted(self.project_roles)

    def roles_on(self, project_id: int) -> frozenset[str]:
        if self.admin:
            return frozenset({"admin"}) | self.project_roles.get(project_id, frozenset())
        return self.project_roles.get(project_id, frozenset())

    def leads(self, project_id: int) -> bool:
        return bool(self.roles_on(project_id) & {"admin", "leader"})


class WebAccess:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        clock: Clock,
        bot_token: str,
        *,
        auth_max_age: timedelta,
        session_ttl: timedelta,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._clock = clock
        self._token = bot_token
        self.auth_max_age = auth_max_age
        self.session_ttl = session_ttl

    async def from_init_data(self, raw: str) -> Viewer:
        try:
            user = validate(raw, self._token, self._clock.now(), self.auth_max_age)
        except InvalidInitData as exc:
            raise Unauthorized(str(exc)) from None
        return await self.viewer(user.id, user.language_code)

    async def from_session(self, token: str) -> Viewer:
        if not token:
            raise Unauthorized("no session")
        user_id = await self._repos.web_sessions.session_user(hash_token(token), self._clock.now())
        if user_id is None:
            raise Unauthorized("session unknown, ended or expired")
        return await self.viewer(user_id, None)

    async def viewer(self, user_id: int, telegram_language: str | None) -> Viewer:
        admin, members = await self._registry.roles(user_id)
        departments = await self._repos.departments.of_user(user_id)
        if not admin and not members and not departments:
            raise Unauthorized("no role")
        # (a scoped admin whose scope holds no project yet still opens an empty board)
        roles: dict[int, set[str]] = {}
        for member in members:
            roles.setdefault(member.project_id, set()).add(member.role)
        if admin:
            scoped = await self._registry.admin_projects(user_id)
            if scoped is not None:  # a work line's or locality's admin: those projects only
                admin = False
                for project_id in scoped:
                    roles.setdefault(project_id, set()).add("admin")
        person = await self._repos.people.get(user_id)
        return Viewer(
            user_id,
            person.display_name if person else str(user_id),
            await self._registry.language_of(user_id, telegram_language),
            admin,
            {project: frozenset(r) for project, r in roles.items()},
            tuple(sorted({d.department_id for d in departments})),
        )

    # --- one-time links and sessions (outside Telegram) -----------------------------------

    async def login_token(self, user_id: int) -> str:
        """A one-time sign-in token for /web (single use, LOGIN_TTL); only people with a role
        get one."""
        await self.viewer(user_id, None)
        token = secrets.token_urlsafe(32)
        now = self._clock.now()
        await self._repos.web_sessions.add_login(hash_token(token), user_id, now, now + LOGIN_TTL)
        return token

    async def open_session(self, login_token: str) -> str:
        """Trade a one-time token for a session token (the cookie); Unauthorized if it was used,
        expired or never issued."""
        session = secrets.token_urlsafe(32)
        now = self._clock.now()
        user_id = await self._repos.web_sessions.redeem_login(
            hash_token(login_token), hash_token(session), now, now + self.session_ttl
        )
        if user_id is None:
            raise Unauthorized("link used, expired or unknown")
        return session

    async def logout(self, user_id: int) -> int:
        return await self._repos.web_sessions.end_sessions(user_id, self._clock.now())
