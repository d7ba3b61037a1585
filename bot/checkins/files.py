"""Photos and files: an album's parts kept together, an answer's files shown to who may see them."""

from __future__ import annotations

from bot.clock import Clock
from bot.errors import UserError
from bot.ledger.service import LedgerService
from storage.access import LEAD
from storage.attachments import Attachment, IncomingFile
from storage.repos import Repositories


class AnswerFiles:
    """Albums (several photos sent at once) kept together, and an answer's files shown to
    whoever may see them."""

    def __init__(self, repos: Repositories, clock: Clock, ledger: LedgerService) -> None:
        self._repos = repos
        self._clock = clock
        self._ledger = ledger

    async def album_part(self, user_id: int, file: IncomingFile) -> bool:
        """A later file of an album (photos sent at once, each its own message) goes where the
        first one went; True if it was one."""
        if file.media_group_id is None:
            return False
        owner = await self._repos.attachments.album_owner(user_id, file.media_group_id)
        if owner is None:
            return False
        await self._repos.attachments.add(owner, user_id, [file], self._clock.now())
        return True

    async def files_of_answer(self, user_id: int, answer_id: int) -> list[Attachment]:
        """An answer's photos and files, for its author, the project's leaders and admins."""
        checkin_id, files = await self._repos.attachments.of_answer(answer_id)
        checkin = await self._repos.checkins.checkin(checkin_id) if checkin_id else None
        if checkin is None:
            raise UserError("error.stale_button")
        if checkin.user_id != user_id:
            roles = await self._ledger.roles_on(user_id, checkin.round.project_id)
            if not roles & LEAD:
                raise UserError("error.not_yours")
        return files
