"""The notice's number (〔2027〕第3期): a placeholder in the draft, the year's next number put
in its place when it is published, and the notice's file for each group it goes to."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime

from storage.db import Tx, first_row
from storage.outbox import OutgoingMessage

# Where a draft notice's number goes; publishing puts the year's next one there (〔2027〕第3期).
NOTICE_NUMBER = "〔____〕第__期"


def notice_number(year: int, number: int) -> str:
    return f"〔{year}〕第{number}期"


async def numbered(
    conn: Tx, notice_id: int, messages: Sequence[OutgoingMessage], now: datetime
) -> list[OutgoingMessage]:
    """Give a notice being published the year's next number, in the transaction that
    publishes it (two admins pressing at once publish one notice with one number), and put it
    in the notice's text."""
    last = await first_row(conn, "SELECT max(number) AS n FROM notices WHERE year = ?", (now.year,))
    number = int(last["n"] or 0) + 1 if last is not None else 1
    await conn.execute(
        "UPDATE notices SET year = ?, number = ? WHERE id = ?", (now.year, number, notice_id)
    )
    label = notice_number(now.year, number)
    numbered = [replace(m, text=m.text.replace(NOTICE_NUMBER, label)) for m in messages]
    # And the notice as a Word document to each group it goes to, made when it is sent.
    chats = dict.fromkeys((m.chat_id, m.thread_id) for m in messages)
    return numbered + [
        notice_document(f"notice-doc:{notice_id}:{chat}:{thread or 0}", chat, thread, notice_id)
        for chat, thread in chats
    ]


def notice_document(
    key: str, chat_id: int, thread_id: int | None, notice_id: int
) -> OutgoingMessage:
    """An outbox row that sends the published notice as a file (bot/outbox_documents.py)."""
    return OutgoingMessage(
        key,
        chat_id,
        json.dumps({"doc": "notice", "id": notice_id}),
        thread_id=thread_id,
        kind="document",
    )
