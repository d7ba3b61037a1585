"""Files the outbox sends (rows of kind ``document``): the row keeps a reference, the file is
made when it is sent, so a file goes exactly once like any message and the outbox never holds
its bytes. References are JSON: ``{"doc": "notice", "id": 3}``,
``{"doc": "pack", "week": "2026-W10", "lang": "zh-CN"}``,
``{"doc": "board", "quarter": "2026-Q1", "lang": "zh-CN", "as": "png"}``."""

from __future__ import annotations

import json
import logging

from bot.i18n import t
from bot.notice import NoticeDecisions
from bot.pack import PackService
from bot.plans.quarterly import QuarterlyBoard
from storage.outbox import OutgoingMessage

log = logging.getLogger(__name__)


def pack_document(
    key: str,
    admin_id: int,
    week: str,
    lang: str,
    line: str | None = None,
    *,
    locality: str | None = None,
) -> OutgoingMessage:
    reference: dict[str, str] = {"doc": "pack", "week": week, "lang": lang}
    if line is not None:
        reference["line"] = line
    if locality is not None:
        reference["locality"] = locality
    return OutgoingMessage(
        key,
        admin_id,
        json.dumps(reference, ensure_ascii=False),
        user_id=admin_id,
        kind="document",
    )


class OutboxDocuments:
    def __init__(
        self, notices: NoticeDecisions, pack: PackService, quarterly: QuarterlyBoard
    ) -> None:
        self._notices = notices
        self._pack = pack
        self._quarterly = quarterly

    async def __call__(self, reference: str) -> tuple[str, bytes, str | None] | None:
        try:
            ref = json.loads(reference)
        except ValueError:
            log.error("outbox document with a bad reference: %r", reference[:80])
            return None
        if ref.get("doc") == "notice":
            found = await self._notices.document(int(ref.get("id", 0)))
            return (found[0], found[1], None) if found is not None else None
        if ref.get("doc") == "pack":
            lang = str(ref.get("lang", "zh-CN"))
            try:
                period = self._pack.period_of_key(str(ref.get("week", "")))
            except ValueError:
                return None
            line, locality = ref.get("line"), ref.get("locality")
            name, data = await self._pack.document(
                period, lang, str(line) if line else None, str(locality) if locality else None
            )
            return name, data, t(lang, "pack.caption")
        if ref.get("doc") == "board":
            try:
                return await self._quarterly.document(
                    str(ref.get("quarter", "")), str(ref.get("lang", "zh-CN")), str(ref.get("as"))
                )
            except ValueError:
                return None
        log.error("outbox document of an unknown kind: %r", reference[:80])
        return None
