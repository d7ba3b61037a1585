"""What services need from a messenger, and the ways a delivery can fail.

The Telegram implementation lives in ``handlers.notifier``; services never import telegram.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from storage.outbox import OutgoingButton

Keyboard = Sequence[Sequence[OutgoingButton]]


class DeliveryError(Exception):
    """A message could not be delivered."""


class RecipientGone(DeliveryError):
    """The user blocked the bot, or the bot was removed from the group."""


class ChatMoved(DeliveryError):
    """A group became a supergroup with a new id."""

    def __init__(self, new_chat_id: int) -> None:
        super().__init__(f"chat migrated to {new_chat_id}")
        self.new_chat_id = new_chat_id


class RetryLater(DeliveryError):
    """Flood limit, server error or timeout: try again, after ``retry_after`` seconds if given."""

    def __init__(
        self, reason: str, retry_after: float | None = None, *, timed_out: bool = False
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        # No answer in time: Telegram may have delivered it, and the retry may be a duplicate.
        self.timed_out = timed_out


class Undeliverable(DeliveryError):
    """Telegram refused the request itself; retrying would not help."""


class Notifier(Protocol):
    """Sends and edits messages; raises a :class:`DeliveryError` subclass on failure."""

    async def send(
        self, chat_id: int, text: str, *, thread_id: int | None = None, buttons: Keyboard = ()
    ) -> int:
        """Send a message and return its Telegram message id."""
        ...

    async def send_document(
        self,
        chat_id: int,
        filename: str,
        data: bytes,
        *,
        caption: str | None = None,
        thread_id: int | None = None,
    ) -> int:
        """Send a file and return its Telegram message id."""
        ...

    async def edit(
        self, chat_id: int, message_id: int, text: str, *, buttons: Keyboard = ()
    ) -> None:
        """Replace a sent message's text and buttons; the same text again is no error."""
        ...
