"""Texts in zh-CN and English, and the lookup function.

The catalogs are TOML files shipped in ``bot/texts/`` (one per language), so an office can
reword a notice without a developer; ``TEXTS_OVERRIDE`` names a file of replacements that is
checked at start-up (docs/architecture.md says why TOML). Texts are plain (no parse mode), so
user-supplied names never need escaping.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from importlib import resources
from pathlib import Path
from string import Formatter
from typing import Any

LANGUAGES = ("zh-CN", "en")
Catalog = dict[str, str]
Catalogs = dict[str, Catalog]


class TextsError(Exception):
    """A catalog or override file that cannot be used; the message is one line for the
    operator."""


def normalize_language(code: str | None) -> str | None:
    """Map a Telegram language code or a user's choice to a catalog name."""
    if not code:
        return None
    code = code.strip().lower()
    if code.startswith("zh") or code in {"cn", "中文"}:
        return "zh-CN"
    if code.startswith("en") or code in {"英文", "english"}:
        return "en"
    return None


def _flatten(table: Mapping[str, Any], prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``[checkin] prompt = "…"`` becomes ``checkin.prompt``."""
    for name, value in table.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{name}.")
        else:
            yield f"{prefix}{name}", value


def _parse(text: str, source: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TextsError(f"{source} is not valid TOML: {exc}") from exc


def shipped() -> Catalogs:
    """The catalogs that come with the package."""
    folder = resources.files("bot") / "texts"
    catalogs: Catalogs = {}
    for language in LANGUAGES:
        source = f"bot/texts/{language}.toml"
        table = _parse((folder / f"{language}.toml").read_text(encoding="utf-8"), source)
        catalogs[language] = {key: str(value) for key, value in _flatten(table)}
    return catalogs


def with_overrides(catalogs: Catalogs, path: Path) -> Catalogs:
    """``catalogs`` with the texts of the override file at ``path`` in place of their own.

    The file holds one table per language, for example ``[zh-CN.checkin]`` and then
    ``recorded_progress = "报送内容已收到。"``. A language, key or placeholder the catalogs do not
    have is refused, naming it, so a typo stops the bot at start-up instead of a reply later.
    """
    try:
        content = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise TextsError(f"cannot read {path}: {exc}") from exc
    result = {language: dict(catalog) for language, catalog in catalogs.items()}
    for language, table in _parse(content, str(path)).items():
        if language not in result:
            known = ", ".join(LANGUAGES)
            raise TextsError(f"{path}: unknown language [{language}] (use one of {known})")
        if not isinstance(table, dict):
            raise TextsError(f"{path}: {language} must be a table, like [{language}.checkin]")
        for key, text in _flatten(table):
            name = f"{language}.{key}"
            if key not in result[language]:
                raise TextsError(f"{path}: there is no text {name}")
            if not isinstance(text, str) or not text.strip():
                raise TextsError(f"{path}: {name} must be a non-empty text in quotes")
            _check_placeholders(path, name, text, placeholders(catalogs[language][key]))
            result[language][key] = text
    return result


def _check_placeholders(path: Path, name: str, text: str, allowed: set[str]) -> None:
    try:
        used = placeholders(text)
    except ValueError as exc:  # an unmatched { or }
        raise TextsError(f"{path}: {name}: {exc} (write {{{{ or }}}} for a brace)") from exc
    unknown = sorted(used - allowed)
    if unknown:
        offered = ", ".join(f"{{{p}}}" for p in sorted(allowed)) or "none"
        raise TextsError(
            f"{path}: {name} uses {{{unknown[0]}}}, which this text does not have"
            f" (it has: {offered})"
        )


def load(override: Path | None) -> Catalogs:
    """The shipped catalogs, with ``override`` applied when given."""
    catalogs = shipped()
    return with_overrides(catalogs, override) if override is not None else catalogs


class _Active:
    """The catalogs in use. The composition root installs them once at start-up (after checking
    the override file); until then, and in tests that do not care, the shipped ones."""

    catalogs: Catalogs | None = None


def install(catalogs: Catalogs | None) -> None:
    """Use ``catalogs`` from now on (None: the shipped ones)."""
    _Active.catalogs = catalogs


def active() -> Catalogs:
    if _Active.catalogs is None:
        _Active.catalogs = shipped()
    return _Active.catalogs


def t(language: str, key: str, **params: Any) -> str:
    """Render ``key`` in ``language``; unknown languages fall back to zh-CN. A timedelta
    parameter reads as a duration in that language (4 hours, 4小时)."""
    catalogs = active()
    catalog = catalogs.get(language) or catalogs["zh-CN"]
    for name, value in params.items():
        if isinstance(value, timedelta):
            params[name] = duration_text(value, language)
    return catalog[key].format(**params)


_UNITS = (("w", 604800), ("d", 86400), ("h", 3600), ("m", 60), ("s", 1))


def duration_text(value: timedelta, language: str) -> str:
    """A duration for people to read, in the largest unit that divides it exactly."""
    seconds = int(value.total_seconds())
    for unit, size in _UNITS:
        if seconds % size == 0 and (seconds or unit == "s"):
            count = seconds // size
            return t(language, f"unit.{unit}" + ("_one" if count == 1 else ""), n=count)
    return t(language, "unit.s", n=seconds)


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` in a catalog entry."""
    return {name for _, name, _, _ in Formatter().parse(text) if name is not None}


_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")  # fmt: skip


def date_text(day: date, language: str) -> str:
    """A date as an office writes it: 2027年3月9日; 9 March 2027."""
    if language == "zh-CN":
        return f"{day.year}年{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def month_day_text(day: date, language: str) -> str:
    """3月2日; 2 March."""
    if language == "zh-CN":
        return f"{day.month}月{day.day}日"
    return f"{day.day} {_MONTHS[day.month - 1]}"


def week_text(first: date, last: date, language: str) -> str:
    """第10周（3月2日—3月8日）; week 10 (2 March – 8 March): never 2026-W10."""
    return t(
        language,
        "digest.week",
        n=first.isocalendar()[1],
        first=month_day_text(first, language),
        last=month_day_text(last, language),
    )
