"""Shared plumbing for handlers: services lookup, language, guards and translated replies."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any

from telegram import Message, Update, User
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import commands
from bot.errors import UsageError, UserError
from bot.i18n import t
from bot.registry import UserRef
from bot.services import Services
from handlers.notifier import keyboard
from storage.outbox import OutgoingButton

log = logging.getLogger(__name__)

SERVICES_KEY = "services"
Context = ContextTypes.DEFAULT_TYPE


def services(context: Context) -> Services:
    """The services the composition root put into ``bot_data``."""
    return context.bot_data[SERVICES_KEY]  # type: ignore[no-any-return]


def kick_outbox(context: Context) -> None:
    """Deliver queued messages now rather than at the next outbox job."""
    if context.application.running:
        context.application.create_task(services(context).outbox.drain(), name="outbox-kick")


def user_ref(user: User) -> UserRef:
    return UserRef(user.id, user.full_name, user.username, user.language_code)


@dataclass(slots=True)
class Call:
    """One handled update: who, in which language, and how to answer."""

    update: Update
    context: Context
    services: Services
    user: User
    lang: str

    @property
    def args(self) -> list[str]:
        return list(self.context.args or [])

    @property
    def message(self) -> Message:
        assert self.update.effective_message is not None
        return self.update.effective_message

    def t(self, key: str, **params: Any) -> str:
        return t(self.lang, key, **params)

    async def reply(
        self, text: str, buttons: Sequence[Sequence[OutgoingButton]] = ()
    ) -> Message | None:
        """Answer in the chat (and forum topic) the update came from."""
        message = self.update.effective_message
        if message is None:
            return None
        return await message.reply_text(text, reply_markup=keyboard(buttons), do_quote=False)

    async def say(self, key: str, **params: Any) -> None:
        await self.reply(self.t(key, **params))


Handler = Callable[[Call], Awaitable[None]]
PTBCallback = Callable[[Update, Context], Coroutine[Any, Any, None]]


def guarded(*, admin: bool = False, private: bool = False) -> Callable[[Handler], PTBCallback]:
    """Wrap a handler: resolve the language, enforce chat type and role, translate refusals."""

    def decorate(handler: Handler) -> PTBCallback:
        @functools.wraps(handler)
        async def wrapper(update: Update, context: Context) -> None:
            user = update.effective_user
            if user is None or user.is_bot:
                return
            svc = services(context)
            lang = await svc.registry.seen(user_ref(user))
            call = Call(update, context, svc, user, lang)
            try:
                chat = update.effective_chat
                if private and chat is not None and chat.type != ChatType.PRIVATE:
                    raise UserError("error.private_only")
                if admin:
                    await svc.registry.require_admin(user.id)
                await handler(call)
            except UsageError as exc:
                await call.say("usage", usage=commands.usage(exc.command, lang))
            except UserError as exc:
                if update.callback_query is not None:
                    await update.callback_query.answer(
                        call.t(exc.key, **exc.params), show_alert=True
                    )
                else:
                    await call.say(exc.key, **exc.params)

        return wrapper

    return decorate
