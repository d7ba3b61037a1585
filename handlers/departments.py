"""Department commands and buttons: /newdept, /depts, /dept, /renamedept, /archivedept,
/sitin, /recall; the department's card buttons (dp:), the problem card's department list (dh:),
and 坐班 sign-in (si: and a shared location)."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import format_local
from bot.departments.figures import DepartmentFigures
from bot.errors import UsageError
from bot.ledger.cards import format_age
from bot.parsing import parse_problem_id
from handlers.checkin import apply_press, press_handler
from handlers.common import Call, guarded, kick_outbox
from storage.departments import Department


@guarded(admin=True, private=True)
async def new_department(call: Call) -> None:
    """/newdept <name>"""
    if not call.args:
        raise UsageError("newdept")
    department = await call.services.departments.create(call.user.id, " ".join(call.args))
    await call.say("dept.created", id=department.id, name=department.name)


def figures_line(call: Call, figures: DepartmentFigures) -> str:
    def span(value: timedelta | None) -> str:
        return format_age(value, call.lang) if value is not None else "—"

    return call.t(
        "dept.line",
        id=figures.department.id,
        name=figures.department.name,
        open=figures.open,
        overdue=figures.overdue,
        received=figures.received,
        signed=figures.signed_in_time,
        done=figures.done,
        on_time=figures.done_on_time,
        sign=span(figures.median_sign),
        finish=span(figures.median_finish),
        present=figures.sitins_present,
        due=figures.sitins_due,
    )


@guarded(private=True)
async def list_departments(call: Call) -> None:
    """/depts: every active department with its figures (admins and leaders)."""
    if not call.caller.is_admin and "leader" not in call.caller.roles:
        await call.say("error.not_admin")
        return
    figures = await call.services.departments.figures()
    if not figures:
        await call.say("dept.empty")
        return
    await call.reply_lines([call.t("dept.header"), *(figures_line(call, f) for f in figures)])


@guarded(private=True)
async def show_department(call: Call) -> None:
    """/dept <id>: its people, what it holds, the projects it supports."""
    if len(call.args) != 1:
        raise UsageError("dept")
    card = await call.services.departments.card(call.user.id, call.args[0])
    department = card.department
    tz = call.services.settings.default_timezone
    lines = [
        call.t(
            "dept.card",
            id=department.id,
            name=department.name,
            status=call.t(f"status.{department.status}"),
            sitin=call.services.sitins.describe(department, call.lang),
        )
    ]
    people = [
        call.t("dept.person", label=m.person.label, role=call.t(f"role.{m.role}"))
        for m in card.members
    ]
    lines.append(call.t("dept.people", people="\n".join(people) or call.t("projects.nobody")))
    if card.projects:
        names = ", ".join(f"{p.id} {p.name}" for p in card.projects)
        lines.append(call.t("dept.supports", projects=names))
    if card.holding:
        lines.append(call.t("dept.holding", count=len(card.holding)))
        for handover in card.holding:
            lines.append(
                call.t(
                    "dept.holding_line",
                    id=handover.problem_id,
                    status=call.t(f"handover.status_{handover.status}"),
                    deadline=format_local(handover.deadline, tz),
                    overdue=call.t("problem.overdue_mark")
                    if handover.deadline <= call.services.clock.now() and handover.status != "done"
                    else "",
                )
            )
    else:
        lines.append(call.t("dept.holding_none"))
    await call.reply_lines(lines)


@guarded(admin=True, private=True)
async def rename_department(call: Call) -> None:
    """/renamedept d<id> <name>"""
    department = await call.services.departments.rename(call.user.id, call.args)
    await call.say("dept.renamed", id=department.id, name=department.name)


@guarded(admin=True, private=True)
async def archive_department(call: Call) -> None:
    """/archivedept d<id>"""
    department = await call.services.departments.set_archived(call.user.id, call.args, True)
    await call.say("dept.archived_now", id=department.id, name=department.name)


@guarded(admin=True, private=True)
async def sitin(call: Call) -> None:
    """/sitin d<id> <days> <HH:MM>, or /sitin d<id> off"""
    department, _ = await call.services.sitins.set_schedule(call.user.id, call.args)
    await call.say(
        "sitin.set",
        id=department.id,
        name=department.name,
        schedule=call.services.sitins.describe(department, call.lang),
    )


@guarded(private=True)
async def recall(call: Call) -> None:
    """/recall <problem id> d<id>: the office takes an item back from a department."""
    if len(call.args) != 2:
        raise UsageError("recall")
    handover = await call.services.handovers.recall(
        call.user.id, parse_problem_id(call.args[0]), call.args[1]
    )
    await call.say("handover.recalled", id=handover.problem_id, dept=handover.department_name)
    kick_outbox(call.context)


async def invite(call: Call) -> None:
    """/invite d<id> liaison|head (联络员, 负责人), from admin.invite."""
    if len(call.args) != 2:
        raise UsageError("invite")
    token, expires_at, department, role = await call.services.departments.create_invite(
        call.user.id, call.args[0], call.args[1]
    )
    link = f"https://t.me/{call.services.bot_username}?start={token}"
    await call.say(
        "invite.created_dept",
        role=call.t(f"role.{role}"),
        id=department.id,
        name=department.name,
        link=link,
        expires=format_local(expires_at, call.services.settings.default_timezone),
    )


async def support(call: Call) -> None:
    """/project <id> dept d<id>, from admin.show_project."""
    if len(call.args) != 3:
        raise UsageError("project")
    project, department, added = await call.services.departments.support(
        call.user.id, call.args[0], call.args[2]
    )
    key = "dept.supporting" if added else "dept.already_supporting"
    await call.say(key, id=project.id, name=project.name, dept=department.name)


async def remove(call: Call) -> None:
    """/remove d<id> <who>, from admin.remove."""
    person = await call.services.departments.remove_member(call.user.id, call.args[0], call.args[1])
    await call.say("dept.removed", who=person.label, id=call.args[0].strip())
    await call.services.publish_menu(person.user_id)
    kick_outbox(call.context)


async def assign(call: Call, problem_id: int, words: list[str]) -> None:
    """/assign <problem> d<id> [d<id> …] [time limit], from problems.assign."""
    handovers = call.services.handovers
    problem, departments, deadline, without = await handovers.hand(call.user.id, problem_id, words)
    await call.reply(handovers.handed_text(problem, departments, deadline, without, call.lang))
    kick_outbox(call.context)


def supporting_line(call: Call, departments: list[Department]) -> str:
    if not departments:
        return call.t("dept.no_supporting")
    return "、".join(f"d{d.id} {d.name}" for d in departments)


# The department's card (dp:), the problem card's list of departments (dh:), 坐班 (si:).
card_button = guarded(private=True)(press_handler(lambda services: services.work))
sitin_button = guarded(private=True)(press_handler(lambda services: services.sitins))


@guarded()
async def pick_button(call: Call) -> None:
    """A department chosen from the problem card's 交办部门 list (also under a card in the
    leadership group: the presser's role is checked, not the chat)."""
    query = call.update.callback_query
    assert query is not None
    result = await call.services.handovers.picked(call.user.id, query.data or "", call.lang)
    await apply_press(call, result)
    kick_outbox(call.context)


@guarded(private=True)
async def location(call: Call) -> None:
    """A shared location: a 坐班 sign-in when one is open for the sender."""
    shared = call.message.location
    if shared is None:
        return
    reply = await call.services.sitins.location(
        call.user.id, shared.latitude, shared.longitude, call.lang
    )
    await call.send(reply)
