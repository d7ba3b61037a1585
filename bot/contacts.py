"""Leaders' weekly contact with the enterprise (首席负责人每周与企业对接一次).

A leaders' schedule prompts each leader of a project; the leader chooses how the contact was
made (visit, meeting, call), then says when and what was settled in one message, with photos
if they like. ``/contact <project>`` records one at any time. A contact answers the leader's
open weekly prompt of that project; unanswered prompts are reminded and, when the window
closes, missed, like check-ins.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import date

from bot.clock import Clock, local_date
from bot.conversation import Conversation
from bot.errors import UsageError, UserError, refusal
from bot.i18n import t
from bot.parsing import clean_text, parse_date, parse_project_id
from bot.projects import ProjectService
from bot.registry import Registry
from bot.replies import Buttons, PressResult, Reply
from storage.access import Denied, Need
from storage.attachments import IncomingFile
from storage.outbox import OutgoingButton
from storage.pending import PendingInput
from storage.repos import Repositories

log = logging.getLogger(__name__)

LEADER = frozenset({"leader"})
HOW = {"v": "visit", "m": "meeting", "c": "call"}
CALLBACK = re.compile(r"^ct:([vmc]):([0-9]{1,12})$")
LEADING_DATE = re.compile(
    r"^([0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|(?:[0-9]{4}年)?[0-9]{1,2}月[0-9]{1,2}日"
    r"|昨天|昨日|前天|今天|今日|明天|明日|后天|(?i:yesterday|today|tomorrow)\b)"
    r"[\s，,：:。]*(\S.*)$",
    re.DOTALL,
)
MAX_TEXT = 2000
# A contact is reported within this many days of when it was held.
MAX_AGE_DAYS = 31


def contact_buttons(project_id: int, lang: str) -> Buttons:
    """How the contact was made: the first step of recording one."""
    return (
        tuple(
            OutgoingButton(t(lang, f"contact.how.{how}"), f"ct:{code}:{project_id}")
            for code, how in HOW.items()
        ),
    )


class ContactService:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        projects: ProjectService,
        clock: Clock,
        conversation: Conversation,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._clock = clock
        self._conversation = conversation

    async def _leader_of(self, user_id: int, project_id: int) -> None:
        if "leader" not in await self._registry.roles_on(user_id, project_id):
            raise UserError("contact.not_leader", id=project_id)

    async def start(self, user_id: int, args: list[str], lang: str) -> Reply:
        """``/contact <project id>``: record a contact now, whatever the schedule."""
        if len(args) != 1:
            raise UsageError("contact")
        project_id = parse_project_id(args[0])
        await self._leader_of(user_id, project_id)
        project = await self._projects.active_project(project_id)
        return Reply(
            t(lang, "contact.ask_how", id=project.id, project=project.name),
            contact_buttons(project.id, lang),
        )

    def choose_how(self, project_id: int, lang: str) -> Reply:
        """What a leader who writes before choosing how is told."""
        return Reply(t(lang, "contact.choose_how"), contact_buttons(project_id, lang))

    async def press(self, user_id: int, data: str, lang: str) -> PressResult:
        """``ct:<how>:<project id>``: wait for the contact's text."""
        match = CALLBACK.match(data)
        if match is None:
            log.warning("malformed contact callback %r from %s", data[:80], user_id)
            raise UserError("error.stale_button")
        how, project_id = HOW[match[1]], int(match[2])
        await self._leader_of(user_id, project_id)
        project = await self._projects.active_project(project_id)
        await self._conversation.expect(
            user_id, "contact", project_id=project.id, detail={"how": how}
        )
        how_text = t(lang, f"contact.how.{how}")
        return PressResult(
            alert=how_text,
            followups=[Reply(t(lang, "contact.ask_text", how=how_text, project=project.name))],
        )

    async def take(
        self,
        user_id: int,
        pending: PendingInput,
        raw: str,
        lang: str,
        message_id: int | None,
        files: Sequence[IncomingFile] = (),
    ) -> Reply:
        """The contact's text (a caption with photos): when (a leading date, else today) and
        what was settled."""
        assert pending.project_id is not None
        project = await self._projects.project(pending.project_id)
        today = local_date(self._clock.now(), project.timezone)
        held_on, text = self._held_on(clean_text(raw, MAX_TEXT), today)
        how = str(pending.detail.get("how", "visit"))
        try:
            await self._repos.contacts.record(
                Need(user_id, LEADER, project.id),
                how,
                held_on,
                text,
                message_id,
                files,
                self._clock.now(),
            )
        except Denied as exc:
            if exc.reason == "not_member":
                raise UserError("contact.not_leader", id=project.id) from None
            raise refusal(exc) from None
        return Reply(
            t(
                lang,
                "contact.recorded",
                project=project.name,
                how=t(lang, f"contact.how.{how}"),
                date=held_on.isoformat(),
            )
        )

    @staticmethod
    def _held_on(text: str, today: date) -> tuple[date, str]:
        """A leading date (11月24日, 2026-11-24, 昨天) says when the contact was held; else
        today. A day to come is refused: a contact is recorded once it was made."""
        match = LEADING_DATE.match(text)
        if match is None:
            return today, text
        held_on = parse_date(match[1], today)
        if held_on > today or (today - held_on).days > MAX_AGE_DAYS:
            raise UserError("contact.bad_date", days=MAX_AGE_DAYS)
        return held_on, match[2].strip()
