"""The messages the ledger asked for: a note, the reason for an extension or a send-back, and
a new problem's follow-ups (the coordination it needs, a proposed solution).

Each wait was set by a button or a report; the message that answers it makes the change and
uses the wait up in the same transaction.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import TYPE_CHECKING

from bot.clock import format_local
from bot.conversation import Conversation
from bot.i18n import t
from bot.ledger.decisions import Decisions
from bot.ledger.service import LedgerService
from bot.replies import PressResult, Reply
from storage.access import LEAD
from storage.attachments import IncomingFile
from storage.outbox import OutgoingButton
from storage.pending import PendingInput
from storage.problem_rows import Problem

if TYPE_CHECKING:
    from bot.departments.work import DepartmentWork

KINDS = frozenset({"note", "extend", "sendback", "coordination", "proposal", "deadline"})
# What a department's card asked for: the reason to hand back, the account with 办结.
DEPARTMENT_KINDS = frozenset({"dept_return", "dept_done"})
FOLLOW_UPS = frozenset({"coordination", "proposal"})
# Takes the message another capability waited for: (user id, the wait, text, language).
OtherInput = Callable[[int, PendingInput, str, str], Awaitable[Reply]]
# Takes the photos or files another capability waited for: (user id, the wait, language, files).
FilesInput = Callable[[int, PendingInput, str, Sequence[IncomingFile]], Awaitable[Reply]]


class LedgerInputs:
    def __init__(
        self, ledger: LedgerService, decisions: Decisions, conversation: Conversation
    ) -> None:
        self._ledger = ledger
        self._decisions = decisions
        self._conversation = conversation
        # Set by the composition root (departments are built after the ledger).
        self.departments: DepartmentWork | None = None
        # Other capabilities' waits (a month's investment, an explanation), by kind.
        self.others: dict[str, OtherInput] = {}
        # Waits only a photo or file answers (a milestone's evidence), by kind.
        self.file_inputs: dict[str, FilesInput] = {}

    def wants(self, pending: PendingInput | None, files: Sequence[IncomingFile] = ()) -> bool:
        if pending is not None and pending.kind in self.file_inputs:
            # Only a photo or file is the evidence waited for: a text goes on as it would
            # (a progress report typed right after marking a milestone stays a report).
            return bool(files)
        if pending is not None and pending.kind in self.others:
            return True
        return (
            pending is not None
            and pending.kind in KINDS | DEPARTMENT_KINDS
            and pending.problem_id is not None
        )

    async def take(
        self,
        user_id: int,
        pending: PendingInput,
        text: str,
        lang: str,
        files: Sequence[IncomingFile] = (),
    ) -> Reply:
        """Apply the message the bot waited for (``wants`` said yes)."""
        files_input = self.file_inputs.get(pending.kind)
        if files_input is not None:
            return await files_input(user_id, pending, lang, files)
        other = self.others.get(pending.kind)
        if other is not None:
            return await other(user_id, pending, text, lang)
        assert pending.problem_id is not None
        if pending.kind in DEPARTMENT_KINDS and self.departments is not None:
            handover_id = int(pending.detail.get("handover", 0))
            return await self.departments.take(
                user_id, pending.kind, pending.problem_id, handover_id, text, lang
            )
        if pending.kind == "note":
            problem = await self._ledger.note(
                user_id, pending.problem_id, text, used_input=True, files=files
            )
            return Reply(t(lang, "problem.noted", id=problem.id))
        if pending.kind == "deadline":
            problem_id, shown = await self._decisions.deadline_from(
                user_id, pending.problem_id, text, used_input=True
            )
            done = Reply(t(lang, "problem.deadline_set", id=problem_id, deadline=shown))
            # The follow-up question the “Other…” button interrupted is asked again.
            then = pending.detail.get("then")
            if then == "coordination":
                ask = await self._ledger.ask_coordination(user_id, problem_id, lang)
                return replace(done, after=(ask,))
            if then == "proposal":
                return replace(done, after=(await self.ask_proposal(user_id, problem_id, lang),))
            return done
        if pending.kind == "coordination":
            await self._ledger.add_followup(user_id, pending.problem_id, "coordination", text)
            return await self.ask_proposal(user_id, pending.problem_id, lang)
        if pending.kind == "proposal":
            await self._ledger.add_followup(user_id, pending.problem_id, "proposal", text)
            return Reply(t(lang, "problem.followups_done", id=pending.problem_id))
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

    async def ask_proposal(self, user_id: int, problem_id: int, lang: str) -> Reply:
        await self._conversation.expect(user_id, "proposal", problem_id=problem_id)
        skip = OutgoingButton(t(lang, "button.skip"), f"pb:sp:{problem_id}")
        return Reply(t(lang, "problem.ask_proposal", id=problem_id), ((skip,),))

    async def skip(self, user_id: int, problem: Problem, kind: str, lang: str) -> PressResult:
        """Skip a follow-up question: the next one, or done. Only while it is still asked."""
        pending = await self._conversation.awaited(user_id)
        if pending is None or pending.kind != kind or pending.problem_id != problem.id:
            return PressResult(alert=t(lang, "problem.nothing_to_skip"))
        if kind == "coordination":
            ask = await self.ask_proposal(user_id, problem.id, lang)
            return PressResult(
                edit=Reply(t(lang, "problem.skipped", id=problem.id)), followups=[ask]
            )
        await self._conversation.drop(user_id)
        return PressResult(edit=Reply(t(lang, "problem.followups_done", id=problem.id)))
