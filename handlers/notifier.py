"""The Telegram side of the notifier interface: sends messages, maps errors to domain ones."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter, TimedOut
from telegram.ext import ExtBot

from bot.notifier import ChatMoved, Keyboard, RecipientGone, RetryLater, Undeliverable
from bot.replies import clip
from storage.outbox import OutgoingButton


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
        try:
            message = await self._bot.send_message(
                chat_id,
                # Whatever a service composed, Telegram gets a text it accepts: a card cut
                # short still carries its buttons, a refused one would carry nothing.
                clip(text),
                message_thread_id=thread_id,
                reply_markup=keyboard(buttons),
                read_timeout=self._send_timeout,
                # Behind people's replies in the rate limiter (handlers/ratelimit.py).
                rate_limit_args="low",
            )
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
        return message.message_id
