"""Problem ledger commands and the buttons on problem cards (also in the leadership group)."""

from __future__ import annotations

from bot.clock import format_local
from bot.departments.service import is_department_ref
from bot.errors import UsageError
from bot.parsing import parse_problem_id, parse_project_id
from handlers import departments
from handlers.checkin import press_handler
from handlers.common import Call, guarded, kick_outbox
from handlers.paging import Listing, show


def _rest(call: Call, words: int) -> list[str]:
    """The command's arguments, the last one keeping its spaces and line breaks."""
    parts = (call.message.text or "").split(maxsplit=words)
    return parts[1:]


@guarded(private=True)
async def new_problem(call: Call) -> None:
    """/newproblem <project id> [text]"""
    args = _rest(call, 2)
    reply = await call.services.ledger.new_problem(call.user.id, args, call.lang)
    await call.send(reply)


async def _problems(call: Call, project_id: int) -> tuple[str, list[str]]:
    """Unresolved problems of one project (0: of all the user's projects)."""
    ledger = call.services.ledger
    found = await ledger.list_unresolved(call.user.id, str(project_id) if project_id else None)
    if not found:
        return call.t("problems.empty"), []
    lines = [ledger.cards.render_line(problem, call.lang) for problem in found]
    return call.t("problems.header", count=len(found)), lines


PROBLEMS = Listing(_problems, admin=False)


@guarded(private=True)
async def list_problems(call: Call) -> None:
    """/problems [project id]"""
    if len(call.args) > 1:
        raise UsageError("problems")
    project_id = parse_project_id(call.args[0]) if call.args else 0
    await show(call, "problems", project_id, PROBLEMS)


@guarded(private=True)
async def show_problem(call: Call) -> None:
    """/problem <problem id>"""
    if len(call.args) != 1:
        raise UsageError("problem")
    replies = await call.services.ledger.show(call.user.id, call.args[0], call.lang)
    for reply in replies:
        await call.send(reply)
    problem_id = parse_problem_id(call.args[0])
    for card in await call.services.handovers.cards_for(call.user.id, problem_id, call.lang):
        await call.send(card)


@guarded(private=True)
async def note(call: Call) -> None:
    """/note <problem id> <text>"""
    args = _rest(call, 2)
    if len(args) != 2:
        raise UsageError("note")
    problem = await call.services.ledger.note(call.user.id, parse_problem_id(args[0]), args[1])
    await call.say("problem.noted", id=problem.id)


@guarded(private=True)
async def resolve(call: Call) -> None:
    """/resolve <problem id> [note]"""
    args = _rest(call, 2)
    if not args:
        raise UsageError("resolve")
    problem = await call.services.decisions.resolve(
        call.user.id, parse_problem_id(args[0]), args[1] if len(args) > 1 else None
    )
    await call.say(
        "problem.claimed" if problem.status == "awaiting" else "problem.resolved", id=problem.id
    )
    owed = await call.services.answers.still_owed(call.user.id, problem.project_id, call.lang)
    if owed is not None:
        await call.reply(owed)
    kick_outbox(call.context)


@guarded(private=True)
async def reopen(call: Call) -> None:
    """/reopen <problem id> <reason>: 退回重办, also of a crossing-off awaiting confirmation"""
    args = _rest(call, 2)
    if len(args) != 2:
        raise UsageError("reopen")
    decisions = call.services.decisions
    problem, sent_back = await decisions.reopen(call.user.id, parse_problem_id(args[0]), args[1])
    if sent_back:
        await call.say("problem.sent_back", id=problem.id)
    else:
        deadline = format_local(problem.deadline, problem.project_timezone)
        await call.say("problem.reopened", id=problem.id, deadline=deadline)
    kick_outbox(call.context)


@guarded(private=True)
async def extend(call: Call) -> None:
    """/extend <problem id> <duration> <reason>"""
    args = _rest(call, 3)
    if len(args) != 3:
        raise UsageError("extend")
    problem = await call.services.decisions.extend(
        call.user.id, parse_problem_id(args[0]), args[1], args[2]
    )
    deadline = format_local(problem.deadline, problem.project_timezone)
    await call.say("problem.extended", id=problem.id, deadline=deadline)
    kick_outbox(call.context)


@guarded(private=True)
async def assign(call: Call) -> None:
    """/assign <problem id> <department or person>, or /assign <problem id> d<id> [time limit]"""
    args = _rest(call, 2)
    if len(args) != 2:
        raise UsageError("assign")
    words = args[1].split()
    if words and is_department_ref(words[0]):
        await departments.assign(call, parse_problem_id(args[0]), words)
        return
    problem = await call.services.decisions.assign(call.user.id, parse_problem_id(args[0]), args[1])
    await call.say("problem.assigned", id=problem.id, assignee=problem.assignee)


@guarded(private=True)
async def deadline(call: Call) -> None:
    """/deadline <problem id> <duration|date> or /deadline default <project id> <duration>"""
    scope, subject, value = await call.services.decisions.set_deadline(call.user.id, call.args)
    if scope == "default":
        await call.say("deadline.default_set", id=subject, duration=value)
    else:
        await call.say("problem.deadline_set", id=subject, deadline=value)


@guarded(private=True)
async def decide(call: Call) -> None:
    """/decide <problem> <text> [d<dept>|@person] [time limit] (admins): a meeting's decision"""
    args = _rest(call, 1)
    if not args:
        raise UsageError("decide")
    await call.send(await call.services.meeting.decide(call.user.id, args[0], call.lang))
    kick_outbox(call.context)


@guarded(private=True)
async def decisions(call: Call) -> None:
    """/decisions (admins): today's decisions to the leadership group, in one message"""
    await call.send(await call.services.meeting.publish(call.user.id, call.lang))
    kick_outbox(call.context)


# Buttons on escalation cards, prompts and report confirmations: pb:<action>:<id>.
button = guarded()(press_handler(lambda services: services.presses))
