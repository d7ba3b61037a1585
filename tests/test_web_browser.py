"""The board in a real browser: Debian's headless Chromium driven by Playwright, opened as
Telegram opens a Mini App (signed init data in the address's fragment) and as a browser with
a session cookie; what each role sees, an action pressed on the page reaching the chat, and
screenshots (zh and en, light and dark, phone and desktop) that are not blank."""

from __future__ import annotations

import asyncio
import io
import json
import os
import shutil
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest
from matplotlib import image
from playwright.async_api import Browser, Page, async_playwright

from tests.conftest import ADMIN, Harness, stop_harness
from tests.fakebot import FakeBotAPI, FakeClock, FakeUser
from tests.web_helpers import (
    LEADER,
    OTHER_SECRETARY,
    SECRETARY,
    STRANGER,
    init_data,
    two_projects,
    web_bot,
)

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed"),
    pytest.mark.timeout(120),
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1920, "height": 1080}
DARK_THEME = {
    "bg_color": "#17212b",
    "text_color": "#f5f5f5",
    "hint_color": "#708499",
    "link_color": "#6ab3f3",
    "button_color": "#5288c1",
    "button_text_color": "#ffffff",
    "secondary_bg_color": "#232e3c",
}


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    async with async_playwright() as playwright:
        launched = await playwright.chromium.launch(executable_path=CHROMIUM, headless=True)
        yield launched
        await launched.close()


@pytest.fixture
async def web(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> AsyncIterator[tuple[Harness, str]]:
    bot, base = await web_bot(api, clock, tmp_path / "b.db")
    await two_projects(bot)
    yield bot, base
    await stop_harness(bot)


def mini_app_url(base: str, data: str, theme: dict[str, str] | None = None, route: str = "") -> str:
    """The address Telegram opens: the launch parameters in the fragment."""
    fragment = f"tgWebAppData={quote(data, safe='')}&tgWebAppVersion=8.0&tgWebAppPlatform=ios"
    if theme is not None:
        fragment += "&tgWebAppThemeParams=" + quote(json.dumps(theme), safe="")
    return f"{base}/app/{route}#{fragment}"


async def opened(page: Page, url: str) -> Page:
    await page.goto(url)
    await page.wait_for_selector("body[data-ready]")
    return page


async def as_mini_app(
    browser: Browser, bot: Harness, base: str, user: FakeUser, **kwargs: object
) -> Page:
    page = await browser.new_page(viewport=PHONE)  # type: ignore[arg-type]
    data = str(kwargs.pop("data", None) or init_data(user, bot.clock.now()))
    return await opened(page, mini_app_url(base, data, **kwargs))  # type: ignore[arg-type]


async def project_names(page: Page) -> list[str]:
    return [await h.inner_text() for h in await page.query_selector_all("#projects h3 a")]


def not_blank(png: bytes) -> None:
    """Something is drawn: more than 1 % of the pixels differ from the background (the top
    left corner's colour is the page's, under the sticky header: take the middle row's first)."""
    pixels = image.imread(io.BytesIO(png))[..., :3]
    background = pixels[pixels.shape[0] // 2, 0]
    drawn = (abs(pixels - background).sum(axis=-1) > 0.1).mean()
    assert pixels.shape[0] > 100 and drawn > 0.01, f"the screenshot is nearly blank ({drawn:.2%})"


async def test_each_role_sees_its_projects_and_strangers_nothing(
    browser: Browser, web: tuple[Harness, str]
) -> None:
    bot, base = web
    admin = await as_mini_app(browser, bot, base, ADMIN)
    assert await project_names(admin) == ["1 South Road", "2 北环路大桥"]
    leader = await as_mini_app(browser, bot, base, LEADER)
    assert await project_names(leader) == ["1 South Road"]
    secretary = await as_mini_app(browser, bot, base, OTHER_SECRETARY)
    assert await project_names(secretary) == ["2 北环路大桥"]
    assert await secretary.inner_text("#nav-problems") == "台帐"  # their language

    # The ledger shows the same.
    await leader.goto(leader.url.split("#")[0] + "#/problems")
    await leader.wait_for_selector("#problems")
    rows = await leader.query_selector_all("#problems li")
    assert [await r.get_attribute("data-problem") for r in rows] == ["1"]

    now = bot.clock.now()
    for data in (
        init_data(STRANGER, now),
        init_data(LEADER, now, token="42:someone-else"),  # forged
        init_data(LEADER, now - timedelta(hours=3)),  # expired
    ):
        refused = await as_mini_app(browser, bot, base, LEADER, data=data)
        assert await refused.query_selector("#signed-out") is not None
        assert await refused.query_selector("#projects") is None


async def test_the_ledger_is_narrowed_to_a_department_on_the_page(
    browser: Browser, web: tuple[Harness, str]
) -> None:
    bot, base = web
    await bot.send(ADMIN, "/newdept 自然资源局")
    await bot.send(ADMIN, "/assign 2 d1 2d")
    admin = await as_mini_app(browser, bot, base, ADMIN)
    await admin.goto(admin.url.split("#")[0] + "#/problems")
    await admin.wait_for_selector("#filter-department")
    await admin.select_option("#filter-department", "1")
    # The page's policy allows no evaluated script: wait from here for the list to change.
    for _ in range(100):
        rows = await admin.query_selector_all("#problems li")
        shown = [await r.get_attribute("data-problem") for r in rows]
        if shown == ["2"]:
            break
        await asyncio.sleep(0.05)
    assert shown == ["2"] and "department=1" in admin.url


async def test_a_press_on_the_page_reaches_the_chat(
    browser: Browser, web: tuple[Harness, str]
) -> None:
    bot, base = web
    page = await as_mini_app(browser, bot, base, LEADER)
    await page.click("#projects h3 a")
    await page.wait_for_selector("#people")
    assert "Li Wei" in await page.inner_text("#people")
    await opened(page, page.url.split("#")[0] + "#/q/1")
    assert await page.inner_text("#status") == "open (待签收)" or "open" in await page.inner_text(
        "#status"
    )
    await page.click("button[data-action=acknowledge]")
    await page.wait_for_selector("#message")
    assert "acknowledged" in await page.inner_text("#message")
    assert (await bot.services.ledger.problem(1)).status == "in_progress"
    await bot.api.wait_for(
        lambda c: (
            c.params.get("chat_id") == SECRETARY.id and "Zhang San" in c.params.get("text", "")
        )
    )
    # A secretary's page offers nothing to press.
    secretary = await as_mini_app(browser, bot, base, SECRETARY)
    await opened(secretary, secretary.url.split("#")[0] + "#/q/1")
    assert await secretary.query_selector("#actions") is None


async def test_screenshots_in_both_languages_themes_and_widths(
    browser: Browser, web: tuple[Harness, str], tmp_path: Path
) -> None:
    bot, base = web
    shots: dict[str, bytes] = {}
    for user, lang in ((ADMIN, "en"), (OTHER_SECRETARY, "zh")):
        for theme_name, theme in (("light", None), ("dark", DARK_THEME)):
            page = await as_mini_app(browser, bot, base, user, theme=theme)
            shots[f"{lang}-{theme_name}-phone"] = await page.screenshot(full_page=True)
            if theme is not None:
                background = await page.evaluate("getComputedStyle(document.body).backgroundColor")
                assert background == "rgb(23, 33, 43)"  # Telegram's colours, not ours
            await page.close()
    # The meeting room's screen: a browser signed in by /web's link, in the system's scheme.
    link = (await bot.send(ADMIN, "/web")).params["reply_markup"]["inline_keyboard"][0][0]["url"]
    async with httpx.AsyncClient(base_url=base) as client:
        cookie = (await client.get("/login?t=" + link.split("t=", 1)[1])).headers["set-cookie"]
    name, value = cookie.split(";", 1)[0].split("=", 1)
    for scheme in ("light", "dark"):
        context = await browser.new_context(viewport=DESKTOP, color_scheme=scheme)  # type: ignore[arg-type]
        await context.add_cookies([{"name": name, "value": value, "url": base}])
        page = await opened(await context.new_page(), f"{base}/app/")
        assert await project_names(page) == ["1 South Road", "2 北环路大桥"]
        shots[f"en-{scheme}-desktop"] = await page.screenshot()
        await context.close()
    out = Path(os.environ.get("BANGBAN_SCREENSHOTS", tmp_path))
    for label, png in shots.items():
        (out / f"board-{label}.png").write_bytes(png)
        not_blank(png)
    assert len(shots) == 6
