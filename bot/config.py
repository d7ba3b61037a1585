"""Settings, read once in ``main`` from the environment and ``.env``."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path
from typing import Annotated, Literal, TypeVar
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BeforeValidator,
    Field,
    SecretStr,
    ValidationError,
    ValidationInfo,
    field_validator,
)
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.departments.workhours import (
    OfficeLocation,
    WorkHours,
    parse_office_location,
    parse_work_hours,
)
from bot.digest_slot import DigestSlot, parse_digest_schedule
from bot.parsing import duration
from bot.plans.scoring import parse_board_weights
from bot.quiet import QuietHours, parse_quiet_hours

TELEGRAM_API_BASE = "https://api.telegram.org/bot"
DEFAULT_WEB_PORT = 8080
WEBHOOK_SECRET = re.compile(r"^[A-Za-z0-9_-]{1,256}$")


def _duration(value: object) -> object:
    if isinstance(value, str):
        return duration(value)
    return value


def _admin_ids(value: object) -> object:
    if isinstance(value, str):
        parts = [part.strip() for part in value.split(",") if part.strip()]
        try:
            return [int(part) for part in parts]
        except ValueError:
            raise ValueError("must be comma-separated numeric Telegram user ids") from None
    if isinstance(value, int):
        return [value]
    return value


def _quiet_hours(value: object) -> object:
    if isinstance(value, str):
        return parse_quiet_hours(value)
    return value


def _work_hours(value: object) -> object:
    if isinstance(value, str):
        return parse_work_hours(value)
    return value


def _office_location(value: object) -> object:
    if isinstance(value, str):
        return parse_office_location(value)
    return value


def _board_weights(value: object) -> object:
    if isinstance(value, str):
        return parse_board_weights(value)
    return value


def _new_problem_to(value: object) -> object:
    if isinstance(value, str):
        parts = {part.strip().lower() for part in value.split(",") if part.strip()}
        parts.discard("off")
        unknown = parts - {"leaders", "admins"}
        if unknown:
            raise ValueError("must be leaders, admins, both (leaders,admins) or off")
        return frozenset(parts)
    return value


def _digest_schedule(value: object) -> object:
    if isinstance(value, str):
        return parse_digest_schedule(value)
    return value


Duration = Annotated[timedelta, BeforeValidator(_duration)]
Language = Literal["zh-CN", "en"]


class StorageSettings(BaseSettings):
    """What the maintenance commands that never talk to Telegram (backup, restore, migrate)
    need: an operator's cron job or a restore on a spare machine has no token."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    database_path: Path = Path("bangban.db")
    # PostgreSQL instead of the SQLite file: postgresql://user:password@host:port/database.
    database_url: SecretStr | None = None

    @field_validator("database_url", mode="before")
    @classmethod
    def _postgres_url(cls, value: object) -> object:
        if value in ("", None):
            return None
        text = str(value.get_secret_value() if isinstance(value, SecretStr) else value)
        parts = urlsplit(text)
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
            raise ValueError("must be postgresql://user:password@host[:port]/database")
        try:
            parts.port  # noqa: B018 - raises on a port that is not a number
        except ValueError:
            raise ValueError("has a port that is not a number") from None
        if not parts.path.strip("/"):
            raise ValueError("must name the database (postgresql://…/bangban)")
        return value


class Settings(StorageSettings):
    """Every operator-facing setting; names are part of the product's contract."""

    bot_token: SecretStr = Field(min_length=1)
    admin_ids: Annotated[list[int], NoDecode, BeforeValidator(_admin_ids)] = []
    default_timezone: str = "Asia/Shanghai"
    default_language: Language = "zh-CN"
    bot_api_base_url: str = TELEGRAM_API_BASE
    invite_ttl: Duration = timedelta(days=7)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    checkin_remind_after: Duration = timedelta(hours=2)
    checkin_reminders_max: int = Field(default=2, ge=0, le=10)
    catchup_grace: Duration = timedelta(hours=6)
    rate_limit_per_second: float = Field(default=30, gt=0, le=1000)
    problem_deadline_default: Duration = timedelta(days=3)
    escalate_l2_after: Duration = timedelta(days=2)
    dept_deadline_default: Duration = timedelta(days=3)
    dept_sign_within: Duration = timedelta(hours=4)
    work_hours: Annotated[WorkHours, BeforeValidator(_work_hours)] = WorkHours(
        time(8, 30), time(17, 30)
    )
    office_location: Annotated[OfficeLocation | None, BeforeValidator(_office_location)] = None
    new_problem_to: Annotated[frozenset[str], NoDecode, BeforeValidator(_new_problem_to)] = (
        frozenset({"leaders", "admins"})
    )
    stall_after: Duration = timedelta(days=14)
    explain_within: Duration = timedelta(days=3)
    board_weights: Annotated[dict[str, float], NoDecode, BeforeValidator(_board_weights)] = {
        "milestones": 30.0,
        "investment": 30.0,
        "problems": 20.0,
        "reporting": 20.0,
    }
    pending_input_ttl: Duration = timedelta(minutes=15)
    send_timeout: Duration = timedelta(seconds=30)
    texts_override: Path | None = None
    resolve_confirmation: bool = True
    max_extensions: int = Field(default=2, ge=0, le=100)
    quiet_hours: Annotated[QuietHours | None, BeforeValidator(_quiet_hours)] = QuietHours(
        time(22, 0), time(7, 30)
    )
    digest_schedule: Annotated[DigestSlot | None, BeforeValidator(_digest_schedule)] = DigestSlot(
        0, time(9, 0)
    )
    notice_approval: bool = True
    backup_dir: Path | None = None
    backup_keep: int = Field(default=14, ge=1, le=3650)
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_listen: str | None = None
    webhook_url: str | None = None
    webhook_listen: str | None = None
    webhook_port: int | None = Field(default=None, ge=1, le=65535)
    webhook_secret: SecretStr | None = Field(default=None, validate_default=True)
    # One web server for everything HTTP (the webhook, the board, /healthz, /metrics).
    web_port: int | None = Field(default=None, ge=1, le=65535)
    web_listen: str = "127.0.0.1"
    web_public_url: str | None = None
    webapp_auth_max_age: Duration = timedelta(hours=1)
    web_session_ttl: Duration = timedelta(hours=12)

    @field_validator("webhook_url", mode="before")
    @classmethod
    def _https_or_none(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and not value.startswith("https://"):
            raise ValueError("must start with https:// (Telegram posts only to HTTPS)")
        return value

    @field_validator("web_public_url", mode="before")
    @classmethod
    def _board_address(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        # Telegram opens Mini Apps over HTTPS only; plain HTTP is for this machine (the demo).
        local = ("http://127.0.0.1", "http://localhost")
        if isinstance(value, str) and not value.startswith(("https://", *local)):
            raise ValueError("must start with https:// (Telegram opens Mini Apps over HTTPS)")
        return value.rstrip("/") if isinstance(value, str) else value

    @field_validator("webhook_secret", mode="before")
    @classmethod
    def _secret_for_webhooks(cls, value: object, info: ValidationInfo) -> object:
        if isinstance(value, str) and not value.strip():
            value = None
        if info.data.get("webhook_url") is None:
            return value
        raw = value.get_secret_value() if isinstance(value, SecretStr) else value
        if not isinstance(raw, str):
            raise ValueError("is required when WEBHOOK_URL is set")
        if not WEBHOOK_SECRET.match(raw):
            raise ValueError("must be 1-256 characters of A-Z, a-z, 0-9, _ and -")
        return value

    @field_validator("default_timezone")
    @classmethod
    def _known_timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r}") from None
        return value

    @field_validator(
        "texts_override",
        "backup_dir",
        "metrics_port",
        "metrics_listen",
        "webhook_port",
        "webhook_listen",
        "web_port",
        mode="before",
    )
    @classmethod
    def _empty_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("backup_dir")
    @classmethod
    def _backups_copy_the_sqlite_file(cls, value: Path | None, info: ValidationInfo) -> object:
        if value is not None and info.data.get("database_url") is not None:
            raise ValueError("copies the SQLite file; with DATABASE_URL back up with pg_dump")
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("bot_api_base_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value

    @property
    def web_address(self) -> tuple[str, int] | None:
        """Where the one web server listens; None: it does not start (a plain polling bot
        opens no port). WEBHOOK_PORT and METRICS_PORT still choose it, for a release."""
        if self.web_port is not None:
            return self.web_listen, self.web_port
        if self.webhook_url is not None and self.webhook_port is not None:
            return self.webhook_listen or self.web_listen, self.webhook_port
        if self.metrics_port is not None:
            return self.metrics_listen or self.web_listen, self.metrics_port
        if self.web_public_url is not None or self.webhook_url is not None:
            return self.web_listen, DEFAULT_WEB_PORT
        return None

    @property
    def deprecated_web_settings(self) -> list[str]:
        """The old names still set, for a line in the log."""
        names = {
            "METRICS_PORT": self.metrics_port,
            "METRICS_LISTEN": self.metrics_listen,
            "WEBHOOK_PORT": self.webhook_port,
            "WEBHOOK_LISTEN": self.webhook_listen,
        }
        return [name for name, value in names.items() if value is not None]

    @property
    def bot_api_file_url(self) -> str:
        """File URL laid out like a self-hosted Bot API server: ``.../bot`` → ``.../file/bot``."""
        base = self.bot_api_base_url
        if base.endswith("/bot"):
            return base[: -len("/bot")] + "/file/bot"
        return base.rstrip("/") + "/file/bot"


class SettingsError(Exception):
    """A setting is missing or invalid; the message names it in one line."""


S = TypeVar("S", bound=StorageSettings)


def load_settings(**overrides: object) -> Settings:
    """Read settings once, turning validation errors into one line per setting at fault."""
    return _load(Settings, overrides)


def load_storage_settings() -> StorageSettings:
    """Only the database's settings (no token needed)."""
    return _load(StorageSettings, {})


def _load(kind: type[S], overrides: dict[str, object]) -> S:
    try:
        return kind(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = str(error["loc"][0]).upper() if error["loc"] else "settings"
            required = error["type"] == "missing" or (
                error.get("input") in ("", None) and error["type"] != "value_error"
            )
            message = "is required" if required else error["msg"].removeprefix("Value error, ")
            lines.append(f"Setting {name} {message}")
        raise SettingsError("\n".join(lines)) from None
