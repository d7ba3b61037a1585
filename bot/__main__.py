"""``python -m bot``: read settings once, open the database, run the bot (polling)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sys
from importlib.metadata import version
from pathlib import Path

from telegram import Bot
from telegram.error import InvalidToken, NetworkError

from bot import i18n, moving
from bot.app import build_application, run_until
from bot.clock import SystemClock
from bot.config import (
    Settings,
    SettingsError,
    StorageSettings,
    load_settings,
    load_storage_settings,
)
from bot.logs import configure_logging
from storage import Database, StorageError
from storage.backup import backup_file, check_file, restore_file, running_lock
from storage.pg import PgDatabase

log = logging.getLogger("bot")
TOKEN_MISSING = "Setting BOT_TOKEN is required"
MAINTENANCE = frozenset(
    {"check-config", "backup", "restore", "migrate", "migrate-to-postgres", "export-sqlite"}
)


async def run(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; returns the process exit code."""
    if settings.database_url is not None:
        return await _serve(settings)
    try:
        with running_lock(settings.database_path):
            return await _serve(settings)
    except (StorageError, OSError) as exc:
        log.error("Setting DATABASE_PATH: %s", exc)
        return 2


async def open_database(settings: StorageSettings) -> Database:
    """The database the settings name: PostgreSQL at DATABASE_URL (several replicas may share
    it: one leads, bot/leadership.py), else the SQLite file at DATABASE_PATH."""
    if settings.database_url is not None:
        return await PgDatabase.connect(settings.database_url.get_secret_value())
    return await Database.open(settings.database_path)


def _setting(settings: StorageSettings) -> str:
    return "DATABASE_URL" if settings.database_url is not None else "DATABASE_PATH"


async def _serve(settings: Settings) -> int:
    try:
        db = await open_database(settings)
    except StorageError as exc:
        log.error("Setting %s: %s", _setting(settings), exc)
        return 2
    stop_event = asyncio.Event()
    loop = asyncio.get_running_loop()

    def on_signal() -> None:
        if stop_event.is_set():
            # A second signal: the operator wants out now. The outbox makes this safe enough:
            # what was not marked sent is sent at the next start.
            log.warning("second signal: exiting at once")
            os._exit(130)
        log.info("stopping: finishing sends in flight, then closing the database")
        stop_event.set()

    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, on_signal)
    try:
        application = build_application(settings, db, SystemClock())
        await run_until(application, stop_event)
    except InvalidToken:
        log.error("Setting BOT_TOKEN was rejected by the Bot API (invalid token)")
        return 2
    except NetworkError as exc:
        log.error("Cannot reach the Bot API at BOT_API_BASE_URL: %s", exc)
        return 1
    finally:
        await db.close()
    return 0


USAGE = (
    "usage: python -m bot [--version | check-config | backup <file> | restore <file>"
    " | migrate | migrate-to-postgres <sqlite file> | export-sqlite <file> | demo [folder]]"
)


async def _check_postgres(settings: Settings) -> int:
    try:
        db = await open_database(settings)
    except StorageError as exc:
        print(f"DATABASE_URL: {exc}")
        return 1
    try:
        print(f"DATABASE_URL: reached (PostgreSQL migration {await db.schema_version()}) ok")
    finally:
        await db.close()
    return 0


async def check_config(settings: Settings, *, token: bool = True) -> int:
    """Every setting is valid by now; check the database file and ask Telegram who we are
    (``token``: BOT_TOKEN is set; without it, everything else is still checked)."""
    problems = 0
    if settings.database_url is not None:
        problems += await _check_postgres(settings)
    elif settings.database_path.exists():
        try:
            version = check_file(settings.database_path)
            print(f"DATABASE_PATH: {settings.database_path} (migration {version}) ok")
        except StorageError as exc:
            print(f"DATABASE_PATH: {exc}")
            problems += 1
    else:
        print(f"DATABASE_PATH: {settings.database_path} will be created at start-up")
    if not token:
        print("BOT_TOKEN: not set; the bot needs it to run (backup, restore and migrate do not)")
        return 1
    bot = Bot(settings.bot_token.get_secret_value(), base_url=settings.bot_api_base_url)
    try:
        async with bot:
            me = await bot.get_me()
        print(f"BOT_TOKEN: ok, the bot is @{me.username}")
    except InvalidToken:
        print("BOT_TOKEN: rejected by the Bot API (invalid token)")
        problems += 1
    except NetworkError as exc:
        print(f"BOT_API_BASE_URL: cannot reach the Bot API: {exc}")
        problems += 1
    return 1 if problems else 0


async def migrate(settings: StorageSettings) -> int:
    """Bring the database to this version's schema without starting the bot."""
    where = "PostgreSQL" if settings.database_url is not None else str(settings.database_path)
    try:
        with contextlib.ExitStack() as held:
            if settings.database_url is None:
                held.enter_context(running_lock(settings.database_path))
            db = await open_database(settings)
            try:
                version = await db.schema_version()
            finally:
                await db.close()
    except StorageError as exc:
        print(f"bangban migrate: {exc}", file=sys.stderr)
        return 1
    print(f"{where}: migration {version}, up to date")
    return 0


def command(args: list[str], settings: StorageSettings) -> int:
    """The maintenance commands that never talk to Telegram: backup, restore, migrate, and
    moving between engines."""
    name = args[0]
    if name == "migrate" and len(args) == 1:
        return asyncio.run(migrate(settings))
    if name == "migrate-to-postgres" and len(args) == 2:
        return asyncio.run(moving.migrate_to_postgres(settings, Path(args[1])))
    if name == "export-sqlite" and len(args) == 2:
        return asyncio.run(moving.export_sqlite(settings, Path(args[1])))
    if name in {"backup", "restore"} and settings.database_url is not None:
        print(
            f"bangban {name}: DATABASE_URL is PostgreSQL: use its own tools"
            " (pg_dump, pg_restore); this command copies the SQLite file",
            file=sys.stderr,
        )
        return 2
    if name in {"backup", "restore"} and len(args) == 2:
        path = Path(args[1])
        try:
            if name == "backup":
                backup_file(settings.database_path, path)
                print(f"Backup of {settings.database_path} written to {path}")
            else:
                version = restore_file(path, settings.database_path)
                print(f"{settings.database_path} restored from {path} (migration {version})")
        except StorageError as exc:
            print(f"bangban {name}: {exc}", file=sys.stderr)
            return 1
        return 0
    print(USAGE, file=sys.stderr)
    return 2


def _refuse(exc: SettingsError) -> int:
    for line in str(exc).splitlines():  # one line per setting at fault
        print(f"bangban: {line}", file=sys.stderr)
    return 2


def main() -> int:
    args = sys.argv[1:]
    if args[:1] == ["demo"]:
        from bot import demo  # the fake Bot API and its script load only for the demo

        return demo.main(args[1:])
    if args[:1] in (["--version"], ["-V"]):
        print(f"bangban {version('bangban')}")
        return 0
    if args and args[0] not in MAINTENANCE:
        print(USAGE, file=sys.stderr)
        return 2
    if args and args[0] != "check-config":
        try:
            return command(args, load_storage_settings())
        except SettingsError as exc:
            return _refuse(exc)
    token = True
    try:
        settings = load_settings()
    except SettingsError as exc:
        if args != ["check-config"] or str(exc) != TOKEN_MISSING:
            return _refuse(exc)
        token = False  # check-config without a token still checks everything else
        try:
            settings = load_settings(bot_token="-")
        except SettingsError as again:
            return _refuse(again)
    try:
        i18n.install(i18n.load(settings.texts_override))
    except i18n.TextsError as exc:
        print(f"bangban: Setting TEXTS_OVERRIDE: {exc}", file=sys.stderr)
        return 2
    if args:
        if len(args) != 1:
            print(USAGE, file=sys.stderr)
            return 2
        return asyncio.run(check_config(settings, token=token))
    secrets = [settings.bot_token.get_secret_value()]
    if settings.database_url is not None:
        secrets.append(settings.database_url.get_secret_value())
    if settings.webhook_secret is not None:
        secrets.append(settings.webhook_secret.get_secret_value())
    configure_logging(settings.log_level, secrets, settings.log_format)
    return asyncio.run(run(settings))


if __name__ == "__main__":
    sys.exit(main())
