"""Thin Telegram adapters. :func:`register` is the one place handlers are wired, in order."""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    MessageHandler,
    filters,
)

from handlers import (
    admin,
    board,
    checkin,
    contact,
    departments,
    digest,
    errors,
    export,
    files,
    membership,
    paging,
    plans,
    problems,
    start,
    summaries,
)
from handlers.common import Context
from handlers.web import menu as web_menu

Callback = Callable[[Update, Context], Coroutine[Any, Any, None]]

# PTB's CommandHandler also takes edited messages; an edited "/newproject Typo" must not create
# a second project, so commands come from new messages only.
NEW = filters.UpdateType.MESSAGE
PRIVATE = filters.ChatType.PRIVATE
MEDIA = (
    filters.PHOTO
    | filters.Document.ALL
    | filters.VOICE
    | filters.AUDIO
    | filters.VIDEO
    | filters.VIDEO_NOTE
    | filters.Sticker.ALL
    | filters.LOCATION
    | filters.CONTACT
    | filters.POLL
    | filters.Dice.ALL
)

COMMANDS: tuple[tuple[str, Callback], ...] = (
    # 1. Everyone: onboarding, help, language, leaving a question unanswered.
    ("start", start.start),
    ("help", start.help_command),
    ("language", start.language),
    ("cancel", start.cancel),
    # 2. Admin commands (each checks the role and the chat type itself).
    ("newproject", admin.new_project),
    ("projects", admin.list_projects),
    ("project", admin.show_project),
    ("rename", admin.rename),
    ("archive", admin.archive),
    ("unarchive", admin.unarchive),
    ("invite", admin.invite),
    ("members", admin.members),
    ("remove", admin.remove),
    ("setgroup", admin.set_group),
    ("admins", admin.list_admins),
    ("removeadmin", admin.remove_admin),
    ("admin", admin.scope_admin),
    ("forget", admin.forget),
    ("person", admin.person),
    ("schedule", plans.schedule),
    ("window", checkin.window),
    ("questions", checkin.questions),
    ("checkinnow", checkin.checkin_now),
    ("status", checkin.status),
    ("summary", summaries.summary),
    ("answers", summaries.answers),
    ("export", export.export),
    ("report", digest.report),
    ("digest", digest.digest),
    ("pack", digest.pack),
    ("notice", digest.notice),
    ("chart", board.chart),
    ("board", board.board),
    ("web", web_menu.web),
    ("holiday", checkin.holiday),
    ("workday", checkin.workday),
    ("holidays", checkin.holidays),
    # 3. Secretary commands.
    ("checkin", checkin.checkin),
    ("leave", checkin.leave),
    # 3b. Leaders: the weekly contact with the enterprise.
    ("contact", contact.contact),
    # 4. Problem ledger (roles on the problem's project are checked by the service).
    ("newproblem", problems.new_problem),
    ("problems", problems.list_problems),
    ("problem", problems.show_problem),
    ("note", problems.note),
    ("resolve", problems.resolve),
    ("reopen", problems.reopen),
    ("extend", problems.extend),
    ("assign", problems.assign),
    ("deadline", problems.deadline),
    ("recall", departments.recall),
    ("decide", problems.decide),
    ("decisions", problems.decisions),
    # 5. Departments (职能部门).
    ("newdept", departments.new_department),
    ("depts", departments.list_departments),
    ("dept", departments.show_department),
    ("renamedept", departments.rename_department),
    ("archivedept", departments.archive_department),
    ("sitin", departments.sitin),
    # 6. Each project's plan (三明确).
    ("plan", plans.plan),
    ("milestones", plans.milestones),
    ("done", plans.done),
    ("invest", plans.invest),
    ("lines", plans.lines),
    ("template", plans.template),
)


def register(application: Application[Any, Context, Any, Any, Any, Any]) -> None:
    """Add every handler. Order matters: PTB takes the first match in a group."""
    # 1–4. Commands, from new messages only (see NEW).
    for name, callback in COMMANDS:
        application.add_handler(CommandHandler(name, callback, filters=NEW))
    # 5. Buttons, by callback-data prefix.
    application.add_handler(CallbackQueryHandler(admin.projects_page, pattern=r"^pj:"))
    application.add_handler(CallbackQueryHandler(checkin.button, pattern=r"^ci:"))
    application.add_handler(CallbackQueryHandler(problems.button, pattern=r"^pb:"))
    application.add_handler(CallbackQueryHandler(files.show_files, pattern=r"^fl:"))
    application.add_handler(CallbackQueryHandler(contact.button, pattern=r"^ct:"))
    application.add_handler(CallbackQueryHandler(summaries.full_answers, pattern=r"^ans:"))
    application.add_handler(CallbackQueryHandler(summaries.answers_page, pattern=r"^aw:"))
    application.add_handler(CallbackQueryHandler(digest.notice_button, pattern=r"^nt:"))
    application.add_handler(CallbackQueryHandler(departments.card_button, pattern=r"^dp:"))
    application.add_handler(CallbackQueryHandler(departments.pick_button, pattern=r"^dh:"))
    application.add_handler(CallbackQueryHandler(departments.sitin_button, pattern=r"^si:"))
    application.add_handler(CallbackQueryHandler(plans.investment_button, pattern=r"^iv:"))
    application.add_handler(CallbackQueryHandler(plans.explain_button, pattern=r"^ex:"))
    application.add_handler(CallbackQueryHandler(plans.import_button, pattern=r"^im:"))
    application.add_handler(CallbackQueryHandler(plans.milestone_button, pattern=r"^ms:"))
    listings = {
        "members": admin.MEMBERS,
        "status": checkin.STATUS,
        "lstatus": checkin.STATUS_LEADERS,
        "holidays": checkin.HOLIDAYS,
        "problems": problems.PROBLEMS,
    }
    application.add_handler(CallbackQueryHandler(paging.page_button(listings), pattern=r"^pg:"))
    # Anything else is forged or from an older version: refuse it, never leave it spinning.
    application.add_handler(CallbackQueryHandler(admin.unknown_button))
    # 6. Anything else that looks like a command, in private chats: say so.
    application.add_handler(MessageHandler(NEW & filters.COMMAND & PRIVATE, start.unknown_command))
    # 7. Plain text in private chats: check-in answers and problem descriptions. After the
    #    commands, so that no command is ever taken for an answer.
    application.add_handler(
        MessageHandler(NEW & filters.TEXT & ~filters.COMMAND & PRIVATE, checkin.free_text)
    )
    # 8. An edited text (or photo caption) may correct a progress answer; every other edit is
    #    ignored.
    application.add_handler(
        MessageHandler(
            filters.UpdateType.EDITED_MESSAGE
            & (filters.TEXT | filters.CAPTION)
            & ~filters.COMMAND
            & PRIVATE,
            checkin.edited_text,
        )
    )
    # 9. Photos, files and voice notes in private chats: attachments of what the bot waits for
    #    or of a progress report; stickers and the like get a word on what it takes.
    #    A shared location first: it may be a 坐班 sign-in.
    application.add_handler(
        MessageHandler(NEW & filters.LOCATION & PRIVATE, departments.location), group=0
    )
    application.add_handler(MessageHandler(NEW & MEDIA & PRIVATE, files.media))
    # 10. The bot's own membership of groups (added, removed, muted).
    application.add_handler(
        ChatMemberHandler(membership.my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER)
    )
    # 11. Errors in handlers and jobs: log, apologise, report to the admins.
    application.add_error_handler(errors.on_error)
