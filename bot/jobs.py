"""The scheduler's jobs, rebuilt from the database, and which process runs them.

Only the leading process (bot/leadership.py) runs the jobs and sends the outbox; every process
takes updates. On SQLite the one process always leads.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Coroutine
from datetime import datetime, timedelta
from typing import Any

from telegram.ext import Application

from bot.services import Services
from handlers.common import BotData, Context

log = logging.getLogger(__name__)

# Typed where it matters here, its bot_data; PTB's other parameters vary with the builder.
App = Application[Any, Any, Any, Any, BotData, Any]

OUTBOX_INTERVAL = timedelta(seconds=15)
SLOTS_JOB = "slots"
ESCALATION_JOB = "escalate"
PRUNE_INTERVAL = timedelta(days=1)
# Delivered outbox rows are kept this long (longer than any round stays open), then pruned.
OUTBOX_KEEP = timedelta(days=14)
SWEEP_INTERVAL = timedelta(seconds=60)
# A job that starts late (busy loop, suspended VM) still runs within this window; coalesce
# folds a backlog of runs into one, since every job re-reads the database anyway.
JOB_DEFAULTS = {"misfire_grace_time": 300, "coalesce": True, "replace_existing": True}


def services_of(application: App) -> Services:
    return application.bot_data.services


async def deliver(services: Services) -> None:
    # A running drain loops until nothing is due, so a second one would only queue behind it.
    if services.outbox.wanted():
        await services.outbox.drain()


async def _drain_outbox(context: Context) -> None:
    await deliver(services_of(context.application))


def sending(application: App) -> Callable[[], None]:
    """What a tick calls after each batch of prompts: start sending (a large slot's first
    prompts leave while the rest are still being queued)."""
    outbox = services_of(application).outbox

    def start() -> None:
        if application.running:
            outbox.request(lambda work: application.create_task(work, name="outbox"))

    return start


async def _sweep(context: Context) -> None:
    """Reminders, closing windows, anything a slot job missed; then deliver."""
    services = services_of(context.application)
    await services.rounds.tick(sending(context.application))
    await services.escalation.tick()
    await services.chasing.tick()
    await services.sitins.tick()
    await services.investment.tick()
    await services.explain.tick()
    await services.digest.tick()
    await services.quarterly.tick()
    await deliver(services)


async def _slots(context: Context) -> None:
    """The earliest project slot has come: open every due round, deliver, plan the next."""
    services = services_of(context.application)
    await services.rounds.tick(sending(context.application))
    await plan_slots(context.application)
    await deliver(services)


async def plan_slots(application: App) -> None:
    """One job, at the earliest next slot of any project (the database decides when); a
    project whose next slot is not worked out yet makes it run at once."""
    await _plan_once(application, SLOTS_JOB, _slots, services_of(application).rounds.next_wakeup)


async def _plan_once(
    application: App,
    name: str,
    callback: Callable[[Context], Coroutine[Any, Any, None]],
    when_due: Callable[[], Awaitable[datetime | None]],
) -> None:
    """(Re)plan the one job ``name`` at the moment ``when_due`` gives; none when it gives none."""
    job_queue = application.job_queue
    if job_queue is None:
        return
    outbox = services_of(application).outbox
    if not outbox.active:  # another process leads: it plans (and runs) the jobs
        await outbox.nudge_leader()
        return
    when = await when_due()
    if when is None:
        if job_queue.scheduler.get_job(name) is not None:
            job_queue.scheduler.remove_job(name)
        return
    job_queue.run_once(
        callback,
        when=max(when, services_of(application).clock.now()),
        name=name,
        job_kwargs={"id": name, **JOB_DEFAULTS},
    )


async def _escalate(context: Context) -> None:
    """A deadline (or a level-2 wait) has passed: escalate, deliver, plan the next."""
    services = services_of(context.application)
    await services.escalation.tick()
    await services.chasing.tick()
    await plan_escalations(context.application)
    await deliver(services)


async def plan_escalations(application: App) -> None:
    """One job, at the moment the next escalation falls due, so a card goes out within
    seconds of a deadline rather than at the next sweep."""
    services = services_of(application)

    async def next_due() -> datetime | None:
        times = [await services.escalation.next_due(), await services.chasing.next_due()]
        return min((when for when in times if when is not None), default=None)

    await _plan_once(application, ESCALATION_JOB, _escalate, next_due)


async def _prune(context: Context) -> None:
    """Keep the database bounded: delivered messages, stale bad-token records and the web
    board's expired links and sessions go."""
    services = services_of(context.application)
    now = services.clock.now()
    pruned = await services.repos.outbox.prune(now - OUTBOX_KEEP)
    await services.repos.invites.forget_failures(now - timedelta(days=1))
    await services.repos.web_sessions.prune(now)
    if services.turns is not None:
        await services.turns.prune()
    log.info("pruned %d delivered outbox messages", pruned)


async def _backup(context: Context) -> None:
    """The daily backup (BACKUP_DIR), taken while the bot runs."""
    services = services_of(context.application)
    if services.backups is not None:
        await services.backups.run()


async def schedule_jobs(application: App) -> None:
    """(Re)create every job from the database, with deterministic ids."""
    job_queue = application.job_queue
    assert job_queue is not None, "python-telegram-bot[job-queue] is required"
    services = services_of(application)
    job_queue.run_repeating(
        _drain_outbox,
        interval=OUTBOX_INTERVAL,
        first=OUTBOX_INTERVAL,
        name="outbox",
        job_kwargs={"id": "outbox", **JOB_DEFAULTS},
    )
    job_queue.run_repeating(
        _sweep,
        interval=SWEEP_INTERVAL,
        first=SWEEP_INTERVAL,
        name="sweep",
        job_kwargs={"id": "sweep", **JOB_DEFAULTS},
    )
    if services.settings.backup_dir is not None:
        job_queue.run_repeating(
            _backup,
            interval=timedelta(days=1),
            first=timedelta(minutes=5),
            name="backup",
            job_kwargs={"id": "backup", **JOB_DEFAULTS},
        )
    job_queue.run_repeating(
        _prune,
        interval=PRUNE_INTERVAL,
        first=timedelta(minutes=10),
        name="prune",
        job_kwargs={"id": "prune", **JOB_DEFAULTS},
    )
    await plan_slots(application)
    await plan_escalations(application)


async def lead(application: App) -> None:
    """This process now leads: it catches up on what fell due while nobody led, then runs the
    jobs and sends the outbox (before the application starts, the jobs wait for start())."""
    services = services_of(application)
    services.outbox.active = True
    await services.rounds.tick(sending(application))
    await services.escalation.tick()
    await services.chasing.tick()
    await services.sitins.tick()
    await services.investment.tick()
    await services.explain.tick()
    await services.digest.tick()
    await services.quarterly.tick()
    if application.running:
        await schedule_jobs(application)
        application.create_task(services.outbox.drain(), name="outbox-lead")


async def follow(application: App) -> None:
    """Another process leads (or this one lost the database): no jobs, no sends here."""
    services_of(application).outbox.active = False
    job_queue = application.job_queue
    if job_queue is not None:
        job_queue.scheduler.remove_all_jobs()


async def nudged(application: App) -> None:
    """A follower queued messages or changed a schedule or a deadline: replan, then send."""
    services = services_of(application)
    if not services.outbox.active:
        return
    await plan_slots(application)
    await plan_escalations(application)
    await deliver(services)
