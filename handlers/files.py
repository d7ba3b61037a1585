"""Photos and files: taking them from people's messages, and sending them to who asks."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence

from telegram import (
    InputMediaAudio,
    InputMediaDocument,
    InputMediaPhoto,
    InputMediaVideo,
    Message,
)
from telegram.error import BadRequest

from bot.errors import UserError
from handlers import plans
from handlers.common import Call, answer_press, guarded
from storage.attachments import Attachment, IncomingFile

log = logging.getLogger(__name__)

FILES_CALLBACK = re.compile(r"^fl:([ap]):([0-9]{1,12})$")
ALBUM = 10  # Telegram sends at most ten files as one album
# Files that may share an album: photos with videos; documents and audio only with their kind.
_ALBUM_FAMILY = {"photo": "visual", "video": "visual", "document": "document", "audio": "audio"}


def incoming_file(message: Message) -> IncomingFile | None:
    """The file in a message, if it is one the bot records (not a sticker or a location)."""
    group = message.media_group_id
    if message.photo:
        biggest = message.photo[-1]
        return IncomingFile(
            "photo", biggest.file_id, biggest.file_unique_id, message.message_id, None, group
        )
    for kind in ("video", "document", "audio", "voice", "video_note"):
        media = getattr(message, kind)
        if media is not None:
            name = getattr(media, "file_name", None)
            return IncomingFile(
                kind, media.file_id, media.file_unique_id, message.message_id, name, group
            )
    return None


@guarded(private=True)
async def media(call: Call) -> None:
    """A photo, video, file or voice note in a private chat: part of what the bot waits for
    (a problem, a note) or of a progress report, the caption as its text."""
    if plans.is_workbook(call):
        await plans.import_workbook(call)
        return
    file = incoming_file(call.message)
    if file is None:
        await call.say("media.not_accepted")
        return
    answers = call.services.answers
    if await call.services.answer_files.album_part(call.user.id, file):
        return  # the album's first file was answered already
    caption = (call.message.caption or "").strip() or None
    reply = await answers.text(
        call.user.id,
        caption,
        call.lang,
        call.message.message_id,
        call.caller.pending,
        files=[file],
        secretary="secretary" in call.caller.roles,
        sent_at=call.message.date,
    )
    await call.send(reply)


@guarded()
async def show_files(call: Call) -> None:
    """The 📎 button: fl:p:<problem id> or fl:a:<answer id> sends the files into the chat
    (and forum topic) where it was pressed, to whoever may see them."""
    query = call.update.callback_query
    assert query is not None
    match = FILES_CALLBACK.match(query.data or "")
    if match is None:
        raise UserError("error.stale_button")
    owner_id = int(match[2])
    if match[1] == "p":
        files = await call.services.ledger.files_of(call.user.id, owner_id)
    else:
        files = await call.services.answer_files.files_of_answer(call.user.id, owner_id)
    if not files:
        await answer_press(query, call.t("attachment.none"), show_alert=True)
        return
    await answer_press(query, call.t("attachment.sending", count=len(files)), show_alert=False)
    message = query.message
    if isinstance(message, Message):
        thread = message.message_thread_id if message.is_topic_message else None
        await send_files(call, message.chat_id, thread, files)
    else:
        await send_files(call, call.user.id, None, files)


async def send_files(
    call: Call, chat_id: int, thread_id: int | None, files: Sequence[Attachment]
) -> None:
    """Send files by their Telegram ids: albums of up to ten where Telegram allows, the rest
    one by one. A file Telegram no longer has is skipped (and logged), not an error."""
    bot = call.context.bot
    albums: dict[str, list[Attachment]] = {}
    for file in files:
        family = _ALBUM_FAMILY.get(file.kind)
        if family is None:
            await _send_one(call, chat_id, thread_id, file)
            continue
        albums.setdefault(family, []).append(file)
    for family_files in albums.values():
        for start in range(0, len(family_files), ALBUM):
            chunk = family_files[start : start + ALBUM]
            if len(chunk) == 1:
                await _send_one(call, chat_id, thread_id, chunk[0])
                continue
            try:
                await bot.send_media_group(
                    chat_id, [_input_media(f) for f in chunk], message_thread_id=thread_id
                )
            except BadRequest as exc:
                log.warning("album of %d files to %s refused: %s", len(chunk), chat_id, exc)
                for file in chunk:
                    await _send_one(call, chat_id, thread_id, file)


def _input_media(
    file: Attachment,
) -> InputMediaPhoto | InputMediaVideo | InputMediaDocument | InputMediaAudio:
    if file.kind == "photo":
        return InputMediaPhoto(file.file_id)
    if file.kind == "video":
        return InputMediaVideo(file.file_id)
    if file.kind == "audio":
        return InputMediaAudio(file.file_id)
    return InputMediaDocument(file.file_id)


async def _send_one(call: Call, chat_id: int, thread_id: int | None, file: Attachment) -> None:
    bot = call.context.bot
    try:
        if file.kind == "photo":
            await bot.send_photo(chat_id, file.file_id, message_thread_id=thread_id)
        elif file.kind == "video":
            await bot.send_video(chat_id, file.file_id, message_thread_id=thread_id)
        elif file.kind == "audio":
            await bot.send_audio(chat_id, file.file_id, message_thread_id=thread_id)
        elif file.kind == "voice":
            await bot.send_voice(chat_id, file.file_id, message_thread_id=thread_id)
        elif file.kind == "video_note":
            await bot.send_video_note(chat_id, file.file_id, message_thread_id=thread_id)
        else:
            await bot.send_document(chat_id, file.file_id, message_thread_id=thread_id)
    except BadRequest as exc:
        log.warning("file %s (%s) to %s refused: %s", file.id, file.kind, chat_id, exc)
