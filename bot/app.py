"""The composition root: builds the Application, wires services, jobs and handlers."""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from datetime import timedelta

from telegram import BotCommand, BotCommandScopeChat, BotCommandScopeDefault, Update
from telegram.error import TelegramError
from telegram.ext import ApplicationBuilder, Defaults

import handlers
from bot import commands, i18n
from bot.clock import Clock
from bot.config import Settings
from bot.health import HealthChecks
from bot.jobs import (
    App,
    deliver,
    follow,
    lead,
    nudged,
    plan_escalations,
    plan_slots,
    schedule_jobs,
    services_of,
)
from bot.leadership import Leadership
from bot.metrics import Metrics
from bot.services import Services, build_services
from handlers.common import CONTEXT_TYPES
from handlers.notifier import TelegramNotifier
from handlers.ratelimit import PriorityRateLimiter
from handlers.request import RecordingRequest
from handlers.updates import UpdateProcessor
from handlers.web.app import web_app
from handlers.web.menu import publish_board_button
from handlers.web.server import WebServer
from storage import Database, Repositories, StorageError
from storage.backup import integrity_problem

log = logging.getLogger(__name__)


def build_application(settings: Settings, db: Database, clock: Clock) -> App:
    """Build the Application exactly as production runs it; tests change only settings."""
    # PTB 22's opt-in: RetryAfter.retry_after is a timedelta, instead of a deprecation warning
    # on every flood limit (an error under the test suite's warnings-as-errors).
    os.environ.setdefault("PTB_TIMEDELTA", "1")
    i18n.install(i18n.load(settings.texts_override))  # checked already by main(): one line
    metrics = Metrics()
    limiter = PriorityRateLimiter(settings.rate_limit_per_second)
    limiter.metrics = metrics
    processor = UpdateProcessor(metrics=metrics)
    application: App = (
        ApplicationBuilder()
        .context_types(CONTEXT_TYPES)
        # Replies stand under what they answer without quoting it (each call said so before).
        .defaults(Defaults(do_quote=False))
        .token(settings.bot_token.get_secret_value())
        .base_url(settings.bot_api_base_url)
        .base_file_url(settings.bot_api_file_url)
        # PTB's own defaults (256 connections; one for the long poll), noting each success.
        .request(RecordingRequest(metrics, connection_pool_size=256))
        .get_updates_request(RecordingRequest(metrics, connection_pool_size=1))
        .rate_limiter(limiter)
        .concurrent_updates(processor)
        .build()
    )
    repos = Repositories(db, settings.admin_ids)
    notifier = TelegramNotifier(application.bot, settings.send_timeout.total_seconds())
    services = build_services(settings, repos, clock, notifier, metrics)
    processor.turns = services.turns

    async def reschedule() -> None:
        await plan_slots(application)

    services.schedules.on_schedule_changed = reschedule

    async def replan_escalations() -> None:
        await plan_escalations(application)

    services.ledger.on_deadlines_changed = replan_escalations

    async def publish(user_id: int) -> None:
        await publish_menu(application, services, user_id)

    services.publish_menu = publish
    application.bot_data.services = services
    handlers.register(application)
    return application


def _menu(language: str, audiences: set[commands.Audience]) -> list[BotCommand]:
    return [
        BotCommand(command.name, commands.about(command.name, language))
        for command in commands.for_audiences(audiences)
    ]


async def publish_menu(application: App, services: Services, user_id: int) -> None:
    """Set one user's command menu to the commands of their roles, in their language."""
    is_admin, memberships = await services.registry.roles(user_id)
    audiences: set[commands.Audience] = {"everyone", *(m.role for m in memberships)}
    if await services.departments.served_by(user_id):
        audiences.add("department")
    if is_admin:
        audiences.add("admin")
    language = await services.registry.language_of(user_id)
    try:
        await application.bot.set_my_commands(
            _menu(language, audiences), scope=BotCommandScopeChat(user_id)
        )
    except TelegramError as exc:
        # An admin who never opened the bot has no chat yet; their menu comes with /start.
        log.info("menu for %s not published: %s", user_id, exc)
        return
    await publish_board_button(
        application.bot,
        services.settings.web_public_url,
        user_id,
        audiences != {"everyone"},
        language,
    )


async def publish_default_menus(application: App, services: Services) -> None:
    for language, code in (("zh-CN", "zh"), ("en", "en")):
        await application.bot.set_my_commands(
            _menu(language, {"everyone"}), scope=BotCommandScopeDefault(), language_code=code
        )
    await application.bot.set_my_commands(
        _menu(services.settings.default_language, {"everyone"}), scope=BotCommandScopeDefault()
    )
    for admin_id in await services.repos.admins.ids():
        await publish_menu(application, services, admin_id)


# Without a successful Bot API call for this long, /healthz asks Telegram itself.
API_FRESH = timedelta(minutes=5)
# A short pause between one getUpdates and the next lets a busy bot fetch the updates of
# several people in one request instead of one request per update (the update benchmark:
# 1.0 -> 4 updates per request, replies/s up by half); an idle bot's long poll is unaffected.
POLL_PAUSE = timedelta(milliseconds=10)


async def start(application: App, *, poll_timeout: timedelta = timedelta(seconds=30)) -> None:
    """Initialise, wire the startup work, and start taking updates (polling, or a webhook when
    WEBHOOK_URL is set)."""
    await application.initialize()
    services = services_of(application)
    services.bot_username = application.bot.username
    await publish_default_menus(application, services)
    db = services.repos.db
    lock = db.leader_lock()
    limiter = application.bot.rate_limiter
    leadership = Leadership(
        lock,
        lambda: lead(application),
        lambda: follow(application),
        # Replicas share the bot's rate limits: each keeps to its share.
        on_count=limiter.share_among if isinstance(limiter, PriorityRateLimiter) else None,
    )
    application.bot_data.leadership = leadership
    services.outbox.active = False  # until this process leads
    services.outbox.nudge = db.nudge_leader

    def on_nudge() -> None:
        application.create_task(nudged(application), name="nudged")

    lock.on_nudge(on_nudge)
    # Leading (on SQLite, always): catch up on what fell due while the bot was down.
    await leadership.check()
    await application.start()
    if leadership.leading:
        await schedule_jobs(application)
    assert application.updater is not None
    settings = services.settings
    if settings.webhook_url is not None and settings.webhook_secret is not None:
        # Telegram posts to WEBHOOK_URL (a reverse proxy forwards it to the web server); a
        # request without the secret token header is refused with 403 (handlers/web/app.py).
        await application.bot.set_webhook(
            settings.webhook_url,
            allowed_updates=Update.ALL_TYPES,
            secret_token=settings.webhook_secret.get_secret_value(),
        )
    else:
        await application.updater.start_polling(
            timeout=poll_timeout,
            allowed_updates=Update.ALL_TYPES,
            poll_interval=POLL_PAUSE.total_seconds(),
        )
    if leadership.leading:
        application.create_task(services.outbox.drain(), name="outbox-startup")
    leadership.start()
    if services.repos.db.check_deferred:
        application.create_task(check_integrity(services), name="integrity")
    await start_web(application)


async def start_web(application: App) -> None:
    """The one web server (webhook, board, /healthz, /metrics), when an address is set."""
    settings = services_of(application).settings
    address = settings.web_address
    if address is None:
        return
    for name in settings.deprecated_web_settings:
        log.warning("%s is deprecated: set WEB_PORT (one server serves everything)", name)
    outbox = services_of(application).outbox

    def kick() -> None:
        if application.running:
            outbox.request(lambda work: application.create_task(work, name="outbox"))

    server = WebServer(web_app(application, health_checks(application), kick), *address)
    await server.start()
    application.bot_data.web = server


async def check_integrity(services: Services) -> None:
    """The integrity check a clean start left for later: the admins hear of a damaged file."""
    problem = await integrity_problem(services.repos.db)
    if problem is None:
        log.info("database integrity check: ok")
        return
    log.error("database integrity check failed: %s", problem)
    now = services.clock.now()
    await services.registry.notify_admins(
        f"damaged:{now.isoformat()}", "report.damaged", problem=problem[:500]
    )
    await deliver(services)


def health_checks(application: App) -> HealthChecks:
    """/healthz and /metrics for this application."""
    services = services_of(application)
    assert services.metrics is not None
    metrics = services.metrics

    async def database() -> str | None:
        try:
            await services.repos.db.ping()
        except StorageError as exc:
            return f"unreachable: {exc}"
        return None

    async def scheduler() -> str | None:
        queue = application.job_queue
        running = queue is not None and queue.scheduler.running
        return None if running else "not running"

    async def bot_api() -> str | None:
        age = metrics.api_age()
        if age is not None and age < API_FRESH.total_seconds():
            return None
        try:  # quiet for a while (webhook mode, no traffic): ask once
            await application.bot.get_me(read_timeout=10)
        except TelegramError as exc:
            return f"unreachable: {exc}"
        return None

    checks = {"database": database, "scheduler": scheduler, "bot_api": bot_api}
    return HealthChecks(metrics, checks, services.repos.outbox.depth, services.clock)


async def stop(application: App) -> None:
    """Stop taking updates, then jobs and handlers (sends in flight finish, the rest stay in
    the outbox for the next start), then hand the lead on, then release the HTTP client. The
    lead goes last: another replica taking over while sends were still in flight here would
    send them again."""
    if application.bot_data.has_services:
        services_of(application).outbox.stopping = True
    web, application.bot_data.web = application.bot_data.web, None
    if web is not None:
        await web.stop()
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()
    leadership, application.bot_data.leadership = application.bot_data.leadership, None
    if leadership is not None:
        await leadership.stop()
    await application.shutdown()


async def run_until(application: App, stop_event: asyncio.Event) -> None:
    """Serve updates until ``stop_event`` is set."""
    try:
        # Inside the try: a start that fails half-way (Telegram unreachable after initialize)
        # still shuts down what it started.
        await start(application)
        # What start-up built (modules, catalogs, the application) lives as long as the
        # process: out of the collector's sight, a full collection no longer walks it. At
        # 1,000 projects this took the board's p95 from 116 to 80 ms (bench/web.py).
        gc.collect()
        gc.freeze()
        await stop_event.wait()
    finally:
        await stop(application)
