"""A new problem's cards, sent at once (及时提交给首席负责人): to the project's leaders and, with
``NEW_PROBLEM_TO`` (default), the office's admins; queued with the problem itself."""

from __future__ import annotations

from datetime import datetime

from bot.clock import Clock
from bot.ledger.cards import CardRenderer
from bot.projects import ProjectService
from bot.registry import Registry
from storage.outbox import OutgoingMessage, edit_key
from storage.problem_rows import Problem
from storage.problems import Announce
from storage.repos import Repositories


class NewProblemCards:
    def __init__(
        self,
        repos: Repositories,
        registry: Registry,
        projects: ProjectService,
        clock: Clock,
        cards: CardRenderer,
    ) -> None:
        self._repos = repos
        self._registry = registry
        self._projects = projects
        self._clock = clock
        self.cards = cards
        # Who gets the card (NEW_PROBLEM_TO): leaders, admins, both.
        self.to: frozenset[str] = frozenset({"leaders", "admins"})

    async def edits(self, problem: Problem, what: str) -> list[OutgoingMessage]:
        """Each new-problem card of ``problem`` edited to show it as it is now (the reporter
        has just added 需协调事项 or 拟解决办法), instead of staying without them."""
        readers = await self._readers(problem.project_id, problem.reporter_id)
        keys = [self.key(problem.id, chat_id) for chat_id, _ in readers]
        sent = dict(await self._repos.outbox.existing(keys))
        if not sent:
            return []
        history = await self._repos.problems.history(problem.id)
        edits = []
        for chat_id, lang in readers:
            key = self.key(problem.id, chat_id)
            if key not in sent:
                continue
            card = self.cards.render_new(problem, history, lang)
            edits.append(
                OutgoingMessage(
                    edit_key(what, key),
                    chat_id,
                    card.text,
                    user_id=chat_id,
                    buttons=card.buttons,
                    kind="edit",
                    project_id=problem.project_id,
                )
            )
        return edits

    @staticmethod
    def key(problem_id: int, chat_id: int) -> str:
        return f"new:{problem_id}:{chat_id}"

    async def _readers(self, project_id: int, reporter_id: int) -> list[tuple[int, str]]:
        """Who gets a new problem's card, in their language: NEW_PROBLEM_TO's people but the
        reporter."""
        wanted: list[int] = []
        if "leaders" in self.to:
            wanted += [
                leader.person.user_id
                for leader in await self._repos.members.of_project(project_id, "leader")
                if leader.person.reachable
            ]
        if "admins" in self.to:  # the office sees new problems at once too
            wanted += await self._repos.admins.ids(project_id)  # those whose scope covers it
        return [
            (user_id, await self._registry.language_of(user_id))
            for user_id in dict.fromkeys(wanted)
            if user_id != reporter_id
        ]

    async def announcement(
        self, project_id: int, reporter_id: int, text: str, deadline: datetime
    ) -> Announce:
        """The cards that tell each leader of the project of a new problem at once (及时提交给
        首席负责人), with the escalation card's buttons; queued with the problem itself. Not an
        escalation: the escalation level does not change."""
        project = await self._projects.project(project_id)
        reporter = await self._repos.people.get(reporter_id)
        readers = await self._readers(project_id, reporter_id)
        now = self._clock.now()

        def cards(problem_id: int) -> list[OutgoingMessage]:
            problem = Problem(
                id=problem_id,
                project_id=project.id,
                project_name=project.name,
                project_timezone=project.timezone,
                reporter_id=reporter_id,
                reporter_name=reporter.display_name if reporter else str(reporter_id),
                checkin_id=None,
                text=text,
                created_at=now,
                deadline=deadline,
                status="open",
                assignee=None,
                resolved_at=None,
                resolved_by=None,
                resolved_by_name=None,
            )
            messages = []
            for chat_id, lang in readers:
                card = self.cards.render_new(problem, [], lang)
                messages.append(
                    OutgoingMessage(
                        self.key(problem_id, chat_id),
                        chat_id,
                        card.text,
                        user_id=chat_id,
                        buttons=card.buttons,
                        project_id=project.id,
                    )
                )
            return messages

        return cards
