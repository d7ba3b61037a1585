"""The board's doors in the chat: the menu button (看板) for people with a role, /web's
one-time link for a browser, and the [打开看板] button under /board."""

from __future__ import annotations

import logging

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    MenuButtonDefault,
    MenuButtonWebApp,
    WebAppInfo,
)
from telegram.error import TelegramError

from bot.i18n import t
from bot.web.access import Unauthorized
from handlers.common import Call, guarded

log = logging.getLogger(__name__)


def board_url(public_url: str) -> str:
    return public_url.rstrip("/") + "/app/"


async def publish_board_button(
    bot: Bot, public_url: str | None, user_id: int, has_role: bool, lang: str
) -> None:
    """The menu button opens the board for people with a role; the others keep Telegram's
    default (the command list). Without WEB_PUBLIC_URL the board is off: nothing to open; on
    plain HTTP (the demo) Telegram would refuse the button."""
    if public_url is None or not public_url.startswith("https://"):
        return
    button = (
        MenuButtonWebApp(t(lang, "web.menu"), WebAppInfo(board_url(public_url)))
        if has_role
        else MenuButtonDefault()
    )
    try:
        await bot.set_chat_menu_button(chat_id=user_id, menu_button=button)
    except TelegramError as exc:
        log.info("board button for %s not set: %s", user_id, exc)


def open_board_markup(call: Call) -> InlineKeyboardMarkup | None:
    """[打开看板] under /board: inside Telegram in a private chat (a Mini App button works only
    there), else a link to the page."""
    public = call.services.settings.web_public_url
    if public is None:
        return None
    url = board_url(public)
    chat = call.update.effective_chat
    if chat is not None and chat.type == "private" and url.startswith("https://"):
        button = InlineKeyboardButton(call.t("web.open_board"), web_app=WebAppInfo(url))
    else:
        button = InlineKeyboardButton(call.t("web.open_board"), url=url)
    return InlineKeyboardMarkup([[button]])


@guarded(private=True)
async def web(call: Call) -> None:
    """/web: a one-time link (10 minutes, single use) that opens the board in a browser;
    /web logout ends every browser session of this person."""
    access = call.services.web_access
    if call.args and call.args[0].lower() in {"logout", "退出"}:
        ended = await access.logout(call.user.id)
        await call.say("web.logged_out", count=ended)
        return
    public = call.services.settings.web_public_url
    if public is None:
        admin = await call.services.registry.is_admin(call.user.id)
        await call.say("web.off_admin" if admin else "web.off")
        return
    try:
        token = await access.login_token(call.user.id)
    except Unauthorized:
        await call.say("web.no_role")
        return
    link = f"{public.rstrip('/')}/login?t={token}"
    button = InlineKeyboardButton(call.t("web.open_browser"), url=link)
    await call.message.reply_text(
        call.t("web.link", minutes=10), reply_markup=InlineKeyboardMarkup([[button]])
    )
