"""Catalogs: complete in both languages, same placeholders, the reference's vocabulary, and an
office's override file checked at start-up."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from bot import commands, i18n
from bot.i18n import normalize_language, placeholders, shipped, t, with_overrides
from bot.ledger.cards import format_age
from tests.conftest import ADMIN, start_harness
from tests.fakebot import FakeBotAPI, FakeClock
from tests.test_config import _run_bot


def test_catalogs_have_the_same_keys() -> None:
    """A key missing from either language fails here, not in front of a user."""
    catalogs = shipped()
    en, zh = catalogs["en"], catalogs["zh-CN"]
    assert sorted(set(en) - set(zh)) == []
    assert sorted(set(zh) - set(en)) == []


def test_placeholders_match_between_languages() -> None:
    """Both translations of a key take the same parameters."""
    catalogs = shipped()
    en, zh = catalogs["en"], catalogs["zh-CN"]
    mismatched = [key for key in en if placeholders(en[key]) != placeholders(zh[key])]
    assert mismatched == []


def test_chinese_texts_use_the_reference_terms() -> None:
    """The wording follows the speeches: 首办秘书, 首席负责人 and so on."""
    zh = "".join(shipped()["zh-CN"].values())
    for term in ("首办秘书", "首席负责人", "帮办台帐", "帮办时限", "销号", "通报", "进展报送"):
        assert term in zh, term


def test_chinese_texts_avoid_the_wrong_terms() -> None:
    """报到 means reporting for duty and 推送 is not an escalation: neither appears anywhere, nor
    do the replaced words for acknowledge and send back."""
    zh = shipped()["zh-CN"]
    for term in ("报到", "推送", "已知悉", "重新打开"):
        assert [key for key, text in zh.items() if term in text] == [], term
    assert zh["status.active"] == "推进中"
    assert zh["checkin.question"].startswith("第 {n}/{total} 项")
    assert "🏖" not in zh["button.leave"] + shipped()["en"]["button.leave"]


def test_every_command_has_texts_in_both_languages() -> None:
    for command in commands.COMMANDS:
        for language in ("en", "zh-CN"):
            assert commands.usage(command.name, language).startswith(f"/{command.name}")
            assert commands.about(command.name, language)


def test_language_codes_are_normalised() -> None:
    assert normalize_language("zh-hans") == "zh-CN"
    assert normalize_language("en-GB") == "en"
    assert normalize_language("fr") is None
    assert t("en", "usage", usage="/x") == "Usage: /x"


def _override(tmp_path: Path, content: str) -> Path:
    path = tmp_path / "texts.toml"
    path.write_text(content, encoding="utf-8")
    return path


def test_an_override_replaces_only_its_keys(tmp_path: Path) -> None:
    catalogs = shipped()
    path = _override(tmp_path, '[zh-CN.language]\nset = "已改为中文。"\n')
    changed = with_overrides(catalogs, path)
    assert changed["zh-CN"]["language.set"] == "已改为中文。"
    assert changed["en"]["language.set"] == catalogs["en"]["language.set"]
    others = {k: v for k, v in changed["zh-CN"].items() if k != "language.set"}
    assert others == {k: v for k, v in catalogs["zh-CN"].items() if k != "language.set"}


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('[zh-CN.language]\nsett = "x"\n', "there is no text zh-CN.language.sett"),
        ('[fr.language]\nset = "x"\n', "unknown language [fr]"),
        ('[zh-CN.usage]\nx = "x"\n', "there is no text zh-CN.usage.x"),
        ('[zh-CN]\nusage = "用法：{usage} {extra}"\n', "zh-CN.usage uses {extra}"),
        ('[zh-CN]\nusage = "用法：{usage"\n', "zh-CN.usage"),
        ('[zh-CN]\nusage = ""\n', "zh-CN.usage must be a non-empty text"),
        ("[zh-CN]\nusage = 3\n", "zh-CN.usage must be a non-empty text"),
        ("[zh-CN\n", "is not valid TOML"),
    ],
)
def test_a_bad_override_names_the_problem(tmp_path: Path, content: str, named: str) -> None:
    with pytest.raises(i18n.TextsError, match=named.replace("[", r"\[").replace("{", r"\{")):
        with_overrides(shipped(), _override(tmp_path, content))


@pytest.mark.parametrize(
    ("age", "zh", "en"),
    [
        (timedelta(seconds=20), "不到1分钟", "less than a minute"),
        (timedelta(minutes=1, seconds=59), "1分钟", "1 minute"),
        (timedelta(hours=2, minutes=5), "2小时5分钟", "2 hours 5 minutes"),
        (timedelta(days=3, hours=4, minutes=9), "3天4小时", "3 days 4 hours"),
    ],
)
def test_ages_on_cards_read_naturally(age: timedelta, zh: str, en: str) -> None:
    """A card sent the moment a problem is reported does not say it was reported 0 seconds ago."""
    assert (format_age(age, "zh-CN"), format_age(age, "en")) == (zh, en)


def test_a_bad_override_key_stops_start_up_with_one_line(tmp_path: Path) -> None:
    """The operator sees which entry is wrong, before anything else happens."""
    path = _override(tmp_path, '[zh-CN.checkin]\nrecorded_progres = "报送内容已收到。"\n')
    result = _run_bot({"BOT_TOKEN": "1:x", "TEXTS_OVERRIDE": str(path)}, tmp_path)
    assert result.returncode == 2
    assert "TEXTS_OVERRIDE" in result.stderr
    assert "zh-CN.checkin.recorded_progres" in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


async def test_an_override_file_changes_what_users_read(
    api: FakeBotAPI, clock: FakeClock, tmp_path: Path
) -> None:
    """The office's wording reaches the chat; everything else stays as shipped."""
    path = _override(tmp_path, '[en.language]\nset = "English it is, then."\n')
    try:
        bot = await start_harness(api, clock, tmp_path / "bangban.db", texts_override=path)
        assert (await bot.send(ADMIN, "/language en")).params["text"] == "English it is, then."
        zh = await bot.send(ADMIN, "/language zh")
        assert zh.params["text"] == shipped()["zh-CN"]["language.set"]
    finally:
        i18n.install(None)
