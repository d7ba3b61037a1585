"""Settings: parsing, defaults, and one clear line for a bad configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from bot.config import load_settings
from bot.parsing import duration as parse_duration
from bot.parsing import format_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90s", timedelta(seconds=90)),
        ("30m", timedelta(minutes=30)),
        ("4h", timedelta(hours=4)),
        ("3d", timedelta(days=3)),
        (" 2W ", timedelta(weeks=2)),
    ],
)
def test_durations_parse(text: str, expected: timedelta) -> None:
    """Operators write durations the way the README says."""
    assert parse_duration(text) == expected
    assert parse_duration(format_duration(expected)) == expected


@pytest.mark.parametrize("text", ["", "3", "0d", "-1h", "3 days", "1.5h", "d3"])
def test_bad_durations_are_refused(text: str) -> None:
    """Anything else is an error, not a silent zero."""
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_settings_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every documented name is read, with its documented type."""
    monkeypatch.setenv("BOT_TOKEN", "1:abc")
    monkeypatch.setenv("ADMIN_IDS", "11, 22")
    monkeypatch.setenv("INVITE_TTL", "36h")
    monkeypatch.setenv("BOT_API_BASE_URL", "http://127.0.0.1:8081/bot")
    monkeypatch.setenv("CHECKIN_REMIND_AFTER", "90m")
    settings = load_settings(_env_file=None)
    assert settings.admin_ids == [11, 22]
    assert settings.invite_ttl == timedelta(hours=36)
    assert settings.checkin_remind_after == timedelta(minutes=90)
    assert settings.bot_api_file_url == "http://127.0.0.1:8081/file/bot"
    assert settings.default_timezone == "Asia/Shanghai" and settings.default_language == "zh-CN"
    assert "1:abc" not in repr(settings)


def test_env_example_documents_every_setting() -> None:
    """.env.example and the README list every setting the code reads."""
    from bot.config import Settings

    root = Path(__file__).parent.parent
    example = (root / ".env.example").read_text()
    readme = (root / "README.md").read_text()
    for name in Settings.model_fields:
        assert f"\n{name.upper()}=" in example, name
        assert f"`{name.upper()}`" in readme, name


def _run_bot(env: dict[str, str], cwd: Path, *args: object) -> subprocess.CompletedProcess[str]:
    """``python -m bot [args]`` with only ``env`` of this machine's settings."""
    clean = {k: v for k, v in os.environ.items() if not k.isupper() or k in {"PATH", "HOME"}}
    return subprocess.run(
        [sys.executable, "-m", "bot", *map(str, args)],
        env={**clean, **env, "PYTHONPATH": str(Path(__file__).parent.parent)},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "Setting BOT_TOKEN is required"),
        ({"BOT_TOKEN": ""}, "Setting BOT_TOKEN is required"),
        ({"BOT_TOKEN": "1:x", "ADMIN_IDS": "12,abc"}, "Setting ADMIN_IDS"),
        ({"BOT_TOKEN": "1:x", "DEFAULT_TIMEZONE": "Mars/Base"}, "Setting DEFAULT_TIMEZONE"),
        ({"BOT_TOKEN": "1:x", "INVITE_TTL": "soon"}, "Setting INVITE_TTL"),
        ({"BOT_TOKEN": "1:x", "DEFAULT_LANGUAGE": "fr"}, "Setting DEFAULT_LANGUAGE"),
        (
            {"BOT_TOKEN": "1:x", "DATABASE_PATH": "/nonexistent/dir/bangban.db"},
            "Setting DATABASE_PATH",
        ),
        (
            {"BOT_TOKEN": "1:x", "DATABASE_URL": "postgresql://db/b", "BACKUP_DIR": "/backups"},
            "Setting BACKUP_DIR copies the SQLite file",
        ),
    ],
)
def test_bad_configuration_stops_with_one_line(
    env: dict[str, str], expected: str, tmp_path: Path
) -> None:
    """The operator sees which setting is wrong, not a traceback."""
    result = _run_bot(env, tmp_path)
    assert result.returncode == 2
    assert expected in result.stderr
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_every_setting_at_fault_gets_its_own_line() -> None:
    """check-config and start-up name each bad setting, not only the first."""
    from bot.config import SettingsError, load_settings

    try:
        load_settings(_env_file=None, quiet_hours="x", max_extensions=-1)
    except SettingsError as exc:
        lines = str(exc).splitlines()
    else:
        raise AssertionError("bad settings were accepted")
    assert lines == [
        "Setting BOT_TOKEN is required",
        "Setting MAX_EXTENSIONS Input should be greater than or equal to 0",
        "Setting QUIET_HOURS must be HH:MM-HH:MM (e.g. 22:00-07:30) or off",
    ]
