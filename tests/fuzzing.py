"""Random updates for the conversation fuzz (tests/test_fuzz.py) and the fault benchmark:
commands with hostile arguments, texts, forged presses, edits, media, presses without a
message, group chatter and jumps in time, from admins, secretaries, a leader and a stranger."""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from bot.commands import COMMANDS
from storage.pg import PgDatabase
from tests.conftest import ADMIN, Harness
from tests.e2e_helpers import invite_and_join, project_with, run_jobs
from tests.fakebot import FakeGroup, FakeUser
from tests.test_e2e_checkins import SLOT

GROUP_MESSAGES = 15
MEDIA_KINDS = ["photo", "document", "voice", "sticker", "video_note", "dice"]
S1 = FakeUser(2001, "Li Wei", "liwei", "en")
S2 = FakeUser(2002, "王芳", "wangfang", "zh-hans")
LEADER = FakeUser(3001, "Zhang San", "zhangsan", "en")
STRANGER = FakeUser(5001, "Eve", None, None)
GROUP = FakeGroup(-100777, "领导小组", forum=True)
USERS = (ADMIN, S1, S2, LEADER, STRANGER)

ARGS = [
    "1", "2", "3", "99", "0", "-1", "#1", "²", "①", "٣", "abc", "9999999999999",
    "99999999999999999999", "9999999999d", "3d", "4h", "90m", "0m", "2025-13-45", "2026-03-05",
    "2026-3-5", "09:00", "25:00", "9:7", "mon,thu", "mon,,thu", "daily", "weekly", "workdays",
    "off", "secretary", "leader", "admin", "@liwei", "@nobody", "2001", "to", "zh", "en", "fr",
    "default", "|", "a|b|c|d|e|f", "Asia/Shanghai", "Mars/Base", "../../etc", "\u202e", "😀",
    "=1+1", "-5%", "$x^$", "明天", "today", "工" * 200,
    "d1", "d2", "d0", "D1", "d#1", "d99999999999999", "dept", "liaison", "head", "联络员",
    "负责人", "investment", "monthly", "28", "29", "stage", "阶段", "在建", "1.2亿", "-3万",
    "total", "year", "add", "line", "工业线", "completion", "1,234.5",
]  # fmt: skip
ACTIONS = [
    "ok", "pb", "lv", "sk", "pk", "zz", "ack", "res", "x1", "x3", "nt", "rs", "d1", "dx", "sb",
    "sc", "sp", "hd",
]  # fmt: skip


def _words(rng: random.Random) -> str:
    alphabet = "abc 中文进度问题 ①²٣\n\t😀/#@:-|" + "x" * 5
    return "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 60)))


def _command(rng: random.Random) -> str:
    name = rng.choice([c.name for c in COMMANDS] + ["foo", "start", "help"])
    args = [
        rng.choice(ARGS) if rng.random() < 0.8 else _words(rng) for _ in range(rng.randint(0, 4))
    ]
    return " ".join([f"/{name}", *args])


def _callback(rng: random.Random) -> str:
    prefix = rng.choice(
        ["ci", "pb", "pj", "pg", "zz", "ct", "ans", "aw", "nt", "fl", "dp", "dh", "si", "iv", "ex",
         "im", "ms", ""]
    )  # fmt: skip
    number = rng.choice(["1", "2", "3", "99", "0", "²", "-1", "99999999999999999999", ""])
    if prefix in {"ci", "pb"}:
        action = rng.choice(ACTIONS)
        extra = f":{rng.choice(['1', '2', '1020', '²'])}" if action in {"sk", "pk"} else ""
        return f"{prefix}:{action}:{number}{extra}"
    if prefix == "pg":
        kind = rng.choice(["members", "status", "lstatus", "holidays", "problems", "nope"])
        return f"pg:{kind}:{number}:{rng.choice(['0', '1', '9999'])}"
    if prefix in {"ct", "nt", "fl"}:
        action = rng.choice({"ct": "vmcx", "nt": ["pub", "del", "x"], "fl": "apx"}[prefix])
        return f"{prefix}:{action}:{number}"
    if prefix == "dp":
        return f"dp:{rng.choice(['sg', 'rt', 'nt', 'dn', 'zz'])}:{number}"
    if prefix == "dh":
        return f"dh:{number}:{rng.choice(['1', '2', '99', '²'])}"
    if prefix in {"im", "ms"}:
        action = rng.choice({"im": ["ok:", "no:", "x:"], "ms": ["", "d:", "x:"]}[prefix])
        return f"{prefix}:{action}{number}"
    if prefix == "aw":
        days = rng.choice(["20260301", "20261399", "00000000", "2026"])
        return f"aw:{number}:{days}:{days}:{rng.choice(['0', '2001', '9'])}:{number}"
    return f"{prefix}:{number}" if prefix else _words(rng)[:64]


async def setup_world(bot: Harness) -> None:
    """Two projects (one archived), secretaries, a leader, a bound group, an open round."""
    await project_with(bot, "Plant", [S1, S2], "daily 09:00")
    await invite_and_join(bot, 1, "leader", LEADER)
    await project_with(bot, "Old works", [S1])
    await bot.send(ADMIN, "/archive 2")
    await bot.send(ADMIN, "/setgroup 1", group=GROUP)
    await bot.send(STRANGER, "/start")
    bot.clock.set(SLOT)
    await run_jobs(bot)
    await bot.send(S1, "/newproblem 1 Crane broken")
    # A department holding the problem, a plan with a milestone, a monthly report.
    await bot.send(ADMIN, "/newdept Housing Bureau")
    await bot.send(ADMIN, "/assign 1 d1")
    await bot.send(ADMIN, "/sitin d1 workdays 09:00")
    await bot.send(ADMIN, "/plan 1 stage 在建")
    await bot.send(ADMIN, "/milestones 1 add 2026-03-04 Excavation")
    await bot.send(ADMIN, "/schedule 1 investment monthly 2 09:00")


@dataclass
class FuzzReport:
    unanswered: list[str] = field(default_factory=list)
    apologies: int = 0
    methods: Counter[str] = field(default_factory=Counter)


async def fuzz(bot: Harness, rng: random.Random, updates: int) -> FuzzReport:
    """Send ``updates`` random updates one by one, each handled before the next."""
    api, clock = bot.api, bot.clock
    sent: dict[int, list[dict[str, Any]]] = {user.id: [] for user in USERS}
    unanswered: list[str] = []
    group_messages = 0
    for _ in range(updates):
        user = rng.choice(USERS)
        roll = rng.random()
        mark = len(api.calls)
        if roll < 0.40:
            text = _command(rng)
            update = await api.send_text(user, text)
            sent[user.id].append(update)
            await bot.settled(update["update_id"])
            if not api.sent_to(user.id)[-1:] or not [
                c for c in api.calls[mark:] if c.params.get("chat_id") == user.id
            ]:
                unanswered.append(text)
        elif roll < 0.60:
            update = await api.send_text(user, _words(rng) * rng.choice([1, 1, 1, 80]))
            sent[user.id].append(update)
            await bot.settled(update["update_id"])
        elif roll < 0.82:
            shown = [m for (chat, _), m in api.messages.items() if chat == user.id]
            message = rng.choice(shown) if shown and rng.random() < 0.9 else None
            data = _callback(rng)
            query_id = await api.press(user, message, data)
            await bot.settled(api.last_update_id)
            answers = [
                c
                for c in api.calls[mark:] + api.refusals
                if c.method == "answerCallbackQuery" and c.params["callback_query_id"] == query_id
            ]
            if len(answers) != 1:
                unanswered.append(f"press {data!r}: {len(answers)} answers")
        elif roll < 0.87 and sent[user.id]:
            update = await api.edit_text(user, rng.choice(sent[user.id]), _words(rng))
            await bot.settled(update["update_id"])
        elif roll < 0.92:
            await api.send_media(user, rng.choice(MEDIA_KINDS))
            await bot.settled(api.last_update_id)
        elif roll < 0.97 and group_messages < GROUP_MESSAGES:
            # Few: the bot rightly paces a group to 20 messages a minute.
            group_messages += 1
            text = rng.choice(["/setgroup", "/setgroup 1", "/help", "/language en", "hello"])
            await api.send_text(user, text, group=GROUP, thread_id=rng.choice([None, 42]))
            await bot.settled(api.last_update_id)
        else:
            clock.advance(timedelta(minutes=rng.randint(1, 360)))
            await run_jobs(bot)
            await bot.services.escalation.tick()
    await bot.services.outbox.drain()

    report = FuzzReport(unanswered=unanswered, methods=Counter(c.method for c in api.calls))
    report.apologies = len(
        [c for c in api.calls + api.refusals if "something went wrong" in str(c.params.get("text"))]
    )
    return report


# Each query lists rows that break a rule; a sound database returns none.
INVARIANTS = {
    "foreign keys": "PRAGMA foreign_key_check",
    "problem without history": "SELECT id FROM problems p WHERE NOT EXISTS (SELECT 1 FROM events e"
    " WHERE e.subject_id = p.id AND e.kind = 'problem.reported')",
    "answered check-in without an answer": "SELECT c.id FROM checkins c WHERE c.status = 'answered'"
    " AND NOT EXISTS (SELECT 1 FROM answers a WHERE a.checkin_id = c.id AND a.kind != 'skip')",
    "two check-ins of one person in one round": "SELECT round_id, user_id FROM checkins"
    " GROUP BY round_id, user_id HAVING count(*) > 1",
    "message failed for another reason than a blocked user": "SELECT dedupe_key FROM outbox"
    " WHERE status = 'failed' AND coalesce(error, '') NOT LIKE '%blocked%'",
}


async def database_problems(bot: Harness) -> list[str]:
    """What is wrong with the database after the fuzz; empty when it is sound."""
    problems = []
    sqlite = not isinstance(bot.db, PgDatabase)  # PostgreSQL checks references as it writes
    if sqlite:
        check = [tuple(row) for row in await bot.db.fetchall("PRAGMA integrity_check")]
        if check != [("ok",)]:
            problems.append(f"integrity check: {check[:3]}")
    for rule, sql in INVARIANTS.items():
        if sql.startswith("PRAGMA") and not sqlite:
            continue
        rows = await bot.db.fetchall(sql)
        if rows:
            problems.append(f"{rule}: {[tuple(row) for row in rows[:3]]}")
    return problems
