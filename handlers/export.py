"""/export: a workbook (or CSV files) of the projects the asker may see."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from pathlib import Path

from telegram.error import TelegramError

from bot.parsing import keyword
from handlers.common import Call, guarded

log = logging.getLogger(__name__)


MAX_DOWNLOAD = 20 * 1024 * 1024  # the largest file a bot may download (getFile)


@guarded(private=True)
async def export(call: Call) -> None:
    """/export [csv] [project id], or /export files [from] [to]"""
    if call.args and keyword(call.args[0]) in {"files", "文件"}:
        await export_files(call)
        return
    exports = call.services.exports
    request = await exports.request(call.user.id, call.args)
    with tempfile.TemporaryDirectory(prefix="bangban-export-") as directory:
        path = await exports.build(request, call.lang, Path(directory))
        data = await asyncio.to_thread(path.read_bytes)
    await call.message.reply_document(data, filename=path.name, caption=call.t("export.caption"))


async def export_files(call: Call) -> None:
    """The files themselves, fetched from Telegram, in zips under the upload limit."""
    service = call.services.export_files
    request = await service.request(call.user.id, call.args[1:])
    bot = call.context.bot

    async def fetch(file_id: str) -> bytes | None:
        try:
            file = await bot.get_file(file_id)
            if file.file_size is not None and file.file_size > MAX_DOWNLOAD:
                return None
            return bytes(await file.download_as_bytearray())
        except TelegramError as exc:
            log.info("export: file %s not fetched: %s", file_id, exc)
            return None

    await call.say("export.files_working")
    result = await service.build(request, fetch)
    if not result.parts:
        await call.say("export.files_none", first=request.first, last=request.last)
        return
    for number, part in enumerate(result.parts, start=1):
        caption = call.t(
            "export.files_caption",
            number=number,
            parts=len(result.parts),
            files=part.files,
            first=request.first,
            last=request.last,
        )
        await call.message.reply_document(part.data, filename=part.name, caption=caption)
    if result.missing:
        await call.say("export.files_missing", count=len(result.missing))
