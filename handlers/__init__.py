"""Thin Telegram adapters. :func:`register` is the one place handlers are wired, in order."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import admin, checkin, errors, problems, start


def register(application: Application) -> None:  # type: ignore[type-arg]
    """Add every handler. Order matters: PTB takes the first match in a group."""
    # 1. Everyone: onboarding, help, language.
    application.add_handler(CommandHandler("start", start.start))
    application.add_handler(CommandHandler("help", start.help_command))
    application.add_handler(CommandHandler("language", start.language))
    # 2. Admin commands (each checks the role and the chat type itself).
    application.add_handler(CommandHandler("newproject", admin.new_project))
    application.add_handler(CommandHandler("projects", admin.list_projects))
    application.add_handler(CommandHandler("project", admin.show_project))
    application.add_handler(CommandHandler("rename", admin.rename))
    application.add_handler(CommandHandler("archive", admin.archive))
    application.add_handler(CommandHandler("unarchive", admin.unarchive))
    application.add_handler(CommandHandler("invite", admin.invite))
    application.add_handler(CommandHandler("members", admin.members))
    application.add_handler(CommandHandler("remove", admin.remove))
    application.add_handler(CommandHandler("setgroup", admin.set_group))
    application.add_handler(CommandHandler("admins", admin.list_admins))
    application.add_handler(CommandHandler("schedule", checkin.schedule))
    application.add_handler(CommandHandler("window", checkin.window))
    application.add_handler(CommandHandler("questions", checkin.questions))
    application.add_handler(CommandHandler("checkinnow", checkin.checkin_now))
    application.add_handler(CommandHandler("status", checkin.status))
    application.add_handler(CommandHandler("holiday", checkin.holiday))
    application.add_handler(CommandHandler("workday", checkin.workday))
    application.add_handler(CommandHandler("holidays", checkin.holidays))
    # 3. Secretary commands.
    application.add_handler(CommandHandler("checkin", checkin.checkin))
    application.add_handler(CommandHandler("leave", checkin.leave))
    # 4. Problem ledger (roles on the problem's project are checked by the service).
    application.add_handler(CommandHandler("newproblem", problems.new_problem))
    application.add_handler(CommandHandler("problems", problems.list_problems))
    application.add_handler(CommandHandler("problem", problems.show_problem))
    application.add_handler(CommandHandler("note", problems.note))
    application.add_handler(CommandHandler("resolve", problems.resolve))
    application.add_handler(CommandHandler("reopen", problems.reopen))
    application.add_handler(CommandHandler("extend", problems.extend))
    application.add_handler(CommandHandler("assign", problems.assign))
    application.add_handler(CommandHandler("deadline", problems.deadline))
    # 5. Buttons, by callback-data prefix.
    application.add_handler(CallbackQueryHandler(admin.projects_page, pattern=r"^pj:"))
    application.add_handler(CallbackQueryHandler(checkin.button, pattern=r"^ci:"))
    application.add_handler(CallbackQueryHandler(problems.button, pattern=r"^pb:"))
    # Anything else is forged or from an older version: refuse it, never leave it spinning.
    application.add_handler(CallbackQueryHandler(admin.unknown_button))
    # 6. Anything else that looks like a command, in private chats: say so.
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, start.unknown_command)
    )
    # 7. Plain text in private chats: check-in answers and problem descriptions. Last, so
    #    that no command is ever taken for an answer.
    application.add_handler(
        MessageHandler(
            filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE, checkin.free_text
        )
    )
    # 8. Errors: log, apologise, report to the admins.
    application.add_error_handler(errors.on_error)
