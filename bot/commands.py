"""The command table: who may use each command, its usage line and menu text, in both languages.

One table drives /help, usage replies and the menus published with setMyCommands.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Audience = Literal["everyone", "secretary", "leader", "admin"]
AUDIENCES: tuple[Audience, ...] = ("everyone", "secretary", "leader", "admin")


@dataclass(frozen=True, slots=True)
class Command:
    name: str
    audiences: tuple[Audience, ...]
    usage_en: str
    about_en: str
    usage_zh: str
    about_zh: str


# fmt: off
COMMANDS: tuple[Command, ...] = (
    Command(
        "start",
        ("everyone",),
        "/start",
        "What this bot is and what you can do",
        "/start",
        "机器人介绍及您的身份",
    ),
    Command("help", ("everyone",), "/help", "Commands you can use", "/help", "可用命令"),
    Command(
        "language",
        ("everyone",),
        "/language zh|en",
        "Choose your language",
        "/language zh|en",
        "选择语言",
    ),
    Command(
        "newproject",
        ("admin",),
        "/newproject <name>",
        "Create a project",
        "/newproject <名称>",
        "创建项目",
    ),
    Command("projects", ("admin",), "/projects", "All projects", "/projects", "项目列表"),
    Command(
        "project", ("admin",), "/project <id>", "A project's card", "/project <项目编号>", "项目详情"
    ),
    Command(
        "rename",
        ("admin",),
        "/rename <id> <name>",
        "Rename a project",
        "/rename <项目编号> <名称>",
        "项目更名",
    ),
    Command(
        "archive",
        ("admin",),
        "/archive <id>",
        "Archive a project (data kept, no prompts)",
        "/archive <项目编号>",
        "归档项目（保留数据，不再提醒）",
    ),
    Command(
        "unarchive",
        ("admin",),
        "/unarchive <id>",
        "Make an archived project active again",
        "/unarchive <项目编号>",
        "恢复归档项目",
    ),
    Command(
        "invite",
        ("admin",),
        "/invite <id> secretary|leader  or  /invite admin",
        "Create a one-time invite link",
        "/invite <项目编号> secretary|leader  或  /invite admin",
        "生成一次性邀请链接",
    ),
    Command(
        "members",
        ("admin",),
        "/members <id>",
        "A project's secretaries and leaders",
        "/members <项目编号>",
        "项目成员",
    ),
    Command(
        "remove",
        ("admin",),
        "/remove <id> <user id or @username>",
        "Unassign a person from a project",
        "/remove <项目编号> <用户编号或@用户名>",
        "解除成员身份",
    ),
    Command(
        "setgroup",
        ("admin",),
        "/setgroup [id]  (in the leadership group)",
        "Bind this group as the leadership group",
        "/setgroup [项目编号]（在领导小组群内）",
        "绑定领导小组群",
    ),
    Command("admins", ("admin",), "/admins", "List admins", "/admins", "管理员列表"),
    Command("removeadmin", ("admin",), "/removeadmin <user id>", "Take away an admin's rights",
            "/removeadmin <用户编号>", "移除管理员"),
    Command("schedule", ("admin",),
            "/schedule <id> daily HH:MM | weekly mon,thu HH:MM | workdays HH:MM [timezone] | off",
            "Set a project's check-in schedule",
            "/schedule <项目编号> daily HH:MM | weekly mon,thu HH:MM | workdays HH:MM [时区] | off",
            "设置报到安排"),
    Command("window", ("admin",), "/window <id> <duration, e.g. 4h>", "How long a round stays open",
            "/window <项目编号> <时长，如 4h>", "设置每轮报到开放时长"),
    Command("questions", ("admin",), "/questions <id> <question 1> | <question 2> …  or  /questions <id> default",
            "Ask up to five questions of your own",
            "/questions <项目编号> <问题1> | <问题2> …  或  /questions <项目编号> default",
            "自定义报到问题（最多 5 个）"),
    Command("checkinnow", ("admin",), "/checkinnow <id>", "Open a check-in round now",
            "/checkinnow <项目编号>", "立即发起报到"),
    Command("status", ("admin",), "/status <id>", "Who answered the current or last round",
            "/status <项目编号>", "本轮报到情况"),
    Command("holiday", ("admin",), "/holiday <YYYY-MM-DD> [to <YYYY-MM-DD>]", "Mark official holidays",
            "/holiday <YYYY-MM-DD> [to <YYYY-MM-DD>]", "录入节假日"),
    Command("workday", ("admin",), "/workday <YYYY-MM-DD>", "Mark an adjusted working day",
            "/workday <YYYY-MM-DD>", "录入调休上班日"),
    Command("holidays", ("admin",), "/holidays [year]", "Review the workday calendar",
            "/holidays [年份]", "查看工作日日历"),
    Command("checkin", ("secretary",), "/checkin", "Answer today's check-in now",
            "/checkin", "立即报到"),
    Command("leave", ("secretary",), "/leave <YYYY-MM-DD> [<YYYY-MM-DD>]", "Declare leave ahead",
            "/leave <YYYY-MM-DD> [<YYYY-MM-DD>]", "提前请假"),
    Command("newproblem", ("secretary", "leader", "admin"), "/newproblem <project id> [text]", "Report a problem",
            "/newproblem <项目编号> [问题描述]", "反映问题"),
    Command("problems", ("secretary", "leader", "admin"), "/problems [project id]", "Unresolved problems, by deadline",
            "/problems [项目编号]", "帮办台帐未销号问题"),
    Command("problem", ("secretary", "leader", "admin"), "/problem <problem id>", "A problem with its full history",
            "/problem <问题编号>", "问题详情及办理记录"),
    Command("note", ("secretary", "leader", "admin"), "/note <problem id> <text>", "Add a progress note",
            "/note <问题编号> <进展>", "填写问题进展"),
    Command("resolve", ("secretary", "leader", "admin"), "/resolve <problem id> [note]", "Mark a problem resolved (销号)",
            "/resolve <问题编号> [说明]", "问题销号"),
    Command("reopen", ("leader", "admin"), "/reopen <problem id> <reason>", "Reopen a resolved problem",
            "/reopen <问题编号> <原因>", "重新打开问题"),
    Command("extend", ("leader", "admin"), "/extend <problem id> <duration> <reason>", "Extend a deadline",
            "/extend <问题编号> <时长> <原因>", "延长帮办时限"),
    Command("assign", ("leader", "admin"), "/assign <problem id> <department or person>", "Assign a problem",
            "/assign <问题编号> <责任单位或人>", "交办问题"),
    Command("deadline", ("leader", "admin"),
            "/deadline <problem id> <duration or YYYY-MM-DD>  or  /deadline default <project id> <duration>",
            "Set a deadline (帮办时限)",
            "/deadline <问题编号> <时长或 YYYY-MM-DD>  或  /deadline default <项目编号> <时长>",
            "设置帮办时限"),
)
# fmt: on

BY_NAME: dict[str, Command] = {command.name: command for command in COMMANDS}


def usage(name: str, language: str) -> str:
    """The usage line of one command in ``language``."""
    command = BY_NAME[name]
    return command.usage_en if language == "en" else command.usage_zh


def about(name: str, language: str) -> str:
    command = BY_NAME[name]
    return command.about_en if language == "en" else command.about_zh


def for_audiences(audiences: set[Audience]) -> list[Command]:
    """Commands visible to someone with these audiences, in table order."""
    return [command for command in COMMANDS if audiences & set(command.audiences)]
