"""Errors the user should see, as catalog keys so each handler can translate them."""

from __future__ import annotations

from typing import Any

from storage.access import Denied


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


def refusal(denied: Denied) -> UserError:
    """What to tell someone whose change was refused inside its transaction."""
    if denied.reason == "not_admin":
        return UserError("error.not_admin")
    if denied.reason == "archived":
        return UserError("error.archived_project", id=denied.project_id)
    if denied.reason == "unknown_project":
        return UserError("error.unknown_project", id=denied.project_id)
    if denied.project_id is None:
        return UserError("error.no_role")
    return UserError("error.not_member", id=denied.project_id)
