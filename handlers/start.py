"""/start (with or without an invite token), /help and /language."""

from __future__ import annotations

from typing import cast

from telegram.constants import ChatType

from bot import commands
from bot.commands import Audience
from bot.i18n import normalize_language
from handlers.common import Call, guarded, kick_outbox, user_ref
from storage.invites import RedeemResult

_REFUSALS = {
    RedeemResult.UNKNOWN: "invite.unknown",
    RedeemResult.USED: "invite.used",
    RedeemResult.EXPIRED: "invite.expired",
    RedeemResult.ARCHIVED: "invite.archived",
    RedeemResult.THROTTLED: "invite.throttled",
}


@guarded(private=True)
async def start(call: Call) -> None:
    """/start [token]"""
    if call.args:
        await _redeem(call, call.args[0])
        return
    is_admin, memberships = await call.services.registry.roles(call.user.id)
    lines = [call.t("start.intro"), ""]
    roles = []
    if is_admin:
        roles.append(call.t("start.admin_line"))
    for member in memberships:
        project = await call.services.projects.project(member.project_id)
        roles.append(
            call.t(
                "start.member_line",
                role=call.t(f"role.{member.role}"),
                id=project.id,
                name=project.name,
            )
        )
    if roles:
        lines.append(call.t("start.roles", roles="\n".join(roles)))
    else:
        lines.append(call.t("start.no_roles"))
    lines += ["", call.t("start.more")]
    await call.reply_lines(lines)  # a line per project they serve


async def _redeem(call: Call, token: str) -> None:
    outcome = await call.services.projects.redeem(user_ref(call.user), token[:64])
    # The person may have just been created with their Telegram language: answer in it.
    call.lang = await call.services.registry.language_of(call.user.id, call.user.language_code)
    if outcome.result in _REFUSALS:
        await call.say(_REFUSALS[outcome.result])
        return
    project = outcome.project
    department = outcome.department
    if department is not None:
        role = call.t(f"role.{outcome.role}")
        if outcome.result is RedeemResult.ALREADY:
            await call.say("invite.already_dept", role=role, id=department.id, dept=department.name)
            return
        text = call.t(
            "invite.redeemed_dept",
            name=call.user.full_name,
            role=role,
            id=department.id,
            dept=department.name,
        )
        await call.reply(text + "\n" + call.t("invite.next_dept", id=department.id))
        await call.services.publish_menu(call.user.id)
        kick_outbox(call.context)
        return
    if outcome.result is RedeemResult.ALREADY:
        if project is None:
            await call.say("invite.already_admin")
        else:
            await call.say("invite.already", role=call.t(f"role.{outcome.role}"), id=project.id)
        return
    if project is None:
        await call.say("invite.redeemed_admin", name=call.user.full_name)
    else:
        text = call.t(
            "invite.redeemed",
            name=call.user.full_name,
            role=call.t(f"role.{outcome.role}"),
            id=project.id,
            project=project.name,
        )
        await call.reply(text + "\n" + call.t(f"invite.next_{outcome.role}"))
    await call.services.publish_menu(call.user.id)
    kick_outbox(call.context)


def audiences(call: Call) -> set[Audience]:
    found: set[Audience] = {"everyone"}
    found.update(cast(Audience, role) for role in call.caller.roles)
    if call.caller.is_admin:
        found.add("admin")
    return found


@guarded()
async def help_command(call: Call) -> None:
    """/help"""
    mine = audiences(call)
    lines = [call.t("help.header")]
    shown: set[str] = set()
    for audience in commands.AUDIENCES:
        if audience not in mine:
            continue
        section = [c for c in commands.for_audiences({audience}) if c.name not in shown]
        if not section:
            continue
        lines.append("")
        lines.append(call.t(f"help.section.{audience}"))
        for command in section:
            shown.add(command.name)
            usage = commands.usage(command.name, call.lang)
            lines.append(f"{usage} — {commands.about(command.name, call.lang)}")
    if "admin" in mine:
        lines += ["", call.t("help.privacy")]
    await call.reply_lines(lines)  # an admin's list outgrows one message


@guarded()
async def language(call: Call) -> None:
    """/language zh|en: mine in a private chat; the group's in a group (admins)"""
    chosen = normalize_language(call.args[0]) if len(call.args) == 1 else None
    if chosen is None:
        await call.say("language.usage")
        return
    chat = call.update.effective_chat
    if chat is not None and chat.type != ChatType.PRIVATE:
        # In a group: the group's language, for everything the bot posts there (admins only).
        await call.services.registry.set_chat_language(call.user.id, chat.id, chosen)
        call.lang = chosen
        await call.say("language.group_set")
        return
    await call.services.registry.set_language(user_ref(call.user), chosen)
    call.lang = chosen
    await call.say("language.set")
    await call.services.publish_menu(call.user.id)


@guarded()
async def cancel(call: Call) -> None:
    """/cancel: like any command, it ends what the bot waited for; this one says so."""
    await call.say("cancel.done" if call.dropped_wait else "cancel.nothing")


@guarded()
async def unknown_command(call: Call) -> None:
    """Any command we do not know, in a private chat."""
    await call.say("error.unknown_command")
