"""Translation catalogs (zh-CN and en) and the lookup function.

Texts are plain (no parse mode), so user-supplied names never need escaping.
"""

from __future__ import annotations

from string import Formatter
from typing import Any

LANGUAGES = ("zh-CN", "en")


def normalize_language(code: str | None) -> str | None:
    """Map a Telegram language code or a user's choice to a catalog name."""
    if not code:
        return None
    code = code.strip().lower()
    if code.startswith("zh") or code in {"cn", "中文"}:
        return "zh-CN"
    if code.startswith("en"):
        return "en"
    return None


def t(language: str, key: str, **params: Any) -> str:
    """Render ``key`` in ``language``; unknown languages fall back to zh-CN."""
    catalog = CATALOGS.get(language) or CATALOGS["zh-CN"]
    return catalog[key].format(**params)


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` in a catalog entry."""
    return {name for _, name, _, _ in Formatter().parse(text) if name}


EN: dict[str, str] = {
    # roles
    "role.secretary": "first-handling secretary",
    "role.leader": "chief responsible leader",
    "role.admin": "admin",
    "status.active": "active",
    "status.archived": "archived",
    # general
    "error.generic": "Sorry, something went wrong. The admins have been told; please try again.",
    "error.not_admin": "Only admins can use this command.",
    "error.private_only": "Please send this command to me in a private chat.",
    "error.group_only": "Send /setgroup inside the leadership group chat, as an admin.",
    "error.bad_id": "“{value}” is not a project id. Ids are numbers; see /projects.",
    "error.unknown_project": "There is no project with id {id}. See /projects.",
    "error.archived_project": "Project {id} is archived. Use /unarchive {id} first.",
    "error.name_empty": "The name must not be empty.",
    "error.name_too_long": "The name is too long ({length} characters; at most 200).",
    "error.name_control": "The name must not contain control characters.",
    "error.unknown_person": "{who} is not a member of project {id}. See /members {id}.",
    "error.unknown_command": "I don't know that command. /help lists what you can do.",
    "error.stale_button": "This button is out of date.",
    "usage": "Usage: {usage}",
    # /start and help
    "start.intro": (
        "Bangban (帮办) keeps construction projects moving: first-handling secretaries check"
        " in on schedule, problems go into the service ledger with a deadline and are crossed"
        " off when solved, problems not solved in time are escalated to the chief responsible"
        " leader and then to the leadership group, and missed check-ins are named in notices."
    ),
    "start.roles": "Your roles:\n{roles}",
    "start.no_roles": (
        "You have no role yet. Ask the project service office (an admin) for an invite link."
    ),
    "start.admin_line": "• admin",
    "start.member_line": "• {role} of project {id} “{name}”",
    "start.more": "Send /help for your commands.",
    "help.header": "Commands you can use:",
    "help.section.everyone": "For everyone",
    "help.section.secretary": "Secretaries",
    "help.section.leader": "Leaders",
    "help.section.admin": "Admins",
    "language.set": "Language set to English.",
    "language.usage": "Usage: /language zh|en",
    # invites
    "invite.created": (
        "Invite for {role} of project {id} “{name}”. Send this link to that person; it works"
        " once and expires {expires}:\n{link}"
    ),
    "invite.created_admin": (
        "Admin invite. Send this link to the new admin; it works once and expires {expires}:\n{link}"
    ),
    "invite.redeemed": "Welcome, {name}! You are now {role} of project {id} “{project}”.",
    "invite.redeemed_admin": "Welcome, {name}! You are now an admin of Bangban. /help lists your commands.",
    "invite.next_secretary": (
        "You will get check-in prompts here on the project's schedule. /help lists your commands."
    ),
    "invite.next_leader": (
        "Problems of this project that are not solved in time will be escalated to you here."
        " /help lists your commands."
    ),
    "invite.unknown": "This invite link is not valid. Ask an admin for a new one.",
    "invite.used": "This invite link has already been used. Ask an admin for a new one.",
    "invite.expired": "This invite link has expired. Ask an admin for a new one.",
    "invite.archived": "The project of this invite is archived. Ask an admin.",
    "invite.already": "You already are {role} of project {id}. Nothing changed.",
    "invite.already_admin": "You already are an admin. Nothing changed.",
    "invite.throttled": "Too many invalid invite links. Please wait a few minutes and try again.",
    "invite.notify_admins": "{name} joined project {id} “{project}” as {role}.",
    "invite.notify_admins_admin": "{name} joined as admin.",
    # projects
    "project.created": (
        "Project {id} “{name}” created (timezone {timezone}).\nNext steps:\n"
        "• /invite {id} secretary — invite the first-handling secretary\n"
        "• /invite {id} leader — invite the chief responsible leader\n"
        "• /setgroup {id} in the leadership group — bind its group chat"
    ),
    "project.renamed": "Project {id} renamed to “{name}”.",
    "project.archived": "Project {id} “{name}” archived. Its data is kept; it gets no prompts.",
    "project.unarchived": "Project {id} “{name}” is active again.",
    "project.already_archived": "Project {id} is already archived.",
    "project.already_active": "Project {id} is already active.",
    "projects.empty": "No projects yet. Create one with /newproject <name>.",
    "projects.header": "Projects ({total}), page {page} of {pages}:",
    "projects.line": "#{id} {name} — {status}\n   schedule: {schedule}\n   secretaries: {secretaries}\n   leaders: {leaders}",
    "projects.nobody": "none",
    "projects.no_schedule": "not set",
    "button.prev": "◀ Previous",
    "button.next": "Next ▶",
    "project.card": (
        "Project #{id} “{name}”\nStatus: {status}\nTimezone: {timezone}\nCreated: {created}\n"
        "Schedule: {schedule}\nSecretaries: {secretaries}\nLeaders: {leaders}\n"
        "Leadership group: {group}"
    ),
    "project.no_group": "not bound",
    # members
    "members.header": "Members of project {id} “{name}”:",
    "members.line": "• {label} — {role}, id {user_id}, since {since}{unreachable}",
    "members.unreachable": " (has blocked the bot)",
    "members.empty": "Project {id} has no members yet. Use /invite {id} secretary|leader.",
    "members.removed": "{who} no longer serves project {id} ({count} role(s) ended; history kept).",
    # groups
    "group.bound_all": "This chat is now the leadership group for all projects.",
    "group.bound_project": "This chat is now the leadership group of project {id} “{name}”.",
    "group.topic": " Posts will go to this topic.",
    # admins
    "admins.header": "Admins:",
    "admins.line": "• {label} (id {user_id}){config}",
    "admins.config": " — from configuration",
    "admins.unknown_name": "not yet seen",
    # error reports to admins
    "report.error": "⚠️ Error while handling update {update_id}: {error}",
    "notice.unreachable": "{name} has blocked the bot and gets no messages until they send /start again.",
}

ZH: dict[str, str] = {
    "role.secretary": "首办秘书",
    "role.leader": "首席负责人",
    "role.admin": "管理员",
    "status.active": "在办",
    "status.archived": "已归档",
    "error.generic": "抱歉，处理时出现问题，已通知管理员，请稍后再试。",
    "error.not_admin": "只有管理员（365帮办办公室）可以使用此命令。",
    "error.private_only": "请在与我的私聊中发送此命令。",
    "error.group_only": "请由管理员在领导小组群内发送 /setgroup。",
    "error.bad_id": "“{value}”不是项目编号。编号是数字，请查看 /projects。",
    "error.unknown_project": "没有编号为 {id} 的项目，请查看 /projects。",
    "error.archived_project": "项目 {id} 已归档，请先使用 /unarchive {id}。",
    "error.name_empty": "名称不能为空。",
    "error.name_too_long": "名称过长（{length} 个字符，最多 200 个）。",
    "error.name_control": "名称不能包含控制字符。",
    "error.unknown_person": "{who} 不是项目 {id} 的成员，请查看 /members {id}。",
    "error.unknown_command": "没有这个命令。发送 /help 查看可用命令。",
    "error.stale_button": "此按钮已过期。",
    "usage": "用法：{usage}",
    "start.intro": (
        "帮办机器人服务重大项目建设：首办秘书按时报到，问题记入帮办台帐并设定帮办时限，解决后销号；"
        "逾期未解决的问题推送首席负责人，再提请领导小组高位统筹；未按时报到的情况予以通报。"
    ),
    "start.roles": "您的身份：\n{roles}",
    "start.no_roles": "您还没有任何身份。请向365帮办办公室（管理员）索取邀请链接。",
    "start.admin_line": "• 管理员",
    "start.member_line": "• 项目 {id}“{name}”的{role}",
    "start.more": "发送 /help 查看您可用的命令。",
    "help.header": "您可以使用的命令：",
    "help.section.everyone": "所有人",
    "help.section.secretary": "首办秘书",
    "help.section.leader": "首席负责人",
    "help.section.admin": "管理员",
    "language.set": "语言已设置为中文。",
    "language.usage": "用法：/language zh|en",
    "invite.created": (
        "项目 {id}“{name}”{role}邀请链接。请发给本人；链接仅可使用一次，{expires} 失效：\n{link}"
    ),
    "invite.created_admin": "管理员邀请链接。请发给新管理员；链接仅可使用一次，{expires} 失效：\n{link}",
    "invite.redeemed": "欢迎，{name}！您已成为项目 {id}“{project}”的{role}。",
    "invite.redeemed_admin": "欢迎，{name}！您已成为帮办机器人的管理员。发送 /help 查看命令。",
    "invite.next_secretary": "我会按项目的报到安排在这里提醒您报到。发送 /help 查看命令。",
    "invite.next_leader": "本项目逾期未解决的问题会推送给您。发送 /help 查看命令。",
    "invite.unknown": "邀请链接无效，请向管理员索取新链接。",
    "invite.used": "该邀请链接已被使用，请向管理员索取新链接。",
    "invite.expired": "该邀请链接已过期，请向管理员索取新链接。",
    "invite.archived": "该邀请对应的项目已归档，请联系管理员。",
    "invite.already": "您已经是项目 {id} 的{role}，未作更改。",
    "invite.already_admin": "您已经是管理员，未作更改。",
    "invite.throttled": "无效邀请链接尝试次数过多，请几分钟后再试。",
    "invite.notify_admins": "{name} 已作为{role}加入项目 {id}“{project}”。",
    "invite.notify_admins_admin": "{name} 已成为管理员。",
    "project.created": (
        "已创建项目 {id}“{name}”（时区 {timezone}）。\n下一步：\n"
        "• /invite {id} secretary — 邀请首办秘书\n"
        "• /invite {id} leader — 邀请首席负责人\n"
        "• 在领导小组群内发送 /setgroup {id} — 绑定领导小组群"
    ),
    "project.renamed": "项目 {id} 已更名为“{name}”。",
    "project.archived": "项目 {id}“{name}”已归档。数据保留，不再提醒报到。",
    "project.unarchived": "项目 {id}“{name}”已恢复在办。",
    "project.already_archived": "项目 {id} 已是归档状态。",
    "project.already_active": "项目 {id} 已是在办状态。",
    "projects.empty": "还没有项目。使用 /newproject <名称> 创建。",
    "projects.header": "项目（共 {total} 个），第 {page}/{pages} 页：",
    "projects.line": "#{id} {name} — {status}\n   报到安排：{schedule}\n   首办秘书：{secretaries}\n   首席负责人：{leaders}",
    "projects.nobody": "无",
    "projects.no_schedule": "未设置",
    "button.prev": "◀ 上一页",
    "button.next": "下一页 ▶",
    "project.card": (
        "项目 #{id}“{name}”\n状态：{status}\n时区：{timezone}\n创建：{created}\n"
        "报到安排：{schedule}\n首办秘书：{secretaries}\n首席负责人：{leaders}\n领导小组群：{group}"
    ),
    "project.no_group": "未绑定",
    "members.header": "项目 {id}“{name}”成员：",
    "members.line": "• {label} — {role}，编号 {user_id}，{since} 起{unreachable}",
    "members.unreachable": "（已屏蔽机器人）",
    "members.empty": "项目 {id} 还没有成员。使用 /invite {id} secretary|leader 邀请。",
    "members.removed": "{who} 已不再服务项目 {id}（结束 {count} 个身份，历史保留）。",
    "group.bound_all": "本群已设为所有项目的领导小组群。",
    "group.bound_project": "本群已设为项目 {id}“{name}”的领导小组群。",
    "group.topic": "消息将发送到本话题。",
    "admins.header": "管理员：",
    "admins.line": "• {label}（编号 {user_id}）{config}",
    "admins.config": " — 来自配置",
    "admins.unknown_name": "尚未与机器人对话",
    "report.error": "⚠️ 处理更新 {update_id} 时出错：{error}",
    "notice.unreachable": "{name} 已屏蔽机器人，在其重新发送 /start 之前收不到任何消息。",
}

CATALOGS: dict[str, dict[str, str]] = {"en": EN, "zh-CN": ZH}
