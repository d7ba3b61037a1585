"""What a work line's or locality's admin (项目到线) gets with the weekly digest: their
projects' digest and, with the county-wide one, their work line's meeting material."""

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
    if ":" not in key and scope[0] == "line":
        name = f"pack:{key}:{admin_id}:{scope[1]}"
        messages.append(pack_document(name, admin_id, key, lang, scope[1]))
    return messages
