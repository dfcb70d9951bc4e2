"""One run per project at a time: a PostgreSQL session advisory lock in the project's database.

A lock held by a session dies with it, so a killed pod never leaves a stale lock behind (the reason
for advisory locks instead of PID files). The holder announces itself in ``application_name``
(command, project, host, pid, start time), so a second run can say who is busy.
"""

from __future__ import annotations

import hashlib
import os
import socket
from dataclasses import dataclass
from datetime import UTC, datetime

from psycopg2.extensions import connection

# Advisory lock class "project run"; the object id is derived from the project name.
LOCK_CLASS = 0x64737970
APPLICATION_PREFIX = "devstats-sync"


@dataclass(frozen=True)
class Holder:
    pid: int
    application_name: str
    client: str
    backend_start: datetime | None

    def describe(self) -> str:
        started = f", connected since {self.backend_start:%Y-%m-%d %H:%M:%S %Z}" if self.backend_start else ""
        who = self.application_name or "a session without an application name"
        return f"{who} (server pid {self.pid}, client {self.client or 'local socket'}{started})"


class ProjectBusyError(RuntimeError):
    def __init__(self, project: str, holder: Holder | None) -> None:
        self.project = project
        self.holder = holder
        who = holder.describe() if holder else "a session that has just ended"
        super().__init__(f"project {project} is busy: locked by {who}")


def lock_key(project: str) -> int:
    """A stable signed 32-bit object id for the project (advisory locks take two int4 keys)."""
    value = int.from_bytes(hashlib.blake2b(project.encode(), digest_size=4).digest(), "big")
    return value - (1 << 32) if value >= 1 << 31 else value


def application_name(command: str, project: str) -> str:
    # PostgreSQL keeps 63 bytes of application_name: the most telling parts go first.
    started = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    who = f"pid={os.getpid()} host={socket.gethostname()} start={started}"
    return f"{APPLICATION_PREFIX} {command} {project} {who}"[:63]


def find_holder(conn: connection, project: str) -> Holder | None:
    with conn.cursor() as cur:
        cur.execute(
            """
            select a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), ''), a.backend_start
            from pg_locks l join pg_stat_activity a on a.pid = l.pid
            where l.locktype = 'advisory' and l.granted and l.classid = %s::oid and l.objid = %s::oid
              and l.objsubid = 2
              and l.database = (select oid from pg_database where datname = current_database())
            """,
            (LOCK_CLASS, lock_key(project) & 0xFFFFFFFF),
        )
        row = cur.fetchone()
    conn.rollback()
    return Holder(int(row[0]), row[1], row[2], row[3]) if row else None


class ProjectLock:
    """``with ProjectLock(conn, project, command):`` holds the project for the connection's session.

    Raises :class:`ProjectBusyError` when another session has it. The connection must stay open for
    the whole run; closing it releases the lock.
    """

    def __init__(self, conn: connection, project: str, command: str) -> None:
        self.conn = conn
        self.project = project
        self.command = command

    def __enter__(self) -> ProjectLock:
        with self.conn.cursor() as cur:
            cur.execute(
                "select set_config('application_name', %s, false)",
                (application_name(self.command, self.project),),
            )
            cur.execute("select pg_try_advisory_lock(%s, %s)", (LOCK_CLASS, lock_key(self.project)))
            acquired = bool(cur.fetchone()[0])
        self.conn.commit()
        if not acquired:
            raise ProjectBusyError(self.project, find_holder(self.conn, self.project))
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.conn.closed:
            return
        self.conn.rollback()
        with self.conn.cursor() as cur:
            cur.execute("select pg_advisory_unlock(%s, %s)", (LOCK_CLASS, lock_key(self.project)))
        self.conn.commit()
