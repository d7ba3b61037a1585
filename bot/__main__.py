"""``python -m bot``: read settings once, open the database, run the bot (polling)."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

from telegram.error import InvalidToken, NetworkError

from bot import i18n
from bot.app import build_application, run_until
from bot.clock import SystemClock
from bot.config import Settings, SettingsError, load_settings
from storage import Database, StorageError

log = logging.getLogger("bot")


class RedactingFormatter(logging.Formatter):
    """Masks secrets in the final text, tracebacks included; PTB logs its base URL, token and
    all, at DEBUG."""

    def __init__(self, fmt: str, secrets: list[str]) -> None:
        super().__init__(fmt)
        self._secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        for secret in self._secrets:
            text = text.replace(secret, "[redacted]")
        return text


def configure_logging(level: str, secrets: list[str]) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s", secrets)
    )
    logging.basicConfig(level=level, handlers=[handler])
    # httpx logs every request URL at INFO: noise, and the token (masked above) is in it.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)


async def run(settings: Settings) -> int:
    """Run until SIGINT/SIGTERM; returns the process exit code."""
    try:
        db = await Database.open(settings.database_path)
    except StorageError as exc:
        log.error("Setting DATABASE_PATH: %s", exc)
        return 2
    stop_event = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop_event.set)
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


def main() -> int:
    if sys.argv[1:2] == ["demo"]:
        from bot import demo  # the fake Bot API and its script load only for the demo

        return demo.main(sys.argv[2:])
    try:
        settings = load_settings()
    except SettingsError as exc:
        print(f"bangban: {exc}", file=sys.stderr)
        return 2
    try:
        i18n.install(i18n.load(settings.texts_override))
    except i18n.TextsError as exc:
        print(f"bangban: Setting TEXTS_OVERRIDE: {exc}", file=sys.stderr)
        return 2
    configure_logging(settings.log_level, [settings.bot_token.get_secret_value()])
    return asyncio.run(run(settings))


if __name__ == "__main__":
    sys.exit(main())
