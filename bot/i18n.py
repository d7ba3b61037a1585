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
    "project.next_slot": "; next: {next}",
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
    # schedules and calendar
    "error.bad_time": "“{value}” is not a time. Use HH:MM, e.g. 09:00.",
    "error.bad_weekdays": "“{value}” is not a list of weekdays. Use e.g. mon,thu.",
    "error.bad_timezone": "“{value}” is not an IANA timezone, e.g. Asia/Shanghai.",
    "error.bad_date": "“{value}” is not a date. Use YYYY-MM-DD, e.g. 2026-10-01.",
    "error.bad_duration": "“{value}” is not a duration. Use e.g. 90m, 4h or 2d.",
    "error.window_range": "The window must be between 5 minutes and 7 days.",
    "error.no_schedule": "Project {id} has no schedule yet. Set one with /schedule first.",
    "error.too_many_questions": "At most 5 questions ({count} given).",
    "error.text_too_long": "The text is too long ({length} characters; at most {limit}).",
    "error.no_secretaries": "Project {id} has no secretaries yet. Invite one with /invite {id} secretary.",
    "error.not_yours": "This button is not for you.",
    "error.not_secretary": "Only first-handling secretaries can use this command.",
    "error.date_order": "The end date is before the start date.",
    "error.leave_too_long": "At most one year at a time.",
    "weekday.0": "Mon",
    "weekday.1": "Tue",
    "weekday.2": "Wed",
    "weekday.3": "Thu",
    "weekday.4": "Fri",
    "weekday.5": "Sat",
    "weekday.6": "Sun",
    "schedule.daily": "daily at {time}",
    "schedule.weekly": "weekly on {days} at {time}",
    "schedule.workdays": "official workdays at {time}",
    "schedule.window": ", window {window}",
    "schedule.set": "Project {id}: check-ins {schedule}. Next: {next}.",
    "schedule.none_next": "none within a year",
    "schedule.off": "Project {id}: scheduled check-ins are off.",
    "window.set": "Project {id}: rounds stay open for {window}.",
    "questions.set": "Project {id}: secretaries will be asked {count} question(s), one after another:\n{questions}",
    "questions.default": "Project {id}: back to the default question.",
    "notice.calendar_fallback": (
        "The official holiday calendar for {year} is not available yet. Until it is, workday"
        " schedules use Monday–Friday. Enter holidays and adjusted workdays with /holiday and"
        " /workday."
    ),
    "holiday.added": "Marked as holiday (no workday prompts): {days}.",
    "workday.added": "Marked as adjusted working day (prompted): {day}.",
    "holidays.header": "Calendar {year}: {coverage}",
    "holidays.covered": "official calendar available; your entries take precedence.",
    "holidays.not_covered": "official calendar not available yet (Monday–Friday used).",
    "holidays.line": "• {day} — {kind}",
    "holidays.none": "No entries of your own.",
    "holidays.kind.holiday": "holiday",
    "holidays.kind.workday": "adjusted working day",
    # rounds
    "button.all_ok": "✅ All on track",
    "button.problem": "⚠️ Report a problem",
    "button.leave": "🏖 On leave today",
    "button.skip": "Skip question",
    "checkin.prompt_header": "📋 Check-in: project {id} “{project}”, {date} (open until {closes})",
    "checkin.open_problems": "Open problems ({count}):",
    "checkin.problem_line": "• #{id} {text} — deadline {deadline}{overdue}",
    "problem.overdue_mark": " ⏰ overdue",
    "checkin.question": "Question {n}/{total}: {text}",
    "checkin.question_default": "What progress has the project made since the last check-in (形象进度)? Any problems?",
    "checkin.how_to_answer": "Reply with a message to record progress, or tap a button.",
    "checkin.reminder": "⏰ Reminder: the check-in of project “{project}” for {date} is still waiting for your answer (open until {closes}).",
    "checkin.closed": "The check-in of {date} is closed.",
    "checkin.recorded_ok": "✅ Recorded at {time}: all on track. You can change it until the round closes.",
    "checkin.recorded_leave": "🏖 Recorded at {time}: on leave. You can change it until the round closes.",
    "checkin.describe_problem": "Please describe the problem in one message.",
    "checkin.no_question": "There is no question left to skip.",
    "checkin.all_questions_done": "Thank you, your answers for “{project}” are recorded.",
    "checkin.chosen": "Recorded for “{project}”.",
    "checkin.nothing_open": "No check-in is open for you right now. /checkin answers today's before you are asked.",
    "checkin.which_project": "Which project is this for?",
    "checkin.recorded_progress": "Progress recorded for “{project}”. You can add to it or change it until {closes}.",
    "checkin.problem_recorded": "Problem #{id} recorded in the service ledger of “{project}”. Deadline (帮办时限): {deadline}.",
    "checkin.nothing_due": "No check-in is due today for your projects.",
    "checkinnow.opened": "Round opened for project {id} “{name}”: {count} secretary(ies) asked, open until {closes}.",
    "status.header": "Project {id} “{name}”, round of {date} ({state}):",
    "status.state.open": "open until {closes}",
    "status.state.closed": "closed",
    "status.answered": "Answered: {names}",
    "status.on_leave": "On leave: {names}",
    "status.pending": "Pending: {names}",
    "status.missed": "Missed: {names}",
    "status.none": "Project {id} has had no round yet.",
    "leave.recorded": "Leave recorded from {first} to {last}: no prompts and not counted as missed.",
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
    "project.next_slot": "；下次：{next}",
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
    "error.bad_time": "“{value}”不是有效时间，请用 HH:MM，例如 09:00。",
    "error.bad_weekdays": "“{value}”不是有效的星期列表，例如 mon,thu。",
    "error.bad_timezone": "“{value}”不是有效的 IANA 时区，例如 Asia/Shanghai。",
    "error.bad_date": "“{value}”不是有效日期，请用 YYYY-MM-DD，例如 2026-10-01。",
    "error.bad_duration": "“{value}”不是有效时长，例如 90m、4h、2d。",
    "error.window_range": "报到窗口须在 5 分钟到 7 天之间。",
    "error.no_schedule": "项目 {id} 尚未设置报到安排，请先使用 /schedule。",
    "error.too_many_questions": "最多 5 个问题（当前 {count} 个）。",
    "error.text_too_long": "文字过长（{length} 个字符，最多 {limit} 个）。",
    "error.no_secretaries": "项目 {id} 还没有首办秘书，请使用 /invite {id} secretary 邀请。",
    "error.not_yours": "这个按钮不是给您的。",
    "error.not_secretary": "只有首办秘书可以使用此命令。",
    "error.date_order": "结束日期早于开始日期。",
    "error.leave_too_long": "一次最多一年。",
    "weekday.0": "周一",
    "weekday.1": "周二",
    "weekday.2": "周三",
    "weekday.3": "周四",
    "weekday.4": "周五",
    "weekday.5": "周六",
    "weekday.6": "周日",
    "schedule.daily": "每天 {time}",
    "schedule.weekly": "每周{days} {time}",
    "schedule.workdays": "法定工作日 {time}",
    "schedule.window": "，窗口 {window}",
    "schedule.set": "项目 {id}：报到安排为{schedule}。下次：{next}。",
    "schedule.none_next": "一年内无",
    "schedule.off": "项目 {id}：已关闭定时报到。",
    "window.set": "项目 {id}：每轮报到开放 {window}。",
    "questions.set": "项目 {id}：将依次询问首办秘书 {count} 个问题：\n{questions}",
    "questions.default": "项目 {id}：已恢复默认问题。",
    "notice.calendar_fallback": (
        "{year} 年国务院节假日安排尚未收录。在此之前，工作日报到按周一至周五执行。"
        "请用 /holiday 和 /workday 录入节假日和调休上班日。"
    ),
    "holiday.added": "已设为节假日（工作日报到不提醒）：{days}。",
    "workday.added": "已设为调休上班日（照常提醒）：{day}。",
    "holidays.header": "{year} 年日历：{coverage}",
    "holidays.covered": "已收录官方安排；您录入的条目优先。",
    "holidays.not_covered": "尚未收录官方安排（按周一至周五执行）。",
    "holidays.line": "• {day} — {kind}",
    "holidays.none": "没有自行录入的条目。",
    "holidays.kind.holiday": "节假日",
    "holidays.kind.workday": "调休上班日",
    "button.all_ok": "✅ 一切正常",
    "button.problem": "⚠️ 反映问题",
    "button.leave": "🏖 今日请假",
    "button.skip": "跳过此题",
    "checkin.prompt_header": "📋 报到：项目 {id}“{project}”，{date}（{closes} 前有效）",
    "checkin.open_problems": "未销号问题（{count} 个）：",
    "checkin.problem_line": "• #{id} {text} — 帮办时限 {deadline}{overdue}",
    "problem.overdue_mark": " ⏰ 已逾期",
    "checkin.question": "问题 {n}/{total}：{text}",
    "checkin.question_default": "自上次报到以来，项目形象进度如何？有没有需要帮办的问题？",
    "checkin.how_to_answer": "直接回复文字即记录进度，或点击下方按钮。",
    "checkin.reminder": "⏰ 提醒：项目“{project}”{date} 的报到还在等您回复（{closes} 前有效）。",
    "checkin.closed": "{date} 的报到已结束。",
    "checkin.recorded_ok": "✅ 已于 {time} 记录：一切正常。本轮结束前可以修改。",
    "checkin.recorded_leave": "🏖 已于 {time} 记录：请假。本轮结束前可以修改。",
    "checkin.describe_problem": "请用一条消息描述问题。",
    "checkin.no_question": "没有可跳过的问题了。",
    "checkin.all_questions_done": "谢谢，“{project}”的回答已记录。",
    "checkin.chosen": "已记入“{project}”。",
    "checkin.nothing_open": "当前没有需要您回复的报到。发送 /checkin 可提前报到。",
    "checkin.which_project": "这条是哪个项目的？",
    "checkin.recorded_progress": "已记录“{project}”的进度。{closes} 前可以补充或修改。",
    "checkin.problem_recorded": "问题 #{id} 已记入“{project}”的帮办台帐，帮办时限：{deadline}。",
    "checkin.nothing_due": "您的项目今天没有需要报到的安排。",
    "checkinnow.opened": "已为项目 {id}“{name}”发起报到：{count} 位首办秘书，{closes} 前有效。",
    "status.header": "项目 {id}“{name}”，{date} 报到（{state}）：",
    "status.state.open": "{closes} 前有效",
    "status.state.closed": "已结束",
    "status.answered": "已回复：{names}",
    "status.on_leave": "请假：{names}",
    "status.pending": "待回复：{names}",
    "status.missed": "未报到：{names}",
    "status.none": "项目 {id} 还没有报到记录。",
    "leave.recorded": "已登记请假 {first} 至 {last}：期间不提醒，也不计为未报到。",
}

CATALOGS: dict[str, dict[str, str]] = {"en": EN, "zh-CN": ZH}
