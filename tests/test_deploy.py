"""The container and service recipes, checked statically (CI has no Docker daemon)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).parent.parent


def _instructions(path: Path) -> list[tuple[str, str]]:
    """Dockerfile instructions (continued lines joined), as (INSTRUCTION, arguments)."""
    joined = re.sub(r"\\\n", " ", path.read_text())
    found = []
    for line in joined.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            found.append((word.upper(), rest.strip()))
    return found


def test_the_image_is_slim_non_root_with_a_volume_and_a_healthcheck() -> None:
    steps = _instructions(ROOT / "Dockerfile")
    kinds = [kind for kind, _ in steps]
    assert steps[0] == ("FROM", "python:3.11-slim")
    user = next(args for kind, args in steps if kind == "USER")
    assert user not in {"root", "0"}
    assert kinds.index("USER") < kinds.index("CMD")  # the bot never runs as root
    assert ("VOLUME", '["/data"]') in steps
    health = next(args for kind, args in steps if kind == "HEALTHCHECK")
    assert "/healthz" in health
    env = " ".join(args for kind, args in steps if kind == "ENV")
    assert "WEB_PORT=8080" in env and "DATABASE_PATH=/data/" in env
    assert "BOT_TOKEN" not in (ROOT / "Dockerfile").read_text()  # secrets come at run time
    copied = " ".join(args for kind, args in steps if kind == "COPY")
    assert ".env" not in copied and "tests" not in copied
    assert ".env" in (ROOT / ".dockerignore").read_text().split()
    assert steps[-1] == ("CMD", '["python", "-m", "bot"]')


def test_compose_and_systemd_run_the_same_command_without_secrets() -> None:
    compose = (ROOT / "compose.yaml").read_text()
    assert "env_file: .env" in compose and "bangban-data:/data" in compose
    assert not re.search(r"BOT_TOKEN\s*[:=]", compose)  # named in a comment, never set
    unit = (ROOT / "deploy" / "bangban.service").read_text()
    assert "ExecStart=/opt/bangban/.venv/bin/python -m bot" in unit
    assert "User=bangban" in unit and "EnvironmentFile=/etc/bangban.env" in unit
    assert "KillSignal=SIGTERM" in unit


def test_every_package_is_shipped() -> None:
    """pyproject lists packages by hand: one left out would be missing from the image and the
    wheel (the demo's fake server, say), while the tests, run from the checkout, still pass."""
    listed = re.search(r"^packages = \[(.*)\]$", (ROOT / "pyproject.toml").read_text(), re.M)
    assert listed is not None
    shipped = {name.strip().strip('"') for name in listed.group(1).split(",")}
    found = {
        ".".join(init.parent.relative_to(ROOT).parts)
        for top in ("bot", "handlers", "storage")
        for init in (ROOT / top).rglob("__init__.py")
    }
    assert shipped == found


def test_every_data_file_is_shipped() -> None:
    """Catalogs and migrations are files beside the code: one pyproject's package-data misses
    is absent from the image (the bot would start with no schema), while the checkout has it."""
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    package_data: dict[str, list[str]] = pyproject["tool"]["setuptools"]["package-data"]
    for top in ("bot", "handlers", "storage"):
        for path in (ROOT / top).rglob("*"):
            if not path.is_file() or path.suffix in {".py", ".pyc"}:
                continue
            relative = path.relative_to(ROOT / top)
            patterns = package_data.get(top, [])
            assert any(relative.match(pattern) for pattern in patterns), f"{path} not shipped"
