"""Catalogs: complete in both languages, same placeholders, the reference's vocabulary."""

from __future__ import annotations

from bot import commands
from bot.i18n import CATALOGS, normalize_language, placeholders, t


def test_catalogs_have_the_same_keys() -> None:
    """A key missing from either language fails here, not in front of a user."""
    en, zh = CATALOGS["en"], CATALOGS["zh-CN"]
    assert sorted(set(en) - set(zh)) == []
    assert sorted(set(zh) - set(en)) == []


def test_placeholders_match_between_languages() -> None:
    """Both translations of a key take the same parameters."""
    en, zh = CATALOGS["en"], CATALOGS["zh-CN"]
    mismatched = [key for key in en if placeholders(en[key]) != placeholders(zh[key])]
    assert mismatched == []


def test_chinese_texts_use_the_reference_terms() -> None:
    """The wording follows the speeches: 首办秘书, 首席负责人 and so on."""
    zh = "".join(CATALOGS["zh-CN"].values())
    for term in ("首办秘书", "首席负责人", "帮办台帐", "帮办时限", "销号", "通报"):
        assert term in zh, term


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
