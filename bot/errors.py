"""Errors the user should see, as catalog keys so each handler can translate them."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """A refusal or bad input: the message is a catalog key plus its parameters."""

    def __init__(self, key: str, **params: Any) -> None:
        super().__init__(key)
        self.key = key
        self.params = params


class UsageError(UserError):
    """Arguments do not fit the command: reply with its usage line."""

    def __init__(self, command: str) -> None:
        super().__init__("usage", command=command)
        self.command = command
