"""/export: a workbook (or CSV files) of the projects the asker may see."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from handlers.common import Call, guarded


@guarded(private=True)
async def export(call: Call) -> None:
    """/export [csv] [project id]"""
    exports = call.services.exports
    request = await exports.request(call.user.id, call.args)
    with tempfile.TemporaryDirectory(prefix="bangban-export-") as directory:
        path = await exports.build(request, call.lang, Path(directory))
        data = await asyncio.to_thread(path.read_bytes)
    await call.message.reply_document(data, filename=path.name, caption=call.t("export.caption"))
