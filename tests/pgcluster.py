"""A throwaway PostgreSQL cluster for the tests: Debian's server binaries, a temporary folder, a
free port on 127.0.0.1, a Unix socket beside the data; stopped and removed at the end.

As root (CI) the server runs as the ``postgres`` user, which Debian's package creates; as anyone
else, as that user. Nothing outside the temporary folder is touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

SEARCHED = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
PASSWORD_ROLE = "with_password"


class NoServer(Exception):
    """No PostgreSQL server could be started here; the message says why."""


@dataclass
class Cluster:
    folder: Path
    port: int
    bin: Path
    user: str | None  # run the server's commands as this user (we are root)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_of(self, database: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{database}"

    def stop(self) -> None:
        _run(self, "pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "stop")
        shutil.rmtree(self.folder, ignore_errors=True)


def _binaries() -> Path:
    for folder in SEARCHED:
        if (folder / "initdb").exists() and (folder / "pg_ctl").exists():
            return folder
    raise NoServer(
        "no PostgreSQL server binaries in /usr/lib/postgresql/*/bin (apt-get install -y postgresql)"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(cluster: Cluster, program: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [str(cluster.bin / program), *args]
    if cluster.user is not None:
        command = ["runuser", "-u", cluster.user, "--", *command]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


def start() -> Cluster:
    """initdb and start a cluster; raises :class:`NoServer` with the reason if it cannot."""
    binaries = _binaries()
    user = "postgres" if os.geteuid() == 0 else None
    folder = Path(tempfile.mkdtemp(prefix="bangban-pg-"))
    cluster = Cluster(folder, _free_port(), binaries, user)
    if user is not None:
        shutil.chown(folder, user)
    data = folder / "data"
    made = _run(
        cluster,
        "initdb",
        "-D",
        str(data),
        "-U",
        "postgres",
        "-A",
        "trust",
        "-E",
        "UTF8",
        "--no-locale",
    )
    if made.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise NoServer(f"initdb failed: {made.stderr.strip()[-500:]}")
    # One role that must give its password (PASSWORD_ROLE), for the wrong-password test;
    # everyone else is trusted.
    hba = data / "pg_hba.conf"
    hba.write_text(f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256\n" + hba.read_text())
    options = (
        f"-p {cluster.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off"
        " -c synchronous_commit=off -c full_page_writes=off -c max_connections=200"
    )
    started = _run(
        cluster,
        "pg_ctl",
        "-D",
        str(data),
        "-o",
        options,
        "-l",
        str(folder / "log"),
        "-w",
        "start",
    )
    if started.returncode != 0:
        log = (
            (folder / "log").read_text(errors="replace")[-500:] if (folder / "log").exists() else ""
        )
        shutil.rmtree(folder, ignore_errors=True)
        raise NoServer(f"the server did not start: {started.stderr.strip()[-300:]} {log}")
    return cluster
