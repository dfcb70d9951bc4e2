"""Connecting to PostgreSQL with a failure a person can act on.

A failed connection is one line: what was tried (host, port, database, user; never the password),
what PostgreSQL or libpq said, and an exit code: 2 when the configuration is wrong (a malformed DSN,
a wrong password, an unknown role or database, an unknown host), 3 when the server is not in a state
to serve (refused, timed out, full, starting up), which a later run may find changed.
"""

from __future__ import annotations

import getpass
import os
import re

import psycopg2
from psycopg2.extensions import connection, parse_dsn

from devstats_sync import exit_codes
from devstats_sync.projects_config import project_dsn

# libpq's and the server's words for a configuration the user has to change.
_CONFIGURATION = re.compile(
    r"password authentication failed|no password supplied|authentication failed|pg_hba\.conf"
    r"|role \".*\" does not exist|database \".*\" does not exist|could not translate host name"
    r"|invalid (dsn|connection option|port|integer value|sslmode|value)|unsupported|not permitted to log in",
    re.IGNORECASE,
)
_MISSING_DATABASE = re.compile(r"database \".*\" does not exist", re.IGNORECASE)
# libpq quotes fragments of the connection string in its complaints; one may be a password.
_QUOTED = re.compile(r"\"[^\"]*\"")


class ConnectError(RuntimeError):
    def __init__(self, message: str, exit_code: int, *, missing_database: bool = False) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.missing_database = missing_database


def target(dsn: str) -> str:
    """``host H port P database D user U`` as libpq will resolve them, without the password."""
    try:
        given = parse_dsn(dsn) if dsn else {}
    except psycopg2.ProgrammingError:
        given = {}
    user = given.get("user") or os.environ.get("PGUSER") or getpass.getuser()
    host = given.get("host") or given.get("hostaddr") or os.environ.get("PGHOST") or "the local socket"
    port = given.get("port") or os.environ.get("PGPORT") or "5432"
    database = given.get("dbname") or os.environ.get("PGDATABASE") or user
    return f"host {host} port {port} database {database} user {user}"


def connect(base_dsn: str, database: str | None = None) -> connection:
    """psycopg2.connect to ``database`` (default: the DSN's own), raising :class:`ConnectError` with the
    line to show."""
    try:
        dsn = project_dsn(base_dsn, database) if database else base_dsn
        if dsn:
            parse_dsn(dsn)
    except psycopg2.ProgrammingError as error:
        detail = _QUOTED.sub('"..."', str(error).strip().splitlines()[0])
        raise ConnectError(
            f"the PostgreSQL DSN (--dsn or DEVSTATS_DSN) is malformed: {detail}", exit_codes.CONFIG
        ) from None
    try:
        return psycopg2.connect(dsn)
    except psycopg2.OperationalError as error:
        raise connect_error(dsn, error) from None


def connect_error(dsn: str, error: psycopg2.Error) -> ConnectError:
    said = (
        " ".join(line.strip() for line in str(error).strip().splitlines() if line.strip())
        or "no reason given"
    )
    configuration = bool(_CONFIGURATION.search(said))
    return ConnectError(
        f"cannot connect to PostgreSQL ({target(dsn)}): {said}",
        exit_codes.CONFIG if configuration else exit_codes.FAILED,
        missing_database=bool(_MISSING_DATABASE.search(said)),
    )
