"""The command table: who may use each command; its usage line and menu text in both languages
come from the catalogs.

One table drives /help, usage replies and the menus published with setMyCommands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.i18n import t

Audience = Literal["everyone", "secretary", "leader", "department", "admin"]
AUDIENCES: tuple[Audience, ...] = ("everyone", "secretary", "leader", "department", "admin")


@dataclass(frozen=True, slots=True)
class Command:
    """A command and who may use it; its usage line and menu text are catalog entries
    (``command.<name>.usage`` and ``command.<name>.about``)."""

    name: str
    audiences: tuple[Audience, ...]


COMMANDS: tuple[Command, ...] = (
    Command("start", ("everyone",)),
    Command("help", ("everyone",)),
    Command("language", ("everyone",)),
    Command("cancel", ("everyone",)),
    Command("newproject", ("admin",)),
    Command("projects", ("admin",)),
    Command("project", ("admin",)),
    Command("rename", ("admin",)),
    Command("archive", ("admin",)),
    Command("unarchive", ("admin",)),
    Command("invite", ("admin",)),
    Command("members", ("admin",)),
    Command("remove", ("admin",)),
    Command("setgroup", ("admin",)),
    Command("admins", ("admin",)),
    Command("removeadmin", ("admin",)),
    Command("admin", ("admin",)),
    Command("forget", ("admin",)),
    Command("person", ("admin",)),
    Command("schedule", ("admin",)),
    Command("window", ("admin",)),
    Command("questions", ("admin",)),
    Command("checkinnow", ("admin",)),
    Command("status", ("admin",)),
    Command("summary", ("admin",)),
    Command("digest", ("admin",)),
    Command("pack", ("admin",)),
    Command("notice", ("admin",)),
    Command("holiday", ("admin",)),
    Command("workday", ("admin",)),
    Command("holidays", ("admin",)),
    Command("checkin", ("secretary",)),
    Command("leave", ("secretary",)),
    Command("contact", ("leader",)),
    Command("answers", ("leader", "admin")),
    Command("export", ("leader", "admin")),
    Command("report", ("leader", "admin")),
    Command("chart", ("leader", "admin")),
    Command("board", ("leader", "admin")),
    Command("web", ("secretary", "leader", "department", "admin")),
    Command("newproblem", ("secretary", "leader", "admin")),
    Command("problems", ("secretary", "leader", "department", "admin")),
    Command("problem", ("secretary", "leader", "department", "admin")),
    Command("note", ("secretary", "leader", "department", "admin")),
    Command("resolve", ("secretary", "leader", "admin")),
    Command("reopen", ("leader", "admin")),
    Command("extend", ("leader", "admin")),
    Command("assign", ("leader", "admin")),
    Command("deadline", ("leader", "admin")),
    Command("recall", ("leader", "admin")),
    Command("decide", ("admin",)),
    Command("decisions", ("admin",)),
    Command("newdept", ("admin",)),
    Command("depts", ("leader", "admin")),
    Command("dept", ("department", "admin")),
    Command("renamedept", ("admin",)),
    Command("archivedept", ("admin",)),
    Command("sitin", ("admin",)),
    Command("plan", ("secretary", "leader", "admin")),
    Command("milestones", ("secretary", "leader", "admin")),
    Command("done", ("secretary", "leader", "admin")),
    Command("invest", ("secretary", "leader", "admin")),
    Command("lines", ("admin",)),
    Command("template", ("admin",)),
)

BY_NAME: dict[str, Command] = {command.name: command for command in COMMANDS}


def usage(name: str, language: str) -> str:
    """The usage line of one command in ``language``."""
    return t(language, f"command.{BY_NAME[name].name}.usage")


def about(name: str, language: str) -> str:
    return t(language, f"command.{BY_NAME[name].name}.about")


def for_audiences(audiences: set[Audience]) -> list[Command]:
    """Commands visible to someone with these audiences, in table order."""
    return [command for command in COMMANDS if audiences & set(command.audiences)]
