"""Numbered schema migrations: one SQL file each in ``storage/schema/``, ``NNNN_what.sql``;
file N becomes ``PRAGMA user_version`` N (applied by :meth:`storage.db.Database.open`).

Never edit a released migration: add the next file.
"""

from __future__ import annotations

import functools
import re
from importlib import resources

_NAME = re.compile(r"(\d{4})_[a-z0-9_]+\.sql")


@functools.cache
def migrations() -> tuple[str, ...]:
    """Every migration's script, in order; read once from the package's files."""
    folder = resources.files("storage") / "schema"
    found = sorted(
        (int(match.group(1)), entry)
        for entry in folder.iterdir()
        if (match := _NAME.fullmatch(entry.name)) is not None
    )
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"storage/schema: migrations must be numbered 1..N, found {numbers}")
    return tuple(entry.read_text(encoding="utf-8") for _, entry in found)
