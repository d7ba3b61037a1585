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
def migrations(engine: str = "") -> tuple[str, ...]:
    """Every migration's script, in order; read once from the package's files: SQLite's in
    ``storage/schema/``, another engine's (``postgres``) in a folder of its own below it."""
    folder = resources.files("storage") / "schema"
    if engine:
        folder = folder / engine
    found = sorted(
        (int(match.group(1)), entry)
        for entry in folder.iterdir()
        if (match := _NAME.fullmatch(entry.name)) is not None
    )
    numbers = [number for number, _ in found]
    if numbers != list(range(1, len(found) + 1)):
        raise RuntimeError(f"{folder}: migrations must be numbered 1..N, found {numbers}")
    return tuple(entry.read_text(encoding="utf-8") for _, entry in found)
