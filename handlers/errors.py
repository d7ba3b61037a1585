"""The error handler: log with context, apologise to the user, tell the admins (rate-limited).

PTB calls it for exceptions in handlers and in jobs (tick, sweep, outbox), where the update is
None; both are reported to the admins the same way.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.error import BadRequest, NetworkError, TelegramError

from bot.i18n import t
from bot.replies import clip
from handlers.common import ALERT_LIMIT, Context, kick_outbox, services

log = logging.getLogger(__name__)

REPORT_INTERVAL = timedelta(minutes=5)


async def on_error(update: object, context: Context) -> None:
    """Handle any exception a handler or job raised."""
    if isinstance(update, Update):
        where = f"update {update.update_id}"
    elif context.job is not None:
        where = f"job {context.job.name}"
    else:
        where = "background task"
    log.error("error while handling %s", where, exc_info=context.error)
    if isinstance(update, Update):
        await _apologise(update, context)
    try:
        await _report(context, where)
    except Exception:
        log.exception("could not report the error in %s to the admins", where)
    kick_outbox(context)


async def _apologise(update: Update, context: Context) -> None:
    user = update.effective_user
    if user is None or update.effective_chat is None:
        return
    try:
        lang = await services(context).registry.language_of(user.id, user.language_code)
    except Exception:  # noqa: BLE001 - the database may be what failed; still apologise
        lang = services(context).settings.default_language
    # Telegram failing to take a reply (retried already) comes after the handler did its work:
    # "something went wrong, try again" would invite a second change, so say what happened.
    failed = context.error
    lost = isinstance(failed, NetworkError) and not isinstance(failed, BadRequest)
    text = t(lang, "error.reply_lost" if lost else "error.generic")
    try:
        if update.callback_query is not None:
            await update.callback_query.answer(clip(text, ALERT_LIMIT), show_alert=True)
        elif update.effective_message is not None:
            # A reply keeps a forum group's topic; a bare send would land in General.
            await update.effective_message.reply_text(text)
        else:
            await context.bot.send_message(update.effective_chat.id, text)
    except TelegramError:
        log.warning("could not apologise for update %s", update.update_id)


async def _report(context: Context, where: str) -> None:
    """Queue a report to the admins, at most one per REPORT_INTERVAL."""
    svc = services(context)
    now = svc.clock.now()
    last = context.bot_data.last_error_report
    if last is not None and now - last < REPORT_INTERVAL:
        return
    context.bot_data.last_error_report = now
    error = f"{type(context.error).__name__}: {context.error}"[:300]
    await svc.registry.notify_admins(
        f"error:{where}:{now.isoformat()}", "report.error", where=where, error=error
    )
