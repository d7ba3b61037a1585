"""Amounts of money as an office writes them: in 万元 (ten thousand yuan), large ones in 亿元.

Stored as whole yuan, so sums are exact; typed as ``1,234.5``, ``1234.5万``, ``1234.5万元`` or
``0.12亿`` (a bare number is 万元, the unit of every plan and report)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from bot.errors import UserError

WAN = 10_000
YI = 100_000_000
MOST = 10**15  # far beyond any project (a hundred billion 万元)
_AMOUNT = re.compile(r"^([0-9][0-9,，]*(?:\.[0-9]+)?)\s*(万元|万|亿元|亿|元)?$")


def parse_money(raw: str) -> int:
    """An amount typed by a person, in yuan; :class:`UserError` naming what was typed."""
    text = raw.strip().replace(" ", "")
    match = _AMOUNT.match(text)
    if match is None:
        raise UserError("money.bad", value=raw[:40])
    try:
        number = Decimal(match[1].replace(",", "").replace("，", ""))
    except InvalidOperation:
        raise UserError("money.bad", value=raw[:40]) from None
    unit = match[2] or "万"
    scale = YI if unit.startswith("亿") else 1 if unit == "元" else WAN
    yuan = int((number * scale).to_integral_value())
    if yuan > MOST:
        raise UserError("money.bad", value=raw[:40])
    return yuan


def format_money(yuan: int | None, lang: str) -> str:
    """``1,234.5万元``, or ``1.23亿元`` from 1亿 on; ``–`` for none."""
    if yuan is None:
        return "–"
    if abs(yuan) >= YI:
        return f"{_trim(Decimal(yuan) / YI, 2)}亿元"
    return f"{_trim(Decimal(yuan) / WAN, 2, grouped=True)}万元"


def _trim(value: Decimal, places: int, grouped: bool = False) -> str:
    text = f"{value:,.{places}f}" if grouped else f"{value:.{places}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
