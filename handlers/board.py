"""/chart and /board: pictures for leaders and admins."""

from __future__ import annotations

from bot.replies import CAPTION_LIMIT, clip
from handlers.common import Call, guarded
from handlers.web.menu import open_board_markup


@guarded(private=True)
async def chart(call: Call) -> None:
    """/chart [project id] [weeks, e.g. 12w]"""
    picture = await call.services.board.chart(call.user.id, call.args, call.lang)
    await call.message.reply_photo(
        picture.png,
        caption=clip(picture.text, CAPTION_LIMIT),
        filename="bangban-chart.png",
    )


@guarded(private=True)
async def board(call: Call) -> None:
    """/board [from] [to]"""
    picture = await call.services.board.board(call.user.id, call.args, call.lang)
    await call.reply_lines([picture.text])  # a line per project: it can grow long
    await call.message.reply_photo(
        picture.png, filename="bangban-board.png", reply_markup=open_board_markup(call)
    )
