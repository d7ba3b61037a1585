"""Files the outbox sends (rows of kind ``document``): the row keeps a reference, the file is
made when it is sent, so a file goes exactly once like any message and the outbox never holds
its bytes. References are JSON: ``{"doc": "notice", "id": 3}``,
``{"doc": "pack", "week": "2026-W10", "lang": "zh-CN"}``,
``{"doc": "board", "quarter": "2026-Q1", "lang": "zh-CN", "as": "png"}``."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import OrderedDict

from bot.i18n import t
from bot.notice import NoticeDecisions
from bot.pack import PackService
from bot.periods import Period
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


# The week's material goes to every admin as a copy of their own (a row each, sent once each),
# but it is the same document: one made serves the others for this long, so N admins do not
# cost N builds (500 projects: 8 s of CPU each, in the hour every digest goes out).
PACK_SHARED_SECONDS = 600.0
PACKS_KEPT = 8
PackKey = tuple[str, str, str | None, str | None]


class OutboxDocuments:
    def __init__(
        self, notices: NoticeDecisions, pack: PackService, quarterly: QuarterlyBoard
    ) -> None:
        self._notices = notices
        self._pack = pack
        self._quarterly = quarterly
        self._packs: OrderedDict[PackKey, tuple[float, asyncio.Task[tuple[str, bytes]]]] = (
            OrderedDict()
        )

    async def _shared_pack(
        self, period: Period, lang: str, line: str | None, locality: str | None
    ) -> tuple[str, bytes]:
        """The material, made once for every copy sent within PACK_SHARED_SECONDS (two sent
        at once wait for the same build)."""
        key: PackKey = (period.key, lang, line, locality)
        now = time.monotonic()
        kept = self._packs.get(key)
        if kept is None or now - kept[0] > PACK_SHARED_SECONDS:
            build = asyncio.ensure_future(self._pack.document(period, lang, line, locality))
            kept = self._packs[key] = (now, build)
            while len(self._packs) > PACKS_KEPT:
                self._packs.popitem(last=False)
        try:
            return await asyncio.shield(kept[1])
        except Exception:
            if self._packs.get(key) is kept:
                del self._packs[key]  # the next copy tries again
            raise

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
            name, data = await self._shared_pack(
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
