"""Telegram Mini App init data: the signed query string Telegram hands the page.

Checked as Telegram documents it ("Validating data received via the Mini App"): the secret
key is HMAC-SHA-256 of the bot token keyed with the constant ``WebAppData``; the hash is
HMAC-SHA-256 of the data-check-string (every other field, ``key=value``, sorted, joined by
line feeds) keyed with that secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

# A clock a little ahead of ours is Telegram's, not a forgery; more than this is refused.
CLOCK_SKEW = timedelta(minutes=5)


class InvalidInitData(Exception):
    """Missing, forged, malformed or too old; the message says which (for the log only)."""


@dataclass(frozen=True, slots=True)
class WebAppUser:
    id: int
    first_name: str
    username: str | None
    language_code: str | None
    auth_date: datetime


def secret_key(bot_token: str) -> bytes:
    return hmac.new(b"WebAppData", bot_token.encode(), hashlib.sha256).digest()


def sign(fields: dict[str, str], bot_token: str) -> str:
    """The init data Telegram would send with these fields (the tests sign with it)."""
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    digest = hmac.new(secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()
    return urlencode({**fields, "hash": digest})


def validate(raw: str, bot_token: str, now: datetime, max_age: timedelta) -> WebAppUser:
    """The user the init data speaks for, or :class:`InvalidInitData`."""
    if not raw:
        raise InvalidInitData("missing")
    try:
        pairs = parse_qsl(raw, keep_blank_values=True, strict_parsing=True)
    except ValueError:
        raise InvalidInitData("malformed") from None
    fields = dict(pairs)
    if len(fields) != len(pairs):
        raise InvalidInitData("a field given twice")
    given = fields.pop("hash", "")
    check = "\n".join(f"{key}={value}" for key, value in sorted(fields.items()))
    expected = hmac.new(secret_key(bot_token), check.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(given.encode(), expected.encode()):
        raise InvalidInitData("bad signature")
    try:
        signed_at = datetime.fromtimestamp(int(fields["auth_date"]), UTC)
        user = json.loads(fields["user"])
        user_id = int(user["id"])
    except (KeyError, ValueError, TypeError):
        raise InvalidInitData("no auth_date or user") from None
    if now - signed_at > max_age:
        raise InvalidInitData("expired")
    if signed_at - now > CLOCK_SKEW:
        raise InvalidInitData("signed in the future")
    return WebAppUser(
        user_id,
        str(user.get("first_name") or ""),
        user.get("username"),
        user.get("language_code"),
        signed_at,
    )
