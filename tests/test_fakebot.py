"""The fake Bot API answers as Telegram does, or it would hide the bugs it is meant to catch."""

from __future__ import annotations

import pytest
from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup
from telegram.error import BadRequest

from tests.conftest import TOKEN
from tests.fakebot import FakeBotAPI, FakeUser

USER = FakeUser(2001, "Li Wei")


async def test_refusals_match_telegram(api: FakeBotAPI) -> None:
    async with Bot(TOKEN, base_url=api.base_url) as bot:
        with pytest.raises(BadRequest, match="Chat not found"):
            await bot.send_message(USER.id, "hello")  # the user never wrote to the bot
        await api.send_text(USER, "/start")
        with pytest.raises(BadRequest, match="too long"):
            await bot.send_message(USER.id, "x" * 4097)
        with pytest.raises(BadRequest, match="text is empty"):
            await bot.send_message(USER.id, " ")
        long_data = InlineKeyboardMarkup([[InlineKeyboardButton("b", callback_data="d" * 65)]])
        with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
            await bot.send_message(USER.id, "buttons", reply_markup=long_data)
        bare = InlineKeyboardMarkup([[InlineKeyboardButton("does nothing")]])
        with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
            await bot.send_message(USER.id, "buttons", reply_markup=bare)
        link = InlineKeyboardButton("open", url="https://t.me/bangban_test_bot")
        await bot.send_message(USER.id, "a link", reply_markup=InlineKeyboardMarkup([[link]]))
        sent = await bot.send_message(USER.id, "x" * 4096)
        with pytest.raises(BadRequest, match="not modified"):
            await bot.edit_message_text("x" * 4096, USER.id, sent.message_id)
        await bot.edit_message_text("changed", USER.id, sent.message_id)
        api.delete(USER.id, sent.message_id)
        with pytest.raises(BadRequest, match="not found"):
            await bot.edit_message_text("again", USER.id, sent.message_id)
        query_id = await api.press(USER, None, "ci:ok:1")
        with pytest.raises(BadRequest, match=r"(?i)message_too_long"):
            await bot.answer_callback_query(query_id, "x" * 201, show_alert=True)
        await bot.answer_callback_query(query_id)
        with pytest.raises(BadRequest, match="too old"):
            await bot.answer_callback_query(query_id)  # answered already
        late = await api.press(USER, None, "ci:ok:1")
        api.expire(late)
        with pytest.raises(BadRequest, match="too old"):
            await bot.answer_callback_query(late)
