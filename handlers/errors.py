"""The error handler: log with context, apologise to the user, tell the admins (rate-limited)."""

from __future__ import annotations

import logging
from datetime import timedelta

from telegram import Update
from telegram.error import TelegramError

from bot.i18n import t
from handlers.common import Context, kick_outbox, services

log = logging.getLogger(__name__)

REPORT_INTERVAL = timedelta(minutes=5)
_LAST_REPORT_KEY = "last_error_report"


async def on_error(update: object, context: Context) -> None:
    """Handle any exception a handler or job raised."""
    update_id = update.update_id if isinstance(update, Update) else None
    log.error("error while handling update %s", update_id, exc_info=context.error)
    if not isinstance(update, Update):
        return
    svc = services(context)
    await _report(context, update_id)
    user = update.effective_user
    if user is not None and update.effective_chat is not None:
        lang = await svc.registry.language_of(user.id, user.language_code)
        try:
            if update.callback_query is not None:
                await update.callback_query.answer(t(lang, "error.generic"), show_alert=True)
            else:
                await context.bot.send_message(update.effective_chat.id, t(lang, "error.generic"))
        except TelegramError:
            log.warning("could not apologise for update %s", update_id)
    kick_outbox(context)


async def _report(context: Context, update_id: int | None) -> None:
    """Queue a report to the admins, at most one per REPORT_INTERVAL."""
    svc = services(context)
    now = svc.clock.now()
    last = context.bot_data.get(_LAST_REPORT_KEY)
    if last is not None and now - last < REPORT_INTERVAL:
        return
    context.bot_data[_LAST_REPORT_KEY] = now
    error = f"{type(context.error).__name__}: {context.error}"[:300]
    await svc.registry.notify_admins(
        f"error:{update_id}:{now.isoformat()}", "report.error", update_id=update_id, error=error
    )
