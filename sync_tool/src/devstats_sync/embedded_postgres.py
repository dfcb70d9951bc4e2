"""A throwaway PostgreSQL server in a temporary directory, for tests and the embedded local run.

The server listens on 127.0.0.1 only, on a free port, with its unix socket inside its own
directory, and trusts local connections: it exists for the lifetime of one process and holds
nothing worth protecting. It runs as the ``postgres`` user when started by root, because
PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType

PG_BIN_DIR = Path(os.environ.get("DEVSTATS_PG_BIN", "/usr/lib/postgresql/15/bin"))

# Durability is traded for speed: the data directory is deleted on stop anyway.
FAST_SETTINGS: Mapping[str, str] = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "wal_level": "minimal",
    "max_wal_senders": "0",
    "max_wal_size": "1GB",
    "checkpoint_timeout": "30min",
    "shared_buffers": "128MB",
    "max_connections": "60",
    "autovacuum": "off",
    "log_min_messages": "warning",
    "timezone": "UTC",
}


class EmbeddedPostgresError(RuntimeError):
    pass


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class EmbeddedPostgres:
    """Start with :meth:`start` (or ``with EmbeddedPostgres() as pg``), connect with :attr:`dsn`."""

    def __init__(self, settings: Mapping[str, str] | None = None, base_dir: str | None = None) -> None:
        self.settings = dict(FAST_SETTINGS, **(settings or {}))
        self.base_dir = base_dir
        self.root: Path | None = None
        self.port: int | None = None
        self.user = "postgres"
        self._run_as: str | None = None

    @property
    def data_dir(self) -> Path:
        return self._root / "data"

    @property
    def socket_dir(self) -> Path:
        return self._root / "socket"

    @property
    def _root(self) -> Path:
        if self.root is None:
            raise EmbeddedPostgresError("the embedded PostgreSQL server is not started")
        return self.root

    def dsn(self, dbname: str = "postgres") -> str:
        if self.port is None:
            raise EmbeddedPostgresError("the embedded PostgreSQL server is not started")
        return f"host=127.0.0.1 port={self.port} user={self.user} dbname={dbname}"

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(PG_BIN_DIR / args[0]), *args[1:]],
            capture_output=True,
            text=True,
            check=False,
            user=self._run_as,
            timeout=120,
        )
        if result.returncode != 0:
            output = result.stderr.strip() or result.stdout.strip()
            raise EmbeddedPostgresError(f"{args[0]} failed (exit {result.returncode}): {output}")
        return result

    def start(self) -> EmbeddedPostgres:
        if not (PG_BIN_DIR / "initdb").exists():
            raise EmbeddedPostgresError(
                f"no PostgreSQL binaries in {PG_BIN_DIR} (install postgresql-15 or set DEVSTATS_PG_BIN)"
            )
        self.root = Path(tempfile.mkdtemp(prefix="devstats-pg-", dir=self.base_dir))
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            self._run_as = "postgres"
            entry = pwd.getpwnam("postgres")
            for path in (self.root, self.socket_dir):
                os.chown(path, entry.pw_uid, entry.pw_gid)
        try:
            self._run(
                "initdb",
                "-D",
                str(self.data_dir),
                "-U",
                self.user,
                "-A",
                "trust",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
            )
            self._start_server()
        except BaseException:
            self.stop()
            raise
        return self

    def _start_server(self) -> None:
        # A port found free can be taken before the server binds it: try a few.
        last_error: EmbeddedPostgresError | None = None
        for _attempt in range(5):
            self.port = _free_port()
            options = dict(
                self.settings,
                listen_addresses="127.0.0.1",
                port=str(self.port),
                unix_socket_directories=str(self.socket_dir),
            )
            conf = "".join(f"{key} = '{value}'\n" for key, value in options.items())
            (self.data_dir / "postgresql.auto.conf").write_text(conf)
            if self._run_as:
                entry = pwd.getpwnam(self._run_as)
                os.chown(self.data_dir / "postgresql.auto.conf", entry.pw_uid, entry.pw_gid)
            try:
                self._run(
                    "pg_ctl",
                    "start",
                    "-w",
                    "-t",
                    "60",
                    "-D",
                    str(self.data_dir),
                    "-l",
                    str(self._root / "server.log"),
                )
                return
            except EmbeddedPostgresError as error:
                last_error = error
        log = self._root / "server.log"
        tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
        raise EmbeddedPostgresError(f"PostgreSQL did not start: {last_error}\n{tail}")

    def stop(self) -> None:
        root, self.root = self.root, None
        if root is None:
            return
        try:
            if (root / "data" / "postmaster.pid").exists():
                self.root = root
                with contextlib.suppress(EmbeddedPostgresError, subprocess.TimeoutExpired):
                    self._run("pg_ctl", "stop", "-w", "-t", "60", "-m", "immediate", "-D", str(self.data_dir))
                self.root = None
        finally:
            self.port = None
            shutil.rmtree(root, ignore_errors=True)

    def __enter__(self) -> EmbeddedPostgres:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
