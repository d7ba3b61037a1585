"""The Telegram side of the notifier interface: sends messages, maps errors to domain ones."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from typing import Any, TypeVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, InputFile
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot
from telegram.request import RequestData

# Not re-exported by telegram.request; PTB is pinned to 22.x (pyproject.toml).
from telegram.request._requestparameter import RequestParameter

from bot.notifier import ChatMoved, Keyboard, RecipientGone, RetryLater, Undeliverable
from bot.replies import CAPTION_LIMIT, clip
from storage.outbox import OutgoingButton

T = TypeVar("T")


def keyboard(rows: Sequence[Sequence[OutgoingButton]]) -> InlineKeyboardMarkup | None:
    """Inline keyboard from domain buttons; None when there are none."""
    if not rows:
        return None
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(b.text, callback_data=b.data) for b in row] for row in rows if row]
    )


def retry_after_seconds(exc: RetryAfter) -> float:
    """Seconds to wait, whatever PTB's timedelta setting (avoids its deprecation warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


async def _mapped(request: Awaitable[T]) -> T:
    """A Bot API call, its failures as the domain's delivery errors."""
    try:
        return await request
    except Forbidden as exc:
        raise RecipientGone(str(exc)) from exc
    except ChatMigrated as exc:
        raise ChatMoved(exc.new_chat_id) from exc
    except RetryAfter as exc:
        raise RetryLater(str(exc), retry_after_seconds(exc)) from exc
    except BadRequest as exc:
        raise Undeliverable(str(exc)) from exc
    except TimedOut as exc:
        raise RetryLater(f"timed out: {exc}", timed_out=True) from exc
    except NetworkError as exc:
        raise RetryLater(f"network error: {exc}") from exc


class TelegramNotifier:
    """Implements :class:`bot.notifier.Notifier` with a PTB bot."""

    def __init__(self, bot: ExtBot[Any], send_timeout: float) -> None:
        self._bot = bot
        # Longer than PTB's 5 s: a send that Telegram accepts but answers late would otherwise
        # be counted as failed and sent again.
        self._send_timeout = send_timeout

    async def send(
        self, chat_id: int, text: str, *, thread_id: int | None = None, buttons: Keyboard = ()
    ) -> int:
        # Whatever a service composed, Telegram gets a text it accepts: a card cut short still
        # carries its buttons, a refused one would carry nothing.
        data: dict[str, Any] = {"chat_id": chat_id, "text": clip(text)}
        if thread_id is not None:
            data["message_thread_id"] = thread_id
        if buttons:
            data["reply_markup"] = {
                "inline_keyboard": [
                    [{"text": b.text, "callback_data": b.data} for b in row]
                    for row in buttons
                    if row
                ]
            }
        result = await _mapped(self._send_message(data))
        return int(result["message_id"])

    async def send_document(
        self,
        chat_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        thread_id: int | None = None,
    ) -> int:
        message = await _mapped(
            self._bot.send_document(
                chat_id,
                InputFile(data, filename=filename),
                caption=clip(caption, CAPTION_LIMIT) if caption else None,
                message_thread_id=thread_id,
                read_timeout=self._send_timeout,
                write_timeout=self._send_timeout,
            )
        )
        return int(message.message_id)

    async def edit(
        self, chat_id: int, message_id: int, text: str, *, buttons: Keyboard = ()
    ) -> None:
        try:
            await _mapped(
                self._bot.edit_message_text(
                    clip(text),
                    chat_id=chat_id,
                    message_id=message_id,
                    reply_markup=keyboard(buttons),
                    read_timeout=self._send_timeout,
                )
            )
        except Undeliverable as exc:
            if "not modified" not in str(exc).lower():
                raise  # the message is gone, or too old to edit

    async def _send_message(self, data: dict[str, Any]) -> Any:
        """sendMessage by PTB's own request and rate limiter, without what ``send_message``
        adds around them: the outbox needs only the new message's id, and building a
        ``Message`` from every answer (and the keyboard's objects for every request) was a
        fifth of the CPU of a large round. Errors are PTB's, as from ``send_message``."""
        bot = self._bot
        request_data = RequestData([RequestParameter.from_input(k, v) for k, v in data.items()])
        url = f"{bot.base_url}/sendMessage"

        async def post() -> Any:
            return await bot.request.post(url, request_data, read_timeout=self._send_timeout)

        limiter = bot.rate_limiter
        if limiter is None:
            return await post()
        # "low": behind people's replies in the rate limiter (handlers/ratelimit.py).
        return await limiter.process_request(post, (), {}, "sendMessage", data, "low")
