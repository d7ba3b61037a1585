"""People: who they are, their language, their roles, the admins, and notices to the admins."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import Clock, as_of
from bot.errors import UsageError, UserError, refusal
from bot.i18n import normalize_language, t
from bot.parsing import clean_name, parse_user_id
from bot.replies import MESSAGE_LIMIT, units
from storage.access import ADMIN, Denied, Need
from storage.models import Admin, Member, Person
from storage.outbox import OutgoingMessage, PendingMessage
from storage.pending import PendingInput
from storage.people import AdminRemoval, upsert_person
from storage.repos import Repositories

SCOPE_WORDS = {
    "line": "line",
    "工作线": "line",
    "area": "area",
    "属地": "area",
    "all": "all",
    "全县": "all",
}
OFFICIAL_FIELDS = {"unit": "unit", "单位": "unit", "title": "title", "职务": "title"}


def official_fields(words: list[str], usage: str) -> dict[str, str]:
    """``单位 <text> 职务 <text>`` (or unit/title) → {"unit": …, "title": …}; ``-`` is empty
    (clears it). Words before the first field name are a usage error (``usage``)."""
    fields: dict[str, list[str]] = {}
    current: list[str] | None = None
    for word in words:
        key = OFFICIAL_FIELDS.get(word.strip().lower())
        if key is not None:
            current = fields.setdefault(key, [])
        elif current is None:
            raise UsageError(usage)
        else:
            current.append(word)
    return {k: clean_name(" ".join(v)) if v and v != ["-"] else "" for k, v in fields.items()}


@dataclass(frozen=True, slots=True)
class UserRef:
    """Who sent an update, as far as services care."""

    id: int
    display_name: str
    username: str | None = None
    language_code: str | None = None


@dataclass(frozen=True, slots=True)
class Caller:
    """The sender of an update, as the handler needs them."""

    lang: str
    is_admin: bool
    pending: PendingInput | None
    roles: frozenset[str] = frozenset()  # on any project they serve


class Registry:
    """Use cases about people; every method validates its input."""

    def __init__(
        self,
        repos: Repositories,
        clock: Clock,
        *,
        default_language: str,
        pending_ttl: timedelta,
    ) -> None:
        self._repos = repos
        self._clock = clock
        self.default_language = default_language
        self._pending_ttl = pending_ttl

    # --- people and languages -------------------------------------------------------------

    async def language_of(self, user_id: int, telegram_code: str | None = None) -> str:
        person = await self._repos.people.get(user_id)
        if person and person.language:
            return person.language
        return normalize_language(telegram_code) or self.default_language

    async def caller(self, user: UserRef, sent_at: datetime | None = None) -> Caller:
        """Who sent an update, read once (one round trip): the language to answer in, whether
        they are an admin, and what the bot waits for from them. ``sent_at``: when Telegram
        says a message was sent; a wait still running then holds for a message the bot gets
        late (it was down), as an answer sent before its round closed does.

        Keeps a known person's name current and marks them reachable again, writing only when
        something changed, so reading never waits for the database's write lock.
        """
        now = self._clock.now()
        row = await self._repos.people.caller(user.id, as_of(now, sent_at) - self._pending_ttl)
        admin = self._repos.admins.from_config(user.id) or row.admin
        fallback = normalize_language(user.language_code) or self.default_language
        person = row.person
        if person is None:
            if admin:
                # Admins from configuration become people on first contact, with their language.
                async with self._repos.db.write() as conn:
                    await upsert_person(
                        conn,
                        user.id,
                        user.display_name,
                        user.username,
                        normalize_language(user.language_code),
                        now,
                    )
            return Caller(fallback, admin, row.pending, row.roles)
        if (person.display_name, person.username) != (user.display_name, user.username):
            await self._repos.people.touch(user.id, user.display_name, user.username, now)
        if not person.reachable:
            await self._repos.people.set_reachable(user.id, True, now)
        return Caller(person.language or fallback, admin, row.pending, row.roles)

    async def set_language(self, user: UserRef, language: str) -> None:
        now = self._clock.now()
        if not await self._repos.people.set_language(user.id, language, now):
            async with self._repos.db.write() as conn:
                await upsert_person(conn, user.id, user.display_name, user.username, language, now)

    async def forget(self, actor_id: int, args: list[str]) -> tuple[int, str]:
        """``/forget <user id>``: a person's name and username replaced for good (a
        data-protection request); the ledger history and its counts stay."""
        if len(args) != 1:
            raise UsageError("forget")
        user_id = parse_user_id(args[0])
        placeholder = t(self.default_language, "forget.placeholder", id=user_id)
        try:
            known = await self._repos.people.forget(
                Need(actor_id, ADMIN), user_id, placeholder, self._clock.now()
            )
        except Denied as exc:
            raise refusal(exc) from None
        if not known:
            raise UserError("forget.unknown", id=user_id)
        return user_id, placeholder

    async def chat_language(self, chat_id: int) -> str | None:
        """The language an admin set for a group chat (None: each reader's own)."""
        return await self._repos.groups.language(chat_id)

    async def set_chat_language(self, user_id: int, chat_id: int, language: str) -> None:
        """``/language`` in a group, by an admin: everything the bot posts there."""
        try:
            await self._repos.groups.set_language(
                Need(user_id, ADMIN), chat_id, language, self._clock.now()
            )
        except Denied as exc:
            raise refusal(exc) from None

    async def set_official(self, actor_id: int, args: list[str]) -> Person:
        """``/person <@user|user id> [单位|unit <text>] [职务|title <text>]``: how official
        documents name them (县住建局局长张三); ``-`` clears a field. Without fields: shown."""
        if not args:
            raise UsageError("person")
        person = await self.find_person(args[0])
        values = official_fields(args[1:], "person")
        if values:
            try:
                await self._repos.people.set_official(
                    Need(actor_id, ADMIN),
                    person.user_id,
                    values.get("unit"),
                    values.get("title"),
                    self._clock.now(),
                )
            except Denied as exc:
                raise refusal(exc) from None
        found = await self._repos.people.get(person.user_id)
        assert found is not None
        return found

    # --- roles ------------------------------------------------------------------------------

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

    async def roles_on(self, user_id: int, project_id: int) -> set[str]:
        """The user's roles on one project, ``admin`` included."""
        roles: set[str] = {
            m.role for m in await self._repos.members.of_user(user_id) if m.project_id == project_id
        }
        if await self._repos.admins.admin_on(user_id, project_id):
            roles.add("admin")
        return roles

    async def admin_projects(self, user_id: int) -> list[int] | None:
        """The projects an admin's scope covers (项目到线); None: the whole county."""
        scope = await self._repos.admins.scope(user_id)
        return None if scope is None else await self._repos.admins.projects_in(scope)

    async def set_admin_scope(self, actor_id: int, args: list[str]) -> tuple[int, str | None]:
        """``/admin <@user|user id> line <工作线>|area <属地>|all``: what a (non-ADMIN_IDS)
        admin sees and manages. Only a county-wide admin may set it."""
        if len(args) < 2:
            raise UsageError("admin")
        person = await self.find_person(args[0])
        kind = SCOPE_WORDS.get(args[1].strip().lower())
        if kind is None or (kind != "all" and len(args) < 3):
            raise UsageError("admin")
        value = clean_name(" ".join(args[2:])) if kind != "all" else ""
        scope = None if kind == "all" else (kind, value)
        try:
            result = await self._repos.admins.set_scope(
                Need(actor_id, ADMIN), person.user_id, scope, self._clock.now()
            )
        except Denied as exc:
            raise refusal(exc) from None
        if result is AdminRemoval.FROM_CONFIG:
            raise UserError("admins.from_config", user_id=person.user_id)
        if result is AdminRemoval.NOT_ADMIN:
            raise UserError("admins.not_admin", user_id=person.user_id)
        return person.user_id, None if scope is None else f"{kind}:{value}"

    async def find_person(self, ref: str) -> Person:
        ref = ref.strip()
        if ref.startswith("@"):
            person = await self._repos.people.find_by_username(ref)
        else:
            person = await self._repos.people.get(parse_user_id(ref))
        if person is None:
            raise UserError("person.unknown", who=ref[:64])
        return person

    async def admins(self) -> list[Admin]:
        return await self._repos.admins.all()

    async def remove_admin(self, actor_id: int, raw_user_id: str) -> int:
        """``/removeadmin <user id>``: never an admin from ADMIN_IDS, never the last one."""
        user_id = parse_user_id(raw_user_id)
        result = await self._repos.admins.remove(Need(actor_id, ADMIN), user_id, self._clock.now())
        if result is AdminRemoval.FROM_CONFIG:
            raise UserError("admins.from_config", user_id=user_id)
        if result is AdminRemoval.NOT_ADMIN:
            raise UserError("admins.not_admin", user_id=user_id)
        if result is AdminRemoval.LAST:
            raise UserError("admins.last", user_id=user_id)
        return user_id

    # --- notices to admins ------------------------------------------------------------------

    async def admin_messages(
        self, key: str, catalog_key: str, params: Mapping[str, object], skip: int | None = None
    ) -> list[OutgoingMessage]:
        """One notice per admin (but ``skip``) in their language, keyed ``<key>:<admin id>``;
        to be queued with the change that causes it."""
        messages = []
        for admin_id in await self._repos.admins.ids():
            if admin_id == skip:
                continue
            lang = await self.language_of(admin_id)
            messages.append(
                OutgoingMessage(f"{key}:{admin_id}", admin_id, t(lang, catalog_key, **params))
            )
        return messages

    async def notify_admins(self, key: str, catalog_key: str, **params: object) -> None:
        """Queue one notice per admin in their language; ``key`` makes it happen once."""
        messages = await self.admin_messages(key, catalog_key, params)
        await self._repos.outbox.enqueue(messages, self._clock.now())

    async def deliver_instead(
        self, message: PendingMessage, gone: bool, error: str
    ) -> list[OutgoingMessage]:
        """A card that cannot reach its leader or group goes to the admins, with the reason:
        those of its project (a work line's or locality's admin only for their projects, 项目到线),
        or, for a message of no project, the county-wide admins."""
        person = await self._repos.people.get(message.chat_id) if message.chat_id > 0 else None
        admins = self._repos.admins
        messages = []
        recipients = (
            await admins.county_wide_ids()
            if message.project_id is None
            else await admins.ids(message.project_id)
        )
        for admin_id in recipients:
            if admin_id == message.chat_id:
                continue
            lang = await self.language_of(admin_id)
            if message.chat_id < 0:
                who = t(lang, "fallback.group")
            else:
                who = person.label if person else str(message.chat_id)
            if gone:
                reason = t(lang, "fallback.blocked")
            else:
                reason = t(lang, "fallback.refused", error=error[:200])
            header = t(lang, "fallback.header", who=who, reason=reason)
            # The message whole, with the header above it: a card near the length limit
            # goes on in a second message rather than losing its end.
            parts = [f"{header}\n\n{message.text}"]
            if units(parts[0]) > MESSAGE_LIMIT:
                parts = [header, message.text]
            messages += [
                OutgoingMessage(
                    f"instead:{message.id}:{admin_id}" + (f":{number}" if number > 1 else ""),
                    admin_id,
                    text,
                    user_id=admin_id,
                    buttons=message.buttons if number == len(parts) else (),
                    project_id=message.project_id,
                )
                for number, text in enumerate(parts, start=1)
            ]
        return messages

    async def mark_unreachable(self, user_id: int) -> None:
        """A user blocked the bot: flag them and, in the same transaction, tell the admins."""
        now = self._clock.now()
        person = await self._repos.people.get(user_id)
        if person is None or not person.reachable:
            return
        notices = await self.admin_messages(
            f"unreachable:{user_id}:{now.isoformat()}",
            "notice.unreachable",
            {"name": person.label},
            skip=user_id,
        )
        await self._repos.people.set_reachable(user_id, False, now, notices)
