"""What a work line's or locality's admin (项目到线) gets with the weekly digest: their
projects' digest and, with the county-wide one, their work line's or locality's meeting
material."""

from __future__ import annotations

from bot.outbox_documents import pack_document
from storage.outbox import OutgoingMessage


def scoped_digest(
    key: str, parts: list[str], admin_id: int, lang: str, scope: tuple[str, str]
) -> list[OutgoingMessage]:
    messages = [
        OutgoingMessage(f"digest:{key}:{admin_id}:0:{number}", admin_id, text, user_id=admin_id)
        for number, text in enumerate(parts, start=1)
    ]
    if ":" not in key:  # the county-wide week's: their line's or locality's meeting material
        kind, value = scope
        if kind == "line":
            messages.append(
                pack_document(f"pack:{key}:{admin_id}:{value}", admin_id, key, lang, value)
            )
        else:
            name = f"pack:{key}:{admin_id}:area:{value}"
            messages.append(pack_document(name, admin_id, key, lang, locality=value))
    return messages
