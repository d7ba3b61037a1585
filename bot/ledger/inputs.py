"""The messages the ledger asked for: a note, the reason for an extension or a send-back.

Each wait was set by a button (see :mod:`bot.ledger.presses`); the message that answers it
makes the change and uses the wait up in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from bot.clock import format_local
from bot.i18n import t
from bot.ledger.decisions import Decisions
from bot.ledger.service import LedgerService
from bot.replies import Reply
from storage.access import LEAD
from storage.attachments import IncomingFile
from storage.pending import PendingInput

KINDS = frozenset({"note", "extend", "sendback"})


class LedgerInputs:
    def __init__(self, ledger: LedgerService, decisions: Decisions) -> None:
        self._ledger = ledger
        self._decisions = decisions

    def wants(self, pending: PendingInput | None) -> bool:
        return pending is not None and pending.kind in KINDS and pending.problem_id is not None

    async def take(
        self,
        user_id: int,
        pending: PendingInput,
        text: str,
        lang: str,
        files: Sequence[IncomingFile] = (),
    ) -> Reply:
        """Apply the message the bot waited for (``wants`` said yes)."""
        assert pending.problem_id is not None
        if pending.kind == "note":
            problem = await self._ledger.note(
                user_id, pending.problem_id, text, used_input=True, files=files
            )
            return Reply(t(lang, "problem.noted", id=problem.id))
        if pending.kind == "sendback":
            problem = await self._decisions.send_back(
                user_id, pending.problem_id, text, used_input=True
            )
            return Reply(t(lang, "problem.sent_back", id=problem.id))
        problem = await self._ledger.allowed(user_id, pending.problem_id, LEAD)
        length = timedelta(seconds=int(pending.detail.get("seconds", 86400)))
        extended = await self._decisions.extend_by(user_id, problem, length, text, used_input=True)
        deadline = format_local(extended.deadline, extended.project_timezone)
        return Reply(t(lang, "problem.extended", id=extended.id, deadline=deadline))
