"""Shared plumbing for handlers: services lookup, language, guards and translated replies."""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from telegram import (
    CallbackQuery,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    Message,
    MessageEntity,
    Update,
    User,
)
from telegram.constants import ChatType
from telegram.error import BadRequest
from telegram.ext import CallbackContext, ContextTypes, ExtBot

from bot import commands
from bot.errors import UsageError, UserError, refusal
from bot.i18n import t
from bot.leadership import Leadership
from bot.registry import Caller, UserRef
from bot.replies import Buttons, Reply, clip, in_parts
from bot.services import Services
from handlers.notifier import keyboard
from handlers.web.server import WebServer
from storage import StorageBusy
from storage.access import Denied
from storage.outbox import OutgoingButton

log = logging.getLogger(__name__)

ALERT_LIMIT = 200  # Telegram: the text of an answer to a press


class BotData:
    """What the application keeps for its handlers and jobs, typed (PTB's ``ContextTypes``)
    rather than string keys in a dict. PTB creates it empty; the composition root fills it."""

    def __init__(self) -> None:
        self._services: Services | None = None
        self.last_error_report: datetime | None = None  # the admins hear of errors rarely
        self.web: WebServer | None = None  # the one web server, when it runs
        self.leadership: Leadership | None = None

    @property
    def services(self) -> Services:
        assert self._services is not None, "build_application() sets the services"
        return self._services

    @services.setter
    def services(self, value: Services) -> None:
        self._services = value

    @property
    def has_services(self) -> bool:
        return self._services is not None


Context = CallbackContext[ExtBot[None], dict[Any, Any], dict[Any, Any], BotData]
CONTEXT_TYPES = ContextTypes(bot_data=BotData)


def services(context: Context) -> Services:
    """The services the composition root put into ``bot_data``."""
    return context.bot_data.services


def kick_outbox(context: Context) -> None:
    """Deliver queued messages now rather than at the next outbox job (a running drain takes
    them instead of a new one queueing behind it)."""
    application = context.application
    if application.running:
        services(context).outbox.request(lambda work: application.create_task(work, name="outbox"))


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
    caller: Caller
    dropped_wait: bool = False  # a command ended what the bot was waiting for from the sender

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
        """Answer in the chat (and forum topic) the update came from; for a press on a message
        Telegram no longer shows us, in the private chat with the presser."""
        text = clip(text)
        message = self.update.effective_message
        if isinstance(message, Message):
            return await message.reply_text(text, reply_markup=keyboard(buttons))
        chat = self.update.effective_chat
        return await self.context.bot.send_message(
            chat.id if chat is not None else self.user.id, text, reply_markup=keyboard(buttons)
        )

    async def send(self, reply: Reply) -> None:
        """A service's reply, and the messages that follow it."""
        await self.reply(reply.text, reply.buttons)
        for after in reply.after:
            await self.reply(after.text, after.buttons)

    async def reply_lines(self, lines: Sequence[str]) -> None:
        """Answer with lines that can outgrow one message (a line per project, per admin):
        in as many messages as they take, each cut between lines."""
        for part in in_parts("\n".join(lines).split("\n")):
            await self.reply(part)

    async def say(self, key: str, **params: Any) -> None:
        await self.reply(self.t(key, **params))


def is_command(update: Update) -> bool:
    message = update.message
    return bool(
        message is not None
        and message.entities
        and message.entities[0].type == MessageEntity.BOT_COMMAND
        and message.entities[0].offset == 0
    )


async def refuse(call: Call, error: UserError) -> None:
    """Tell the user why nothing happened: an alert for a press, else a reply."""
    query = call.update.callback_query
    if query is not None:
        await answer_press(query, call.t(error.key, **error.params), show_alert=True)
    elif error.key == "error.private_only" and call.context.bot.username:
        # One tap to where the command works, rather than a search for the bot.
        link = InlineKeyboardButton(
            call.t("button.open_private"), url=f"https://t.me/{call.context.bot.username}"
        )
        await call.message.reply_text(
            call.t(error.key), reply_markup=InlineKeyboardMarkup([[link]])
        )
    else:
        await call.say(error.key, **error.params)


async def answer_press(query: CallbackQuery, text: str | None, *, show_alert: bool) -> None:
    """Answer a button press. One Telegram no longer accepts (too old) is logged, not an error:
    the change it caused is already committed."""
    try:
        await query.answer(clip(text, ALERT_LIMIT) if text else None, show_alert=show_alert)
    except BadRequest as exc:
        if "query is too old" not in str(exc) and "query id is invalid" not in str(exc):
            raise
        log.info("press %s answered too late: %s", query.id, exc)


async def edit_pressed(query: CallbackQuery, text: str, buttons: Buttons) -> None:
    """Show the new state on the pressed message. Telegram refusing the edit (nothing changed,
    the message deleted or too old) leaves the committed change as it is."""
    if not isinstance(query.message, Message):
        return  # an inline message, or one Telegram no longer shows us
    text, markup = clip(text), keyboard(buttons)
    if query.message.text == text and query.message.reply_markup == markup:
        return  # a second press on the same state: nothing to show, no request to make
    try:
        await query.edit_message_text(text, reply_markup=markup)
    except BadRequest as exc:
        reason = str(exc).lower()
        if "not modified" in reason:
            return
        if "not found" in reason or "can't be edited" in reason:
            log.info("press %s: message not edited: %s", query.id, exc)
            return
        raise


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
            # A press carries the date of the bot's message, not of the press: only a new
            # message says when it was sent.
            sent_at = update.message.date if update.message is not None else None
            caller = await svc.registry.caller(user_ref(user), sent_at)
            call = Call(update, context, svc, user, caller.lang, caller)
            chat = update.effective_chat
            if chat is not None and chat.type != ChatType.PRIVATE:
                # In a group the bot speaks the group's language (DEFAULT_LANGUAGE unless an admin
                # set one), as in what it posts there: a card pressed there is redrawn in the
                # language it was sent in, whoever presses it.
                language = await svc.registry.chat_language(chat.id)
                call.lang = language or svc.registry.default_language
            try:
                if private and chat is not None and chat.type != ChatType.PRIVATE:
                    raise UserError("error.private_only")
                if admin and not caller.is_admin:
                    raise UserError("error.not_admin")
                if caller.pending is not None and is_command(update):
                    # A command means the person moved on from whatever the bot asked for.
                    call.dropped_wait = await svc.conversation.drop(user.id)
                    call.caller = replace(caller, pending=None)
                await handler(call)
            except UsageError as exc:
                await call.say("usage", usage=commands.usage(exc.command, call.lang))
            except UserError as exc:
                await refuse(call, exc)
            except Denied as exc:
                # Someone's role changed between reading and writing: refused as of now.
                await refuse(call, refusal(exc))
            except StorageBusy:
                # Nothing was written: say so, rather than pretend or apologise for a bug.
                log.warning("database busy; update %s not handled", update.update_id)
                await refuse(call, UserError("error.busy"))

        return wrapper

    return decorate
