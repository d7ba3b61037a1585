"""my_chat_member: the bot added to, removed from, or muted in a group."""

from __future__ import annotations

import logging

from telegram import ChatMember, ChatMemberRestricted, Update
from telegram.constants import ChatType

from handlers.common import Context, services

log = logging.getLogger(__name__)


def _standing(member: ChatMember) -> str:
    """member, gone (left or removed) or muted (may not post)."""
    if member.status in {ChatMember.LEFT, ChatMember.BANNED}:
        return "gone"
    if isinstance(member, ChatMemberRestricted) and not member.can_send_messages:
        return "muted"
    return "member"


async def my_chat_member(update: Update, context: Context) -> None:
    """Record the bot's standing in a group; greet it when an admin adds the bot."""
    change = update.my_chat_member
    if change is None or change.chat.type == ChatType.PRIVATE:
        return  # a person blocking the bot is handled where sends fail
    svc = services(context)
    assert svc.membership is not None
    status = _standing(change.new_chat_member)
    actor = change.from_user.id if change.from_user else None
    log.info("bot in chat %s: %s (by %s)", change.chat.id, status, actor)
    welcome = await svc.membership.changed(change.chat.id, change.chat.title, status, actor)
    if welcome is not None:
        await context.bot.send_message(change.chat.id, welcome.text)
