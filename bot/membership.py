"""The bot's own membership of group chats (Telegram's my_chat_member updates).

Removed from a leadership group, or no longer allowed to post there, the bot records it, tells
the admins once, and sends that group's messages to the admins until it is back, which it also
reports. Added to a group by an admin, it says what it will post there and how to bind it.
"""

from __future__ import annotations

from bot.clock import Clock, format_local
from bot.i18n import t
from bot.registry import Registry
from bot.replies import Reply
from storage.outbox import OutgoingMessage
from storage.repos import Repositories

STATUSES = frozenset({"member", "gone", "muted"})


class MembershipService:
    def __init__(
        self, repos: Repositories, registry: Registry, clock: Clock, *, timezone: str
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._clock = clock
        self._timezone = timezone

    async def changed(
        self, chat_id: int, title: str | None, status: str, actor_id: int | None
    ) -> Reply | None:
        """Record the bot's new standing in a group; what to post there, if anything."""
        assert status in STATUSES
        now = self._clock.now()
        previous = await self._repos.groups.bot_status(chat_id)
        if previous == status:
            return None
        bound = await self._repos.groups.bound(chat_id)
        name = title or str(chat_id)
        key = None
        if bound and status in {"gone", "muted"}:
            key = f"notice.bot_{status}"
        elif bound and status == "member" and previous in {"gone", "muted"}:
            key = "notice.bot_back"
        messages: list[OutgoingMessage] = []
        if key is not None:
            for admin_id in await self._repos.admins.ids():
                lang = await self._registry.language_of(admin_id)
                text = t(lang, key, group=name, at=format_local(now, self._timezone))
                messages.append(
                    OutgoingMessage(
                        f"botchat:{chat_id}:{status}:{now.isoformat()}:{admin_id}",
                        admin_id,
                        text,
                        user_id=admin_id,
                    )
                )
        await self._repos.groups.set_bot_status(chat_id, status, title, actor_id, messages, now)
        added = status == "member" and previous in {None, "gone"}
        if added and actor_id is not None and await self._registry.is_admin(actor_id):
            lang = await self._repos.groups.language(chat_id) or self._registry.default_language
            return Reply(t(lang, "group.welcome"))
        return None
