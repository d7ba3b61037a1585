"""Admin commands: projects, invites, members, leadership groups, admins."""

from __future__ import annotations

import logging
import re

from telegram.constants import ChatType

from bot.clock import format_local
from bot.departments.service import is_department_ref
from bot.errors import UsageError, UserError
from bot.parsing import keyword, parse_project_id
from bot.projects import ProjectOverview
from bot.registry import official_fields
from bot.replies import clip
from handlers import departments
from handlers.common import Call, answer_press, edit_pressed, guarded
from handlers.paging import Listing, show
from storage.models import GroupBinding, Member, Role
from storage.outbox import OutgoingButton

log = logging.getLogger(__name__)

PAGE_SIZE = 8
PAGE_CALLBACK = re.compile(r"^pj:([0-9]{1,6})$")


def _names(call: Call, members: list[Member], project_id: int, most: int = 10) -> str:
    """Names for a card: the first few, then how many more and where to see them all."""
    if not members:
        return call.t("projects.nobody")
    shown = ", ".join(m.person.label for m in members[:most])
    if len(members) > most:
        shown += call.t("projects.more", count=len(members) - most, id=project_id)
    return shown


def _project_arg(call: Call, command: str, position: int = 0) -> int:
    if len(call.args) <= position:
        raise UsageError(command)
    return parse_project_id(call.args[position])


@guarded(admin=True, private=True)
async def new_project(call: Call) -> None:
    """/newproject <name>"""
    if not call.args:
        raise UsageError("newproject")
    project = await call.services.projects.create_project(call.user.id, " ".join(call.args))
    await call.say("project.created", id=project.id, name=project.name, timezone=project.timezone)


async def _projects_page(call: Call, page: int) -> tuple[str, list[list[OutgoingButton]]]:
    projects = call.services.projects
    total, overviews = await projects.overview(call.user.id, page * PAGE_SIZE, PAGE_SIZE)
    if total == 0:
        return call.t("projects.empty"), []
    pages = (total + PAGE_SIZE - 1) // PAGE_SIZE
    lines = [call.t("projects.header", total=total, page=page + 1, pages=pages)]
    schedules = call.services.schedules
    lines += [
        _overview_line(
            call,
            overview,
            schedules.describe(await schedules.schedule_of(overview.project.id), call.lang),
        )
        for overview in overviews
    ]
    buttons = []
    if page > 0:
        buttons.append(OutgoingButton(call.t("button.prev"), f"pj:{page - 1}"))
    if page + 1 < pages:
        buttons.append(OutgoingButton(call.t("button.next"), f"pj:{page + 1}"))
    return clip("\n\n".join(lines)), [buttons] if buttons else []


def _overview_line(call: Call, overview: ProjectOverview, schedule: str) -> str:
    project = overview.project
    return call.t(
        "projects.line",
        id=project.id,
        name=project.name,
        status=call.t(f"status.{project.status}"),
        schedule=schedule,
        secretaries=_names(call, overview.secretaries, project.id, most=3),
        leaders=_names(call, overview.leaders, project.id, most=3),
    )


@guarded(admin=True, private=True)
async def list_projects(call: Call) -> None:
    """/projects"""
    text, buttons = await _projects_page(call, 0)
    await call.reply(text, buttons)


@guarded(admin=True, private=True)
async def projects_page(call: Call) -> None:
    """Previous/next buttons under /projects."""
    query = call.update.callback_query
    assert query is not None
    match = PAGE_CALLBACK.match(query.data or "")
    if match is None:
        log.warning("malformed page callback %r from %s", (query.data or "")[:80], call.user.id)
        raise UserError("error.stale_button")
    text, buttons = await _projects_page(call, int(match[1]))
    await answer_press(query, None, show_alert=False)
    await edit_pressed(query, text, tuple(tuple(row) for row in buttons))


@guarded(admin=True, private=True)
async def show_project(call: Call) -> None:
    """/project <id>, or /project <id> dept d<id> (a supporting department)"""
    if len(call.args) > 1 and keyword(call.args[1]) in {"dept", "部门", "帮扶部门"}:
        await departments.support(call)
        return
    project_id = _project_arg(call, "project")
    projects = call.services.projects
    project = await projects.project(project_id)
    members = await projects.members(project_id)
    group = await projects.group_of(project_id)
    schedules = call.services.schedules
    schedule = schedules.describe(await schedules.schedule_of(project_id), call.lang)
    upcoming = await schedules.next_slot_of(project_id)
    if upcoming is not None:
        schedule += call.t("project.next_slot", next=format_local(upcoming, project.timezone))
    card = call.t(
        "project.card",
        id=project.id,
        name=project.name,
        status=call.t(f"status.{project.status}"),
        timezone=project.timezone,
        created=format_local(project.created_at, project.timezone),
        schedule=schedule,
        secretaries=_names(call, [m for m in members if m.role == "secretary"], project.id),
        leaders=_names(call, [m for m in members if m.role == "leader"], project.id),
        group=_group_line(call, group),
        departments=departments.supporting_line(
            call, (await call.services.departments.supporting([project.id]))[project.id]
        ),
    )
    plan = await call.services.plans.describe(project, call.lang)
    await call.reply_lines([card, call.t("plan.header_short"), *plan])


def _group_line(call: Call, group: GroupBinding | None) -> str:
    if group is None:
        return call.t("project.no_group")
    name = group.title or str(group.chat_id)
    if group.bot_status in {"gone", "muted"}:
        name += call.t(f"project.group_{group.bot_status}")
    return name


@guarded(admin=True, private=True)
async def rename(call: Call) -> None:
    """/rename <id> <name>"""
    if len(call.args) < 2:
        raise UsageError("rename")
    project_id = parse_project_id(call.args[0])
    project = await call.services.projects.rename(call.user.id, project_id, " ".join(call.args[1:]))
    await call.say("project.renamed", id=project.id, name=project.name)


@guarded(admin=True, private=True)
async def archive(call: Call) -> None:
    """/archive <id>"""
    project_id = _project_arg(call, "archive")
    project = await call.services.projects.set_archived(call.user.id, project_id, True)
    await call.say("project.archived", id=project.id, name=project.name)


@guarded(admin=True, private=True)
async def unarchive(call: Call) -> None:
    """/unarchive <id>"""
    project_id = _project_arg(call, "unarchive")
    project = await call.services.projects.set_archived(call.user.id, project_id, False)
    await call.say("project.unarchived", id=project.id, name=project.name)


@guarded(admin=True, private=True)
async def invite(call: Call) -> None:
    """/invite <id> secretary|leader [单位 …] [职务 …], /invite d<id> liaison|head, or
    /invite admin"""
    if call.args and is_department_ref(call.args[0]):
        await departments.invite(call)
        return
    args = [keyword(a) for a in call.args]
    projects = call.services.projects
    if args == ["admin"]:
        token, expires_at, _ = await projects.create_invite(call.user.id, None, "admin")
        role_key = None
    elif len(args) >= 2 and args[1] in {"secretary", "leader"}:
        project_id = parse_project_id(args[0])
        role: Role = "secretary" if args[1] == "secretary" else "leader"
        # 单位 … 职务 …: how official documents will name whoever joins (as /person sets it).
        official = official_fields(call.args[2:], "invite")
        token, expires_at, project = await projects.create_invite(
            call.user.id, project_id, role, official
        )
        role_key = f"role.{role}"
    else:
        raise UsageError("invite")
    link = f"https://t.me/{call.services.bot_username}?start={token}"
    expires = format_local(expires_at, call.services.settings.default_timezone)
    if role_key is None:
        await call.say("invite.created_admin", link=link, expires=expires)
    else:
        assert project is not None
        await call.say(
            "invite.created",
            role=call.t(role_key),
            id=project.id,
            name=project.name,
            link=link,
            expires=expires,
        )


async def _members(call: Call, project_id: int) -> tuple[str, list[str]]:
    projects = call.services.projects
    project = await projects.project(project_id)
    current = await projects.members(project_id)
    if not current:
        return call.t("members.empty", id=project_id), []
    lines = [
        call.t(
            "members.line",
            label=member.person.label,
            role=call.t(f"role.{member.role}"),
            user_id=member.person.user_id,
            since=format_local(member.added_at, project.timezone)[:10],
            unreachable="" if member.person.reachable else call.t("members.unreachable"),
        )
        for member in current
    ]
    supporting = (await call.services.departments.supporting([project.id]))[project.id]
    if supporting:
        lines.append(
            call.t("members.departments", departments=departments.supporting_line(call, supporting))
        )
    return call.t("members.header", id=project.id, name=project.name), lines


MEMBERS = Listing(_members)


@guarded(admin=True, private=True)
async def members(call: Call) -> None:
    """/members <id>"""
    await show(call, "members", _project_arg(call, "members"), MEMBERS)


@guarded(admin=True, private=True)
async def remove(call: Call) -> None:
    """/remove <id> <user id or @username>, or /remove d<id> <who>"""
    if len(call.args) != 2:
        raise UsageError("remove")
    if is_department_ref(call.args[0]):
        await departments.remove(call)
        return
    project_id = parse_project_id(call.args[0])
    person, count = await call.services.projects.remove_member(
        call.user.id, project_id, call.args[1]
    )
    await call.say("members.removed", who=person.label, id=project_id, count=count)
    # Their menu no longer offers what they may no longer do.
    await call.services.publish_menu(person.user_id)


@guarded(admin=True)
async def set_group(call: Call) -> None:
    """/setgroup [id], sent in the leadership group (inside a topic to bind that topic)."""
    chat = call.update.effective_chat
    if chat is None or chat.type not in {ChatType.GROUP, ChatType.SUPERGROUP}:
        raise UserError("error.group_only")
    if len(call.args) > 1:
        raise UsageError("setgroup")
    project_id = parse_project_id(call.args[0]) if call.args else None
    message = call.message
    thread_id = message.message_thread_id if message.is_topic_message else None
    project = await call.services.projects.bind_group(
        call.user.id, chat.id, thread_id, chat.title, project_id
    )
    if project is None:
        text = call.t("group.bound_all")
    else:
        text = call.t("group.bound_project", id=project.id, name=project.name)
    if thread_id is not None:
        text += call.t("group.topic")
    await call.reply(text)


@guarded(admin=True, private=True)
async def list_admins(call: Call) -> None:
    """/admins"""
    lines = [call.t("admins.header")]
    for admin in await call.services.registry.admins():
        lines.append(
            call.t(
                "admins.line",
                label=admin.person.label if admin.person else call.t("admins.unknown_name"),
                user_id=admin.user_id,
                config=call.t("admins.config") if admin.from_config else "",
            )
            + (
                call.t(f"admins.scope_{admin.scope[0]}", value=admin.scope[1])
                if admin.scope is not None
                else ""
            )
        )
    await call.reply_lines(lines)


@guarded(admin=True, private=True)
async def scope_admin(call: Call) -> None:
    """/admin <@user|user id> line <工作线>|area <属地>|all"""
    user_id, scope = await call.services.registry.set_admin_scope(call.user.id, call.args)
    if scope is None:
        await call.say("admins.scope_cleared", user_id=user_id)
        return
    kind, value = scope.split(":", 1)
    await call.say(f"admins.scoped_{kind}", user_id=user_id, value=value)


@guarded(admin=True, private=True)
async def remove_admin(call: Call) -> None:
    """/removeadmin <user id>"""
    if len(call.args) != 1:
        raise UsageError("removeadmin")
    user_id = await call.services.registry.remove_admin(call.user.id, call.args[0])
    await call.say("admins.removed", user_id=user_id)
    await call.services.publish_menu(user_id)


@guarded()
async def unknown_button(call: Call) -> None:
    """A button press whose data matches no handler: forged, or from an older version."""
    query = call.update.callback_query
    assert query is not None
    log.warning("unknown callback data %r from %s", (query.data or "")[:80], call.user.id)
    await answer_press(query, call.t("error.stale_button"), show_alert=True)


@guarded(admin=True, private=True)
async def forget(call: Call) -> None:
    """/forget <user id>"""
    user_id, placeholder = await call.services.registry.forget(call.user.id, call.args)
    await call.say("forget.done", id=user_id, placeholder=placeholder)


@guarded(admin=True, private=True)
async def person(call: Call) -> None:
    """/person <@user|user id> [单位 …] [职务 …]"""
    found = await call.services.registry.set_official(call.user.id, call.args)
    await call.say(
        "person.shown",
        label=found.label,
        unit=found.unit or "–",
        title=found.title or "–",
        official=found.official,
    )
