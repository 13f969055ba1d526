"""A private PostgreSQL server for tests that stop and restart it (never the shared one).

It is started with the ``initdb`` and ``pg_ctl`` of the installed PostgreSQL (Debian's
``postgresql`` package puts them under ``/usr/lib/postgresql/<version>/bin``) in a fresh
directory, on a free port of its own. initdb refuses to run as root, so under root (CI)
the server runs as the ``postgres`` OS user, through ``runuser``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path


def postgres_bin() -> Path | None:
    """The newest installed PostgreSQL's bin directory, if any has initdb and pg_ctl."""
    found = sorted(
        (Path(p) for p in glob.glob("/usr/lib/postgresql/*/bin") if Path(p, "initdb").exists()),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    if found:
        return found[-1]
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PrivateServer:
    """One PostgreSQL server in a temp directory; ``url`` reaches its ``postgres`` database.

    With ``password``, the server asks for it (scram-sha-256) and ``url`` carries it.
    """

    def __init__(self, bin_dir: Path, *, password: str | None = None) -> None:
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="genesis-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        login = "postgres" if password is None else f"postgres:{password}"
        self.url = f"postgresql://{login}@127.0.0.1:{self.port}/postgres"
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            user = pwd.getpwnam("postgres")
            os.chown(self.root, user.pw_uid, user.pw_gid)
        auth = ["-A", "trust"]
        if password is not None:
            pwfile = self.root / "pwfile"
            pwfile.write_text(password + "\n")
            if self._as_postgres:
                os.chown(pwfile, user.pw_uid, user.pw_gid)
            auth = ["-A", "scram-sha-256", f"--pwfile={pwfile}"]
        self._run("initdb", "-D", str(self.data), *auth, "-U", "postgres", "--no-sync")

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c max_connections=60"
        )
        self._run("pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.root / "log"),
                  "-w", "start")  # fmt: skip

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):  # already stopped
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(self.root, ignore_errors=True)


def start_private_server(*, password: str | None = None) -> PrivateServer:
    """A started :class:`PrivateServer`; skips without server binaries (fails under CI)."""
    import pytest

    bin_dir = postgres_bin()
    if bin_dir is None:
        if os.environ.get("CI"):
            pytest.fail("CI is set but no PostgreSQL initdb/pg_ctl is installed")
        pytest.skip("no PostgreSQL server binaries (initdb, pg_ctl) installed")
    server = PrivateServer(bin_dir, password=password)
    server.start()
    return server
