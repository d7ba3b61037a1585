"""Plan commands and buttons: /plan, /milestones, /done, /invest, /lines, the monthly
investment prompt's button (iv:) and the explanation card's (ex:)."""

from __future__ import annotations

from telegram import Update

from bot.errors import UsageError
from bot.parsing import keyword, parse_project_id
from bot.plans.money import format_money
from bot.plans.workbook import MAX_BYTES
from handlers import checkin
from handlers.checkin import press_handler
from handlers.common import Call, Context, guarded

INVESTMENT_WORDS = {"investment", "投资", "投资填报"}


@guarded(private=True)
async def plan(call: Call) -> None:
    """/plan <id> (admins and the project's people read it), /plan <id> <field> <value>
    (admins set it)."""
    if not call.args:
        raise UsageError("plan")
    if len(call.args) == 1:
        project = await call.services.projects.project(parse_project_id(call.args[0]))
        roles = await call.services.registry.roles_on(call.user.id, project.id)
        if not roles:
            await call.say("error.not_member", id=project.id)
            return
        lines = [call.t("plan.header", id=project.id, name=project.name)]
        lines += await call.services.plans.describe(project, call.lang)
        await call.reply_lines(lines)
        return
    if not call.caller.is_admin:
        await call.say("error.not_admin")
        return
    project, field, value = await call.services.plans.set_field(call.user.id, call.args)
    shown = value
    if field in ("total_investment", "year_investment"):
        shown = format_money(value if isinstance(value, int) else None, call.lang)
    elif field == "stage" and value is not None:
        shown = call.t(f"stage.{value}")
    await call.say(
        "plan.set",
        id=project.id,
        field=call.t(f"plan.field.{field}"),
        value=shown if shown is not None else "–",
    )


@guarded(private=True)
async def milestones(call: Call) -> None:
    """/milestones <id>, or /milestones <id> add <date> <name> [@secretary|d<id>] (admins)"""
    if not call.args:
        raise UsageError("milestones")
    if len(call.args) > 1 and keyword(call.args[1]) in {"add", "添加", "新增"}:
        if not call.caller.is_admin:
            await call.say("error.not_admin")
            return
        project_id, milestone = await call.services.milestones.add(call.user.id, call.args)
        await call.say(
            "milestone.added",
            id=milestone.id,
            project=project_id,
            name=milestone.name,
            day=milestone.planned_on.isoformat(),
        )
        return
    if len(call.args) != 1:
        raise UsageError("milestones")
    await call.reply_lines(
        await call.services.milestones.listing(call.user.id, call.args[0], call.lang)
    )


@guarded(private=True)
async def done(call: Call) -> None:
    """/done <milestone id> [evidence]"""
    milestone = await call.services.milestones.done(call.user.id, call.args)
    key = "milestone.marked" if milestone.on_time() else "milestone.marked_late"
    await call.say(key, id=milestone.id, name=milestone.name, day=str(milestone.done_on))


@guarded(private=True)
async def invest(call: Call) -> None:
    """/invest <project id> <amount> [YYYY-MM]"""
    await call.send(await call.services.investment.command(call.user.id, call.args, call.lang))


@guarded(admin=True, private=True)
async def lines(call: Call) -> None:
    """/lines: the work lines (工作线) and how many projects each has."""
    found = await call.services.repos.plans.lines()
    if not found:
        await call.say("lines.none")
        return
    await call.reply_lines(
        [call.t("lines.header")] + [call.t("lines.line", line=line, count=n) for line, n in found]
    )


@guarded(admin=True, private=True)
async def investment_schedule(call: Call) -> None:
    """/schedule <id> investment monthly <day> <HH:MM> | off"""
    project_id, shown = await call.services.investment.set_schedule(call.user.id, call.args)
    if shown is None:
        await call.say("investment.schedule_off", id=project_id)
    else:
        await call.say("investment.schedule_set", id=project_id, when=shown)


def is_investment_schedule(args: list[str]) -> bool:
    return len(args) > 1 and keyword(args[1]) in INVESTMENT_WORDS


async def schedule(update: Update, context: Context) -> None:
    """/schedule: the monthly investment report here, every other schedule in checkin."""
    if is_investment_schedule(list(context.args or [])):
        await investment_schedule(update, context)
    else:
        await checkin.schedule(update, context)


@guarded(admin=True, private=True)
async def template(call: Call) -> None:
    """/template: the plan workbook to fill in and send back."""
    data = await call.services.imports.template(call.user.id)
    await call.message.reply_document(
        data, filename="bangban-plan-template.xlsx", caption=call.t("import.template_caption")
    )


WORKBOOK_SUFFIXES = (".xlsx", ".xls", ".csv", ".xlsm")


def is_workbook(call: Call) -> bool:
    """A spreadsheet from an admin, with nothing else awaited of them: a plan to import."""
    document = call.message.document
    return bool(
        document is not None
        and call.caller.is_admin
        and call.caller.pending is None
        and (document.file_name or "").lower().endswith(WORKBOOK_SUFFIXES)
    )


async def import_workbook(call: Call) -> None:
    """The filled template, sent back: checked and previewed, nothing written yet."""
    document = call.message.document
    assert document is not None
    name = document.file_name or "plan.xlsx"
    if not name.lower().endswith(".xlsx"):
        await call.say("import.not_xlsx", name=name[:60])
        return
    if (document.file_size or 0) > MAX_BYTES:
        await call.say("import.too_big", mb=MAX_BYTES // (1024 * 1024))
        return
    file = await document.get_file()
    data = bytes(await file.download_as_bytearray())
    await call.send(await call.services.imports.preview(call.user.id, name, data, call.lang))


investment_button = guarded(private=True)(press_handler(lambda services: services.investment))
explain_button = guarded(private=True)(press_handler(lambda services: services.explain))
import_button = guarded(private=True)(press_handler(lambda services: services.imports))
milestone_button = guarded(private=True)(press_handler(lambda services: services.milestones))
