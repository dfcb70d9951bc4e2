"""Fixtures shared by the unit and sync tiers: one real PostgreSQL per session, a fresh database per test.

Each test gets its own database cloned from a template that already holds the schema, which costs
milliseconds instead of re-running the DDL.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

import psycopg2
import pytest
from devstats_sync import schema
from devstats_sync.embedded_postgres import EmbeddedPostgres
from psycopg2 import sql

TEMPLATE_DB = "devstats_template"
_counter = itertools.count()


@pytest.fixture(scope="session")
def pg_server() -> Iterator[EmbeddedPostgres]:
    with EmbeddedPostgres() as server:
        conn = psycopg2.connect(server.dsn())
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f"create database {TEMPLATE_DB}")
        conn.close()
        conn = psycopg2.connect(server.dsn(TEMPLATE_DB))
        schema.ensure_schema(conn)
        conn.close()
        yield server


@pytest.fixture
def make_database(pg_server: EmbeddedPostgres) -> Iterator[Callable[..., str]]:
    """Factory: ``make_database()`` returns the DSN of a new database with the schema (or empty)."""
    created: list[str] = []

    def make(with_schema: bool = True, name: str | None = None) -> str:
        # file_copy: a checkpoint and a file copy, several times faster here than WAL-logging every block.
        dbname = name or f"test_{next(_counter)}"
        conn = psycopg2.connect(pg_server.dsn())
        conn.autocommit = True
        with conn.cursor() as cur:
            template = TEMPLATE_DB if with_schema else "template0"
            cur.execute(
                sql.SQL("create database {} template {} strategy file_copy").format(
                    sql.Identifier(dbname), sql.Identifier(template)
                )
            )
        conn.close()
        created.append(dbname)
        return pg_server.dsn(dbname)

    yield make
    conn = psycopg2.connect(pg_server.dsn())
    conn.autocommit = True
    with conn.cursor() as cur:
        for dbname in created:
            cur.execute(sql.SQL("drop database if exists {} with (force)").format(sql.Identifier(dbname)))
    conn.close()


@pytest.fixture
def db_dsn(make_database: Callable[..., str]) -> str:
    return make_database()
