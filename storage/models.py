"""Typed rows returned by the repositories."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

Role = Literal["secretary", "leader"]
InviteRole = Literal["secretary", "leader", "admin", "liaison", "head"]
ProjectStatus = Literal["active", "archived"]


def person_label(display_name: str, username: str | None) -> str:
    """Name as shown to others: display name plus @username when known."""
    return f"{display_name} (@{username})" if username else display_name


def official_name(display_name: str, unit: str | None, title: str | None) -> str:
    """A person as an official document names them: unit, title, name (县住建局局长张三); the
    name alone when neither is known. Never a Telegram handle."""
    return f"{unit or ''}{title or ''}{display_name}"


@dataclass(frozen=True, slots=True)
class Project:
    id: int
    name: str
    timezone: str
    status: ProjectStatus
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Person:
    user_id: int
    display_name: str
    username: str | None
    language: str | None
    reachable: bool
    unit: str | None = None  # 单位
    title: str | None = None  # 职务

    @property
    def label(self) -> str:
        return person_label(self.display_name, self.username)

    @property
    def official(self) -> str:
        return official_name(self.display_name, self.unit, self.title)


@dataclass(frozen=True, slots=True)
class Member:
    person: Person
    project_id: int
    role: Role
    added_at: datetime


@dataclass(frozen=True, slots=True)
class Invite:
    id: int
    project_id: int | None
    role: InviteRole
    expires_at: datetime
    used_by: int | None
    used_at: datetime | None
    department_id: int | None = None


@dataclass(frozen=True, slots=True)
class GroupBinding:
    project_id: int | None
    chat_id: int
    thread_id: int | None
    title: str | None
    language: str | None = None  # the group's own (/language there), else the default
    bot_status: str | None = None  # member, gone (removed) or muted (may not post); None: unknown


@dataclass(frozen=True, slots=True)
class Event:
    id: int
    at: datetime
    actor_id: int | None
    kind: str
    project_id: int | None
    subject_id: int | None
    detail: str


@dataclass(frozen=True, slots=True)
class Admin:
    user_id: int
    person: Person | None
    from_config: bool
    scope: tuple[str, str] | None = None  # ("line", 工业线) or ("area", 某某镇); None: all
