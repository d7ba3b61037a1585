"""Importing the office's plan workbook: /template sends it; the filled workbook an admin sends
back is checked and previewed (nothing written) with 导入 / 取消; 导入 applies it once."""

from __future__ import annotations

import asyncio
import re

from bot.clock import Clock, local_date
from bot.errors import UserError, refusal
from bot.i18n import t
from bot.plans import workbook
from bot.registry import Registry
from bot.replies import PressResult, Reply
from storage.access import ADMIN, Denied, Need
from storage.imports import ImportResult
from storage.outbox import OutgoingButton
from storage.repos import Repositories

CALLBACK = re.compile(r"^im:(ok|no):([0-9]{1,12})$")
SHOWN_ERRORS = 30  # the first ones, each named by place; then how many more


class ImportService:
    def __init__(
        self, repos: Repositories, registry: Registry, clock: Clock, *, timezone: str
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._clock = clock
        self._timezone = timezone

    async def template(self, user_id: int) -> bytes:
        await self._registry.require_admin(user_id)
        return await asyncio.to_thread(workbook.template)

    async def preview(self, user_id: int, file_name: str, data: bytes, lang: str) -> Reply:
        """Check the workbook; with no problem, keep it and offer 导入 / 取消."""
        await self._registry.require_admin(user_id)
        existing = await self._repos.imports.existing()
        keys = await self._repos.imports.milestone_keys()
        today = local_date(self._clock.now(), self._timezone)
        checked = await asyncio.to_thread(workbook.read, data, file_name, existing, keys, today)
        if checked.errors:
            lines = [t(lang, "import.errors", count=len(checked.errors))]
            for sheet, row, column, key in checked.errors[:SHOWN_ERRORS]:
                where = t(lang, "import.where", sheet=sheet, row=row, column=column)
                lines.append(f"• {where}: {t(lang, key)}")
            if len(checked.errors) > SHOWN_ERRORS:
                lines.append(t(lang, "import.more", count=len(checked.errors) - SHOWN_ERRORS))
            lines.append(t(lang, "import.nothing_written"))
            return Reply("\n".join(lines))
        if not checked.projects and not checked.milestones:
            return Reply(t(lang, "import.empty"))
        try:
            import_id = await self._repos.imports.create(
                Need(user_id, ADMIN), file_name, checked.payload, self._clock.now()
            )
        except Denied as exc:
            raise refusal(exc) from None
        same = len(checked.projects) - checked.new - checked.changed
        text = t(
            lang,
            "import.preview",
            name=file_name[:60],
            new=checked.new,
            changed=checked.changed,
            same=same,
            milestones=len(checked.milestones),
        )
        buttons = (
            (
                OutgoingButton(t(lang, "button.import"), f"im:ok:{import_id}"),
                OutgoingButton(t(lang, "button.cancel_import"), f"im:no:{import_id}"),
            ),
        )
        return Reply(text, buttons)

    async def press(
        self, user_id: int, data: str, lang: str, pressed: str | None = None
    ) -> PressResult:
        match = CALLBACK.match(data)
        if match is None:
            raise UserError("error.stale_button")
        import_id = int(match[2])
        pending = await self._repos.imports.get(import_id)
        if pending is None:
            raise UserError("error.stale_button")
        now = self._clock.now()
        try:
            if match[1] == "no":
                cancelled = await self._repos.imports.cancel(Need(user_id, ADMIN), import_id, now)
                key = "import.cancelled" if cancelled else f"import.already_{pending.status}"
                return PressResult(alert=t(lang, key), edit=Reply(t(lang, key)))
            result = await self._repos.imports.apply(
                Need(user_id, ADMIN), import_id, self._timezone, now
            )
        except Denied as exc:
            raise refusal(exc) from None
        if result is None:
            fresh = await self._repos.imports.get(import_id)
            key = f"import.already_{fresh.status if fresh else 'applied'}"
            return PressResult(alert=t(lang, key), show_alert=True)
        return PressResult(
            alert=t(lang, "import.done_short"), edit=Reply(self.result(result, lang))
        )

    @staticmethod
    def result(result: ImportResult, lang: str) -> str:
        joiner = t(lang, "digest.joiner")
        lines = [
            t(
                lang,
                "import.done",
                created=len(result.created),
                updated=len(result.updated),
                unchanged=len(result.unchanged),
                milestones=result.milestones,
            )
        ]
        if result.created:
            lines.append(t(lang, "import.created", names=joiner.join(result.created[:50])))
        if result.updated:
            lines.append(t(lang, "import.updated", names=joiner.join(result.updated[:50])))
        return "\n".join(lines)
