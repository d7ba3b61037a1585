"""Thin Telegram adapters. :func:`register` is the one place handlers are wired, in order."""

from __future__ import annotations

from telegram.ext import Application, CallbackQueryHandler, CommandHandler, MessageHandler, filters

from handlers import admin, errors, start


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
    # 3. Buttons, by callback-data prefix.
    application.add_handler(CallbackQueryHandler(admin.projects_page, pattern=r"^pj:"))
    # 4. Anything else that looks like a command, in private chats: say so.
    application.add_handler(
        MessageHandler(filters.COMMAND & filters.ChatType.PRIVATE, start.unknown_command)
    )
    # 5. Errors: log, apologise, report to the admins.
    application.add_error_handler(errors.on_error)
