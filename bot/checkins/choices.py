"""Messages waiting for their project to be chosen: someone with a round open in several
projects sent an answer that fits more than one. Each message waits for its own choice (a
second one sent before choosing does not replace the first), at most MAX_CHOICES a person."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from storage.attachments import IncomingFile
from storage.pending import PendingInput

MAX_CHOICES = 20
Choice = dict[str, Any]


def waiting(pending: PendingInput | None) -> list[Choice]:
    """The messages waiting for a project choice (one, from a wait of an older version)."""
    if pending is None or pending.kind != "choose":
        return []
    choices = pending.detail.get("choices")
    if isinstance(choices, list):
        return [c for c in choices if isinstance(c, dict)]
    legacy = {"message_id": None, "text": pending.text, "files": pending.detail.get("files", [])}
    return [legacy]


def with_message(
    pending: PendingInput | None,
    message_id: int | None,
    text: str | None,
    files: Sequence[IncomingFile],
) -> list[Choice]:
    """What waits once this message waits too; the oldest beyond MAX_CHOICES are let go."""
    mine = {"message_id": message_id, "text": text, "files": [asdict(f) for f in files]}
    return [*waiting(pending), mine][-MAX_CHOICES:]


def chosen(choices: list[Choice], message_id: int | None) -> tuple[Choice | None, list[Choice]]:
    """The message a chooser was asked about (the latest, under a chooser of an older version
    that names none), and what still waits after it."""
    found = next(
        (c for c in reversed(choices) if message_id is None or c["message_id"] == message_id),
        None,
    )
    return found, [c for c in choices if c is not found]
