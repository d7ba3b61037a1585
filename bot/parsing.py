"""Parsers for what people type: ids, names and free text. Each refuses with a UserError."""

from __future__ import annotations

import unicodedata

from bot.errors import UserError

MAX_NAME = 200
MAX_ID_DIGITS = 12


def _positive_id(raw: str, error_key: str) -> int:
    value = raw.strip().lstrip("#")
    # ASCII digits only: str.isdigit() also accepts '²' and '①', which int() refuses.
    if not (value.isascii() and value.isdigit()) or len(value) > MAX_ID_DIGITS or int(value) == 0:
        raise UserError(error_key, value=raw[:40])
    return int(value)


def parse_project_id(raw: str) -> int:
    """A project id as typed by a user: a positive integer, optionally with a leading '#'."""
    return _positive_id(raw, "error.bad_id")


def parse_problem_id(raw: str) -> int:
    """A problem id as typed by a user: a positive integer, optionally with a leading '#'."""
    return _positive_id(raw, "error.bad_problem_id")


def clean_name(raw: str) -> str:
    """Validate a project name: non-empty, at most 200 characters, no control characters."""
    name = " ".join(raw.split())
    if not name:
        raise UserError("error.name_empty")
    if len(name) > MAX_NAME:
        raise UserError("error.name_too_long", length=len(name))
    if any(unicodedata.category(ch) in {"Cc", "Cf"} for ch in name):
        raise UserError("error.name_control")
    return name


def clean_text(raw: str, limit: int) -> str:
    """Free text (a question, a note, a problem): trimmed, bounded, no control characters."""
    text = raw.strip()
    if not text:
        raise UserError("error.name_empty")
    if len(text) > limit:
        raise UserError("error.text_too_long", length=len(text), limit=limit)
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in text):
        raise UserError("error.name_control")
    return text
