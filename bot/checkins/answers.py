"""Secretaries answering: buttons, free text, problems (/checkin is in ``early``)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta

from bot.checkins import choices
from bot.checkins.prompts import PromptRenderer
from bot.checkins.schedules import ScheduleService
from bot.clock import Clock, delivered_late, format_local
from bot.contacts import ContactService
from bot.conversation import Conversation
from bot.errors import UserError
from bot.i18n import t
from bot.ledger.inputs import LedgerInputs
from bot.ledger.service import LedgerService
from bot.parsing import clean_text
from bot.replies import PressResult, Reply
from storage.access import Denied
from storage.attachments import IncomingFile
from storage.checkins import CheckinRow
from storage.outbox import OutgoingButton
from storage.pending import PendingInput
from storage.repos import Repositories

log = logging.getLogger(__name__)

MAX_ANSWER = 4000
MAX_PROBLEM = 2000


class AnswerService:
    """Everything a secretary does in reply to a prompt, or ahead of one."""

    def __init__(
        self,
        repos: Repositories,
        clock: Clock,
        conversation: Conversation,
        schedules: ScheduleService,
        prompts: PromptRenderer,
        ledger: LedgerService,
        inputs: LedgerInputs,
        contacts: ContactService,
    ) -> None:
        self._repos = repos
        self._clock = clock
        self._conversation = conversation
        self._schedules = schedules
        self._prompts = prompts
        self._ledger = ledger
        self._inputs = inputs
        self._contacts = contacts

    # --- buttons ----------------------------------------------------------------------------

    async def _own_open_checkin(self, user_id: int, checkin_id: int) -> CheckinRow:
        checkin = await self._repos.checkins.checkin(checkin_id)
        if checkin is None or checkin.user_id != user_id:
            log.warning("user %s pressed a check-in button for %s", user_id, checkin_id)
            raise UserError("error.not_yours")
        if checkin.round.audience != "secretary":
            raise UserError("error.stale_button")  # a leader's contact has buttons of its own
        if not checkin.serving:
            # Removed, or the project archived: show nothing of the project any more.
            raise UserError("error.no_longer_secretary")
        if checkin.round.status != "open":
            raise UserError("checkin.closed", date=checkin.round.local_date.isoformat())
        return checkin

    async def press(
        self, user_id: int, action: str, checkin_id: int, extra: int | None = None
    ) -> PressResult:
        """A secretary pressed a button under a prompt or reminder. ``extra``: the number of
        the question a Skip button was shown with, or the message a project choice is for."""
        checkin = await self._own_open_checkin(user_id, checkin_id)
        lang = self._prompts.lang(checkin)
        now = self._clock.now()
        stamp = format_local(now, checkin.project_timezone)[11:]
        if action in {"ok", "lv"}:
            kind, status, key = (
                ("ok", "answered", "checkin.recorded_ok")
                if action == "ok"
                else ("leave", "on_leave", "checkin.recorded_leave")
            )
            # The person moved on: any wait (a follow-up question) ends with this answer.
            stored = await self._record(
                self._repos.checkins.record_answer(
                    checkin.id, kind, now, status=status, outcome=kind, used_input=True
                ),
            )
            if stored is None:
                raise UserError("checkin.closed", date=checkin.round.local_date.isoformat())
            fresh = replace(checkin, status=status, outcome=kind, answered_at=now)
            line = t(lang, key, time=stamp)
            edit = await self._prompts.prompt_for(fresh, line)
            return PressResult(alert=line, edit=edit)
        if action == "pb":
            await self._conversation.expect(user_id, "problem", checkin_id=checkin.id)
            return PressResult(followups=[Reply(t(lang, "checkin.describe_problem"))])
        if action == "sk":
            return await self._skip_question(checkin, lang, now, extra)
        if action == "pk":
            return await self._picked(checkin, lang, extra)
        log.warning("user %s pressed unknown check-in action %r", user_id, action[:20])
        raise UserError("error.stale_button")

    async def _skip_question(
        self, checkin: CheckinRow, lang: str, now: datetime, shown: int | None
    ) -> PressResult:
        questions = await self._repos.schedules.questions(checkin.round.project_id)
        number = checkin.next_question
        if not questions or number > len(questions):
            return PressResult(alert=t(lang, "checkin.no_question"))
        if shown is not None and shown != number:  # a double tap, or a question answered since
            return PressResult(alert=t(lang, "checkin.question_moved_on"))
        await self._record(
            self._repos.checkins.record_answer(
                checkin.id,
                "skip",
                now,
                question_no=number,
                status=checkin.status,
                next_question=number + 1,
            ),
        )
        return PressResult(
            followups=[self._prompts.after_question(checkin, lang, questions, number)]
        )

    async def _picked(self, checkin: CheckinRow, lang: str, message_id: int | None) -> PressResult:
        """A project chosen for a message that fitted more than one: that message (the latest
        waiting one, under a chooser of an older version) is recorded for it."""
        pending = await self._conversation.awaited(checkin.user_id)
        chosen, rest = choices.chosen(choices.waiting(pending), message_id)
        if chosen is None:
            return PressResult(alert=t(lang, "error.stale_button"))
        files = [IncomingFile(**f) for f in chosen.get("files", [])]
        reply = await self._record_text(
            checkin, lang, chosen.get("text"), chosen.get("message_id"), files=files
        )
        # Recorded first, then let go: a crash between could record it twice, never lose it.
        if rest:
            await self._conversation.expect(checkin.user_id, "choose", detail={"choices": rest})
        else:
            await self._conversation.drop(checkin.user_id)
        return PressResult(
            edit=Reply(t(lang, "checkin.chosen", project=checkin.project_name)), followups=[reply]
        )

    # --- text -------------------------------------------------------------------------------

    async def text(
        self,
        user_id: int,
        text: str | None,
        lang: str,
        message_id: int | None,
        pending: PendingInput | None,
        files: Sequence[IncomingFile] = (),
        *,
        secretary: bool = True,
        sent_at: datetime | None = None,
    ) -> Reply:
        """Free text from a secretary, or photos and files (``text`` is their caption, if any):
        what the bot asked for (``pending``, read with the sender), else a progress answer.
        ``secretary``: whether the sender serves any project as one (else nothing is expected
        of them unasked, and they are told so rather than pointed to /checkin); ``sent_at``:
        when Telegram says it was sent, which counts if the bot was down when its round
        closed."""
        described = text or t(lang, "attachment.no_caption")
        if pending is not None and pending.kind == "problem":
            return await self._problem_text(
                user_id, pending.checkin_id, pending.project_id, described, lang, files
            )
        if pending is not None and self._inputs.wants(pending, files):
            return await self._inputs.take(user_id, pending, described, lang, files)
        if pending is not None and pending.kind == "contact":
            return await self._contacts.take(user_id, pending, described, lang, message_id, files)
        if secretary and sent_at is not None and delivered_late(self._clock.now(), sent_at):
            then = await self._repos.checkins.closed_since_sent(user_id, sent_at)
            if then is not None:
                return await self._record_text(
                    then,
                    self._prompts.lang(then),
                    text,
                    message_id,
                    used_input=pending is not None,
                    files=files,
                    sent_at=sent_at,
                )
        serving = await self._repos.checkins.open_checkins_of(user_id)
        open_checkins = [c for c in serving if c.round.audience == "secretary"]
        if not open_checkins:
            contact = next((c for c in serving if c.round.audience == "leader"), None)
            if contact is not None:  # a leader's weekly contact: how it was made comes first
                return self._contacts.choose_how(contact.round.project_id, lang)
            if not secretary:
                return Reply(t(lang, "checkin.not_reporting"))
            if files:
                return Reply(t(lang, "media.nothing_open"))
            return Reply(await self._nothing_open(user_id, lang))
        if len(open_checkins) == 1:
            checkin = open_checkins[0]
            # Any other wait (a stale project choice) ends with this answer.
            return await self._record_text(
                checkin,
                self._prompts.lang(checkin),
                text,
                message_id,
                used_input=pending is not None,
                files=files,
            )
        # Each message waits for its own choice; each chooser records the one it asked about.
        waiting = choices.with_message(pending, message_id, text, files)
        await self._conversation.expect(user_id, "choose", detail={"choices": waiting})
        suffix = f":{message_id}" if message_id is not None else ""
        buttons = tuple(
            (
                OutgoingButton(
                    f"{c.project_name} ({c.round.local_date.isoformat()})"[:60],
                    f"ci:pk:{c.id}{suffix}",
                ),
            )
            for c in open_checkins
        )
        return Reply(t(lang, "checkin.which_project"), buttons)

    async def edited(self, user_id: int, message_id: int, text: str, lang: str) -> Reply:
        """Someone edited a message: if it was a progress answer (or the answer to a
        question) of a round still open, the edit replaces it for every reader (the earlier
        text stays in the event log); any other edit changes nothing, and they are told so
        (people expect an edit to count)."""
        checkin_id = await self._repos.checkins.replace_answer(
            user_id, message_id, clean_text(text, MAX_ANSWER), self._clock.now()
        )
        checkin = await self._repos.checkins.checkin(checkin_id) if checkin_id else None
        if checkin is None:
            return Reply(t(lang, "checkin.edit_ignored"))
        lang = self._prompts.lang(checkin)
        return Reply(t(lang, "checkin.answer_edited", project=checkin.project_name))

    async def _record_text(
        self,
        checkin: CheckinRow,
        lang: str,
        raw: str | None,
        message_id: int | None,
        *,
        used_input: bool = False,
        files: Sequence[IncomingFile] = (),
        sent_at: datetime | None = None,
    ) -> Reply:
        """A progress report, or the answer to the next question of the round. ``sent_at``: a
        report sent while its round was open and handled after it closed (the bot was down at
        the close, Telegram kept the message): it counts as of then, whole (no questions)."""
        now = sent_at or self._clock.now()
        text = clean_text(raw or "", MAX_ANSWER) if raw or not files else None
        questions = []
        if checkin.questions and sent_at is None:
            questions = await self._repos.schedules.questions(checkin.round.project_id)
        closed = Reply(t(lang, "checkin.closed", date=checkin.round.local_date.isoformat()))
        if questions and checkin.next_question <= len(questions):
            number = checkin.next_question
            stored = await self._record(
                self._repos.checkins.record_answer(
                    checkin.id,
                    "answer",
                    now,
                    text=text,
                    question_no=number,
                    outcome="progress",
                    next_question=number + 1,
                    message_id=message_id,
                    used_input=used_input,
                    files=files,
                ),
            )
            if stored is None:
                return closed
            return self._prompts.after_question(checkin, lang, questions, number)
        stored = await self._record(
            self._repos.checkins.record_answer(
                checkin.id,
                "progress",
                now,
                text=text,
                outcome="progress",
                message_id=message_id,
                used_input=used_input,
                files=files,
                sent_at=sent_at,
            ),
        )
        if stored is None:
            return closed
        if sent_at is not None:
            sent = format_local(sent_at, checkin.project_timezone)
            return Reply(t(lang, "checkin.recorded_late", project=checkin.project_name, sent=sent))
        closes = format_local(checkin.round.closes_at, checkin.project_timezone)
        key = "checkin.recorded_with_files" if files else "checkin.recorded_progress"
        return Reply(t(lang, key, project=checkin.project_name, closes=closes))

    async def _problem_text(
        self,
        user_id: int,
        checkin_id: int | None,
        project_id: int | None,
        raw: str,
        lang: str,
        files: Sequence[IncomingFile] = (),
    ) -> Reply:
        """The text after 'Report a problem' (or /newproblem without text): into the ledger.

        The text is checked before anything changes, so a refused text leaves the bot still
        waiting for the problem; the transaction that records it uses the wait up.
        """
        text = clean_text(raw, MAX_PROBLEM)
        checkin = await self._repos.checkins.checkin(checkin_id) if checkin_id else None
        if checkin is None:
            assert project_id is not None
            return await self._ledger.record(user_id, project_id, text, lang, files)
        project_id = checkin.round.project_id
        deadline = self._clock.now() + await self._ledger.deadline_for(project_id)
        announce = await self._ledger.announcer.announcement(project_id, user_id, text, deadline)
        problem_id = await self._record(
            self._repos.checkins.record_answer(
                checkin.id,
                "problem",
                self._clock.now(),
                text=text,
                outcome="problem",
                problem=(text, deadline),
                used_input=True,
                files=files,
                announce=announce,
            ),
        )
        if not problem_id:
            # The round closed meanwhile: the problem still goes into the ledger.
            return await self._ledger.record(user_id, project_id, text, lang, files)
        await self._ledger.on_deadlines_changed()
        return await self._ledger.recorded_reply(user_id, problem_id, lang)

    @staticmethod
    async def _record(write: Awaitable[int | None]) -> int | None:
        """Await an answer's write; a person removed (or a project archived) since the check-in
        was read is refused without naming the project."""
        try:
            return await write
        except Denied:
            raise UserError("error.no_longer_secretary") from None

    # --- commands ---------------------------------------------------------------------------

    async def still_owed(self, user_id: int, project_id: int, lang: str) -> str | None:
        """A line for a secretary who acted on the ledger (/resolve) while the project's round
        is open and unanswered: that was no progress report, and the day's one is still owed."""
        for checkin in await self._repos.checkins.open_checkins_of(user_id):
            owed = checkin.status == "pending" and checkin.round.audience == "secretary"
            if owed and checkin.round.project_id == project_id:
                return t(
                    lang,
                    "checkin.still_owed",
                    project=checkin.project_name,
                    closes=format_local(checkin.round.closes_at, checkin.project_timezone),
                )
        return None

    async def _nothing_open(self, user_id: int, lang: str) -> str:
        """Nothing to answer: if a round of theirs closed in the last day, say so (an answer
        sent after 23:59 is not recorded, and that day counts as missed)."""
        now = self._clock.now()
        closed = await self._repos.checkins.last_closed(user_id, now - timedelta(days=1), now)
        if closed is None:
            return t(lang, "checkin.nothing_open")
        return t(
            lang,
            "checkin.closed_late",
            date=closed.round.local_date.isoformat(),
            closes=format_local(closed.round.closes_at, closed.project_timezone),
            project=closed.project_name,
        )
