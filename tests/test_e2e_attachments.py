"""Photos and files (形象进度 is often a picture): attached to answers, problems and notes by
Telegram file id, albums kept together, and sent back to who may see them."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import edit_answered, invite_and_join, project_with, run_jobs
from tests.fakebot import ApiCall, FakeUser, buttons_of

S1 = FakeUser(2001, "Li Wei", "liwei", "en")
LEADER = FakeUser(3001, "Zhang San", "zhangsan", "en")
STRANGER = FakeUser(5001, "Eve", "eve", "en")
SLOT = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)  # Monday 09:00 in Asia/Shanghai


async def _prompted(bot: Harness) -> ApiCall:
    await project_with(bot, "Plant", [S1], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    bot.clock.set(SLOT)
    await run_jobs(bot)
    return [c for c in bot.api.sent_to(S1.id) if "Check-in:" in c.params["text"]][-1]


async def _files(bot: Harness) -> list[tuple[int | None, int | None, str, str]]:
    rows = await bot.db.fetchall(
        "SELECT answer_id, problem_id, kind, file_id FROM attachments ORDER BY id"
    )
    return [(r["answer_id"], r["problem_id"], r["kind"], r["file_id"]) for r in rows]


async def _press_inline(bot: Harness, user: FakeUser, data: str) -> None:
    """Press a button Telegram does not show the bot the message of (it answers privately)."""
    await bot.api.press(user, None, data)
    await bot.settled(bot.api.last_update_id)


async def _media(bot: Harness, user: FakeUser, kind: str, caption: str | None = None) -> str:
    mark = len(bot.api.calls)
    sent = await bot.api.send_media(user, kind, caption=caption)
    reply = await bot.api.reply_to(user.id, after=mark)
    assert sent["message"]
    return str(reply.params["text"])


async def test_a_photo_with_a_caption_is_a_progress_report(bot: Harness) -> None:
    await _prompted(bot)
    assert "received for “Plant”, with its attachments" in await _media(
        bot, S1, "photo", "Level 3 slab poured"
    )
    answers = await bot.db.fetchall("SELECT id, kind, text FROM answers")
    assert [(a["kind"], a["text"]) for a in answers] == [("progress", "Level 3 slab poured")]
    files = await _files(bot)
    assert [(f[0], f[2]) for f in files] == [(answers[0]["id"], "photo")]
    status = (await bot.send(ADMIN, "/status 1")).params["text"]
    assert "Answered: Li Wei" in status


async def test_an_edited_caption_corrects_the_report(bot: Harness) -> None:
    await _prompted(bot)
    mark = len(bot.api.calls)
    sent = await bot.api.send_media(S1, "photo", caption="Level 3 slab poured")
    await bot.api.reply_to(S1.id, after=mark)
    await bot.settled(sent["update_id"])
    await edit_answered(bot, S1, sent, "Level 3 slab poured and cured")
    answers = await bot.db.fetchall("SELECT kind, text FROM answers")
    assert [(a["kind"], a["text"]) for a in answers] == [
        ("progress", "Level 3 slab poured and cured")
    ]
    assert len(await _files(bot)) == 1


async def test_a_photo_alone_and_a_voice_note_are_answers_too(bot: Harness) -> None:
    await _prompted(bot)
    await _media(bot, S1, "photo")
    await _media(bot, S1, "voice")
    answers = await bot.db.fetchall("SELECT kind, text FROM answers ORDER BY id")
    assert [(a["kind"], a["text"]) for a in answers] == [("progress", None), ("progress", None)]
    assert [f[2] for f in await _files(bot)] == ["photo", "voice"]


async def test_a_round_video_message_is_an_answer_and_goes_back_as_one(bot: Harness) -> None:
    """A video note (Telegram's round video) is site footage like any video."""
    await _prompted(bot)
    assert "with its attachments" in await _media(bot, S1, "video_note")
    files = await _files(bot)
    assert [f[2] for f in files] == ["video_note"]
    mark = len(bot.api.calls)
    await _press_inline(bot, LEADER, f"fl:a:{files[0][0]}")
    sent = [c for c in bot.api.calls[mark:] if c.method == "sendVideoNote"]
    assert [(c.params["chat_id"], c.params["video_note"]) for c in sent] == [
        (LEADER.id, files[0][3])
    ]
    assert not bot.api.refusals


async def test_an_album_attaches_to_one_answer_with_one_reply(bot: Harness) -> None:
    """Several photos sent at once arrive as separate messages sharing a media group."""
    await _prompted(bot)
    mark = len(bot.api.calls)
    sent = [
        await bot.api.send_media(
            S1, "photo", caption="Site today" if n == 0 else None, media_group_id="album-1"
        )
        for n in range(3)
    ]
    await bot.settled(sent[-1]["update_id"])
    replies = [c for c in bot.api.calls[mark:] if c.params.get("chat_id") == S1.id]
    assert len(replies) == 1
    files = await _files(bot)
    assert len(files) == 3 and len({f[0] for f in files}) == 1
    assert len(await bot.db.fetchall("SELECT id FROM answers")) == 1


async def test_a_problem_with_photos_shows_them_to_the_leader(bot: Harness) -> None:
    prompt = await _prompted(bot)
    await bot.press(S1, prompt, buttons_of(prompt)[1][1])  # Report a problem
    assert "Problem #1 recorded" in await _media(bot, S1, "photo", "Crack in the retaining wall")
    await bot.api.send_media(S1, "document", caption=None)  # not part of the problem
    card = await bot.send(LEADER, "/problem 1")
    assert "📎 1 attachment(s)" in card.params["text"]
    label, data = buttons_of(card)[-1]
    assert data == "fl:p:1" and "Show attachments (1)" in label
    mark = len(bot.api.calls)
    await bot.press(LEADER, card, data)
    photos = [c for c in bot.api.calls[mark:] if c.method == "sendPhoto"]
    assert [p.params["chat_id"] for p in photos] == [LEADER.id]
    problem_files = [f for f in await _files(bot) if f[1] == 1]
    assert photos[0].params["photo"] == problem_files[0][3]


async def test_a_note_with_a_photo_attaches_to_the_problem(bot: Harness) -> None:
    await _prompted(bot)
    await bot.send(S1, "/newproblem 1 Power line in the way")
    reply = await bot.send(LEADER, "/problem 1")
    note = await bot.send(S1, "/problems 1")
    assert note and reply
    await bot.services.conversation.expect(S1.id, "note", problem_id=1)
    assert "note added to problem #1" in (await _media(bot, S1, "photo", "Pole moved")).lower()
    card = (await bot.send(LEADER, "/problem 1")).params["text"]
    assert "Pole moved" in card and "📎 1 attachment(s)" in card


async def test_files_are_shown_only_to_who_may_see_them(bot: Harness) -> None:
    await _prompted(bot)
    await _media(bot, S1, "photo", "Progress")
    answer_id = (await _files(bot))[0][0]
    for user in (STRANGER,):
        mark = len(bot.api.calls)
        await _press_inline(bot, user, f"fl:a:{answer_id}")
        assert not [c for c in bot.api.calls[mark:] if c.method == "sendPhoto"]
    mark = len(bot.api.calls)
    await _press_inline(bot, LEADER, f"fl:a:{answer_id}")
    assert [c.params["chat_id"] for c in bot.api.calls[mark:] if c.method == "sendPhoto"] == [
        LEADER.id
    ]


async def test_an_album_of_files_goes_back_as_albums(bot: Harness) -> None:
    prompt = await _prompted(bot)
    await bot.press(S1, prompt, buttons_of(prompt)[1][1])
    sent = [
        await bot.api.send_media(
            S1, "photo", caption="Flooded pit" if n == 0 else None, media_group_id="album-2"
        )
        for n in range(12)
    ]
    await bot.settled(sent[-1]["update_id"])
    mark = len(bot.api.calls)
    await _press_inline(bot, ADMIN, "fl:p:1")
    groups = [c for c in bot.api.calls[mark:] if c.method == "sendMediaGroup"]
    singles = [c for c in bot.api.calls[mark:] if c.method == "sendPhoto"]
    assert [len(g.result) for g in groups] == [10, 2] and singles == []
    assert not bot.api.refusals


async def test_outside_a_round_a_file_is_not_recorded_and_the_sender_is_told(
    bot: Harness,
) -> None:
    await project_with(bot, "Plant", [S1], "daily 09:00")
    assert "was not recorded" in await _media(bot, S1, "photo", "Site")
    assert await _files(bot) == []
