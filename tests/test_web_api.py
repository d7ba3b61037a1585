"""The board's API: every endpoint for every role, Telegram's init data checked on each call,
one-time links and sessions, and actions that reach the chat as a press would."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from bot.web.initdata import InvalidInitData, validate
from tests.conftest import ADMIN, TOKEN, Harness, stop_harness
from tests.fakebot import FakeBotAPI, FakeClock, FakeUser
from tests.web_helpers import (
    LEADER,
    OTHER_SECRETARY,
    SECRETARY,
    STRANGER,
    as_user,
    get,
    init_data,
    two_projects,
    web_bot,
)


@pytest.fixture
async def web(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[tuple[Harness, str]]:
    bot, base = await web_bot(api, clock, tmp_path / "b.db")
    await two_projects(bot)
    yield bot, base
    await stop_harness(bot)


def test_init_data_is_checked_as_telegram_documents_it(clock: FakeClock) -> None:
    now = clock.now()
    good = init_data(LEADER, now)
    user = validate(good, TOKEN, now, timedelta(hours=1))
    assert user.id == LEADER.id and user.username == "zhangsan"
    forged = good.replace(str(LEADER.id), str(ADMIN.id))  # someone else's id, same hash
    other_bot = init_data(LEADER, now, token="999:another-bot")
    unsigned = "&".join(p for p in good.split("&") if not p.startswith("hash="))
    for bad, why in (
        (forged, "bad signature"),
        (other_bot, "bad signature"),
        (unsigned, "bad signature"),
        ("", "missing"),
        (good + "&auth_date=1", "a field given twice"),
    ):
        with pytest.raises(InvalidInitData, match=why):
            validate(bad, TOKEN, now, timedelta(hours=1))
    with pytest.raises(InvalidInitData, match="expired"):
        validate(init_data(LEADER, now - timedelta(hours=2)), TOKEN, now, timedelta(hours=1))
    with pytest.raises(InvalidInitData, match="future"):
        validate(init_data(LEADER, now + timedelta(hours=1)), TOKEN, now, timedelta(hours=1))


async def test_each_role_sees_what_the_chat_shows_it(web: tuple[Harness, str]) -> None:
    bot, base = web
    clock = bot.clock

    async def ids(user: FakeUser, path: str, key: str) -> list[int]:
        response = await get(base, path, as_user(user, clock))
        assert response.status_code == 200, response.text
        return [row["id"] for row in response.json()[key]]

    assert await ids(ADMIN, "/api/projects", "projects") == [1, 2]
    assert await ids(ADMIN, "/api/problems", "problems") == [1, 2]
    assert await ids(LEADER, "/api/projects", "projects") == [1]
    assert await ids(LEADER, "/api/problems", "problems") == [1]
    assert await ids(SECRETARY, "/api/problems", "problems") == [1]
    assert await ids(OTHER_SECRETARY, "/api/problems", "problems") == [2]

    me = (await get(base, "/api/me", as_user(LEADER, clock))).json()
    assert me["id"] == LEADER.id and me["projects"] == {"1": ["leader"]} and not me["admin"]

    # Another project's problem by id looks exactly like one that does not exist.
    theirs = await get(base, "/api/problems/2", as_user(SECRETARY, clock))
    missing = await get(base, "/api/problems/999", as_user(SECRETARY, clock))
    assert theirs.status_code == missing.status_code == 404
    assert theirs.json() == missing.json()
    assert (await get(base, "/api/projects/2", as_user(LEADER, clock))).status_code == 404
    assert (await get(base, "/api/problems/2", as_user(ADMIN, clock))).status_code == 200

    project = (await get(base, "/api/projects/1", as_user(LEADER, clock))).json()
    assert project["name"] == "South Road"
    assert {p["name"] for p in project["people"]} == {"Li Wei", "Zhang San"}
    problem = (await get(base, "/api/problems/1", as_user(LEADER, clock))).json()
    assert problem["actions"] == ["acknowledge", "extend"]
    assert any("Li Wei" in line for line in problem["history"])
    # A secretary sees the problem but has nothing to press.
    assert (await get(base, "/api/problems/1", as_user(SECRETARY, clock))).json()["actions"] == []


async def test_no_valid_init_data_no_answer(web: tuple[Harness, str]) -> None:
    bot, base = web
    clock = bot.clock
    forged = {"Authorization": "tma " + init_data(LEADER, clock.now(), token="1:forged")}
    expired = as_user(LEADER, clock, age=timedelta(hours=2))
    for headers in ({}, forged, expired, as_user(STRANGER, clock), {"Authorization": "Bearer x"}):
        for path in (
            "/api/me",
            "/api/projects",
            "/api/problems",
            "/api/problems/1",
            "/api/notices",
        ):
            response = await get(base, path, headers)
            assert response.status_code == 401, (headers, path)
            assert response.json()["error"] == "unauthorized"
    async with httpx.AsyncClient(base_url=base) as client:
        posted = await client.post("/api/problems/1/acknowledge", json={}, headers=forged)
    assert posted.status_code == 401
    assert (await bot.services.ledger.problem(1)).status == "open"


async def test_a_leader_acts_from_the_page_and_the_chat_hears_of_it(
    web: tuple[Harness, str],
) -> None:
    bot, base = web
    clock = bot.clock
    async with httpx.AsyncClient(base_url=base, headers=as_user(LEADER, clock)) as client:
        refused = await client.post(
            "/api/problems/1/acknowledge", json={}, headers=as_user(SECRETARY, clock)
        )
        assert refused.status_code == 403, refused.text
        assert (await bot.services.ledger.problem(1)).status == "open"

        done = await client.post("/api/problems/1/acknowledge", json={})
        assert done.status_code == 200, done.text
        assert "acknowledged" in done.json()["message"]
        assert done.json()["problem"]["status"] == "in_progress"
        # The reporter hears of it as after a press on the card.
        await bot.api.wait_for(
            lambda c: (
                c.params.get("chat_id") == SECRETARY.id
                and "Zhang San" in c.params.get("text", "")
                and "#1" in c.params.get("text", "")
            )
        )
        again = await client.post("/api/problems/1/acknowledge", json={})
        assert again.status_code == 200 and "already" in again.json()["message"]

        no_reason = await client.post("/api/problems/1/extend", json={"days": 3})
        assert no_reason.status_code == 409 and "reason" in no_reason.json()["message"]
        bad_days = await client.post("/api/problems/1/extend", json={"days": 0, "reason": "x"})
        assert bad_days.status_code == 409
        not_json = await client.post("/api/problems/1/extend", content=b"days=3&reason=x")
        assert not_json.status_code == 400
        before = (await bot.services.ledger.problem(1)).deadline
        extended = await client.post(
            "/api/problems/1/extend", json={"days": 3, "reason": "Waiting for the bureau"}
        )
        assert extended.status_code == 200, extended.text
        after = await bot.services.ledger.problem(1)
        assert after.deadline >= before + timedelta(days=3) and after.extensions == 1

        await bot.send(SECRETARY, "/resolve 1 The bureau moved the line")
        assert (await bot.services.ledger.problem(1)).status == "awaiting"
        page = (await client.get("/api/problems/1")).json()
        assert page["actions"] == ["confirm", "send-back"]
        awaiting = await client.post("/api/problems/1/acknowledge", json={})
        assert awaiting.status_code == 409 and "awaits confirmation" in awaiting.json()["message"]
        confirmed = await client.post("/api/problems/1/confirm", json={})
        assert confirmed.status_code == 200, confirmed.text
        assert (await bot.services.ledger.problem(1)).status == "resolved"
        twice = await client.post("/api/problems/1/confirm", json={})
        assert twice.status_code == 409
        late = await client.post("/api/problems/1/acknowledge", json={})
        assert late.status_code == 409 and "already resolved" in late.json()["message"]
        unknown = await client.post("/api/problems/1/delete", json={})
        assert unknown.status_code == 404
    history = (await bot.send(ADMIN, "/problem 1")).params["text"]
    assert "Zhang San: confirmed the crossing-off" in history


async def test_send_back_from_the_page_needs_a_reason(web: tuple[Harness, str]) -> None:
    bot, base = web
    await bot.send(SECRETARY, "/resolve 1 Done")
    async with httpx.AsyncClient(base_url=base, headers=as_user(LEADER, bot.clock)) as client:
        empty = await client.post("/api/problems/1/send-back", json={"reason": "  "})
        assert empty.status_code == 409
        back = await client.post(
            "/api/problems/1/send-back", json={"reason": "Still there, I drove past"}
        )
        assert back.status_code == 200, back.text
    assert (await bot.services.ledger.problem(1)).status == "open"
    await bot.services.outbox.drain()
    told = [c for c in bot.api.sent_to(SECRETARY.id) if "Still there" in c.params["text"]]
    assert len(told) == 1


async def test_the_ledger_is_searched_and_filtered(web: tuple[Harness, str]) -> None:
    bot, base = web

    async def found(query: str) -> list[int]:
        response = await get(base, f"/api/problems?{query}", as_user(ADMIN, bot.clock))
        assert response.status_code == 200, response.text
        return [p["id"] for p in response.json()["problems"]]

    assert await found("q=拆迁") == [2]  # Chinese, found as typed (no word boundaries)
    assert await found("q=power%20LINE") == [1]  # any case
    assert await found("q=%25") == []  # a % is a character, not a wildcard
    assert await found("project=2") == [2]
    assert await found("status=resolved") == []
    assert await found("overdue=1") == []
    bot.clock.advance(timedelta(days=30))
    assert await found("overdue=1") == [1, 2]
    assert (
        await get(base, "/api/problems?project=x", as_user(ADMIN, bot.clock))
    ).status_code == 400


async def test_the_ledger_is_narrowed_to_a_department_it_was_handed_to(
    web: tuple[Harness, str],
) -> None:
    bot, base = web
    await bot.send(ADMIN, "/newdept 自然资源局")
    await bot.send(ADMIN, "/assign 2 d1 2d")
    response = await get(base, "/api/problems", as_user(ADMIN, bot.clock))
    assert response.json()["departments"] == [{"id": 1, "name": "自然资源局"}]
    handed = await get(base, "/api/problems?department=1", as_user(ADMIN, bot.clock))
    assert [p["id"] for p in handed.json()["problems"]] == [2]
    # The filter narrows what the viewer may see; it never widens it.
    mine = await get(base, "/api/problems?department=1", as_user(SECRETARY, bot.clock))
    assert mine.json()["problems"] == []


async def test_a_one_time_link_opens_a_session_that_ends_with_the_role(
    web: tuple[Harness, str],
) -> None:
    bot, base = web
    reply = await bot.send(LEADER, "/web")
    link = reply.params["reply_markup"]["inline_keyboard"][0][0]["url"]
    assert link.startswith("https://board.example.org/login?t=")
    token = link.split("t=", 1)[1]
    async with httpx.AsyncClient(base_url=base) as client:
        opened = await client.get(f"/login?t={token}")
        assert opened.status_code == 303 and opened.headers["location"] == "/app/"
        cookie = opened.headers["set-cookie"]
        assert "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" in cookie
        session = {"Cookie": cookie.split(";", 1)[0]}
        assert (await client.get("/api/me", headers=session)).json()["id"] == LEADER.id
        reused = await client.get(f"/login?t={token}")
        assert reused.headers["location"] == "/app/?login=expired"
        assert "set-cookie" not in reused.headers

        # Removed from the project: the open session and fresh init data stop at once.
        await bot.send(ADMIN, "/remove 1 @zhangsan")
        assert (await client.get("/api/me", headers=session)).status_code == 401
        assert (await client.get("/api/me", headers=as_user(LEADER, bot.clock))).status_code == 401

        # A link expires after ten minutes; /web logout ends every session of the person.
        late = (await bot.send(SECRETARY, "/web")).params["reply_markup"]["inline_keyboard"]
        bot.clock.advance(timedelta(minutes=11))
        expired = await client.get("/login?t=" + late[0][0]["url"].split("t=", 1)[1])
        assert expired.headers["location"] == "/app/?login=expired"
        fresh = (await bot.send(SECRETARY, "/web")).params["reply_markup"]["inline_keyboard"]
        opened = await client.get("/login?t=" + fresh[0][0]["url"].split("t=", 1)[1])
        session = {"Cookie": opened.headers["set-cookie"].split(";", 1)[0]}
        assert (await client.get("/api/me", headers=session)).status_code == 200
        assert "1" in (await bot.send(SECRETARY, "/web logout")).params["text"]
        assert (await client.get("/api/me", headers=session)).status_code == 401
    stranger = await bot.send(STRANGER, "/web")
    assert "reply_markup" not in stranger.params


async def test_one_server_serves_the_page_health_and_metrics_safely(
    web: tuple[Harness, str],
) -> None:
    bot, base = web
    page = await get(base, "/app/")
    assert page.status_code == 200 and "app.js" in page.text
    csp = page.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "<script>" not in page.text  # no inline script
    assets = [(await get(base, f"/app/assets/{name}")) for name in ("app.js", "app.css")]
    assert [a.status_code for a in assets] == [200, 200]
    assert len(page.content) + sum(len(a.content) for a in assets) < 200_000
    assert (await get(base, "/healthz")).status_code == 200
    assert "bangban_" in (await get(base, "/metrics")).text
    unknown = await get(base, "/api/nothing", as_user(ADMIN, bot.clock))
    assert unknown.status_code == 404 and unknown.json()["error"] == "not_found"
    # The board's menu button for people with a role, opening the public address.
    buttons = [c for c in bot.api.calls if c.method == "setChatMenuButton"]
    leader = [c for c in buttons if c.params["chat_id"] == LEADER.id][-1]
    assert leader.params["menu_button"]["web_app"]["url"] == "https://board.example.org/app/"
    # /board carries [Open the board] as a Mini App button in the private chat.
    await bot.send(LEADER, "/board")
    photo = await bot.api.wait_for(
        lambda c: c.method == "sendPhoto" and c.params.get("chat_id") == LEADER.id
    )
    button = photo.params["reply_markup"]["inline_keyboard"][0][0]
    assert button["web_app"]["url"] == "https://board.example.org/app/"


async def test_photos_come_through_the_bot_after_the_same_check(
    web: tuple[Harness, str],
) -> None:
    bot, base = web
    await bot.services.conversation.expect(SECRETARY.id, "note", problem_id=1)
    mark = len(bot.api.calls)
    await bot.api.send_media(SECRETARY, "photo", caption="Pole moved")
    await bot.api.reply_to(SECRETARY.id, after=mark)
    problem = (await get(base, "/api/problems/1", as_user(LEADER, bot.clock))).json()
    [photo_id] = problem["photos"]
    row = await bot.db.fetchone("SELECT file_id FROM attachments WHERE id = ?", (photo_id,))
    assert row is not None
    bot.api.file_contents[f"documents/{row['file_id']}"] = b"\x89PNG the photo"
    shown = await get(base, f"/api/photos/{photo_id}", as_user(LEADER, bot.clock))
    assert shown.status_code == 200 and shown.content == b"\x89PNG the photo"
    for user in (OTHER_SECRETARY, STRANGER):
        refused = await get(base, f"/api/photos/{photo_id}", as_user(user, bot.clock))
        assert refused.status_code in (401, 404) and refused.content != shown.content
    assert (await get(base, "/api/photos/999", as_user(LEADER, bot.clock))).status_code == 404


async def test_digests_published_are_read_as_report_shows_them(web: tuple[Harness, str]) -> None:
    bot, base = web
    await bot.db.execute(
        "INSERT INTO digests (period, sent_at) VALUES (?, ?)",
        ("2026-W10", "2026-03-09T01:00:00.000000Z"),
    )
    bot.clock.advance(timedelta(days=8))  # into week 11: week 10 is over
    leader = as_user(LEADER, bot.clock)
    listed = (await get(base, "/api/digests", leader)).json()["digests"]
    assert [d["period"] for d in listed] == ["2026-W10"]
    text = (await get(base, "/api/digests/2026-W10", leader)).json()["text"]
    assert "South Road" in text and "北环路大桥" not in text  # only what /report shows them
    admin_text = (await get(base, "/api/digests/2026-W10", as_user(ADMIN, bot.clock))).json()
    assert "北环路大桥" in admin_text["text"]
    # Secretaries do not read the office's figures in the chat, nor here.
    secretary = as_user(SECRETARY, bot.clock)
    assert (await get(base, "/api/digests", secretary)).json()["digests"] == []
    assert (await get(base, "/api/digests/2026-W10", secretary)).status_code == 404
    assert (await get(base, "/api/digests/../../etc", leader)).status_code == 404
    assert (await get(base, "/api/digests/2026-W99", leader)).status_code == 404
