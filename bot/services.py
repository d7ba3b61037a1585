"""The bundle of services handed to handlers through ``bot_data``."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.checkins.answers import AnswerService
from bot.checkins.rounds import RoundService
from bot.checkins.schedules import ScheduleService
from bot.clock import Clock
from bot.config import Settings
from bot.ledger.escalation import EscalationService
from bot.ledger.presses import CardPresses
from bot.ledger.service import LedgerService
from bot.outbox import OutboxSender
from bot.registry import Registry
from storage.repos import Repositories


async def _no_menu(user_id: int) -> None:
    """Default before the application is wired: nothing to publish."""


@dataclass(slots=True)
class Services:
    settings: Settings
    clock: Clock
    repos: Repositories
    registry: Registry
    outbox: OutboxSender
    schedules: ScheduleService
    rounds: RoundService
    answers: AnswerService
    ledger: LedgerService
    presses: CardPresses
    escalation: EscalationService
    bot_username: str = ""
    # Republishes one user's command menu; set by the composition root (it needs telegram).
    publish_menu: Callable[[int], Awaitable[None]] = _no_menu
