"""``devstats-sync init``: the cluster-wide pieces every project shares.

Roles: the owner of the project databases' objects (the application user), a read-only role for
Grafana's datasources, and a team role for people who query the data, named as the collection's
patroni role names them (it owns them in a cluster; ``init`` is for a PostgreSQL of your own); a
shared ``devstats`` database (DevStats keeps cross-project logs there); and, for each project of the file, its
database with the schema and the grants. Everything is created only when missing, so ``init``
can run on every deployment.

Passwords come from the environment (``DEVSTATS_RO_PASSWORD``, ``DEVSTATS_TEAM_PASSWORD``); a role
without one cannot log in (useful as a group role).
"""

from __future__ import annotations

import argparse
import os

import psycopg2
from psycopg2 import sql

from devstats_sync.connections import connect
from devstats_sync.ingest import connect_project
from devstats_sync.pipeline import admin_connection
from devstats_sync.run_options import add_projects_and_dsn, dsn_from, projects_from

# The names the collection's patroni role gives them (a test keeps both equal).
OWNER_ROLE = "devstats"
READONLY_ROLE = "devstats_ro"
TEAM_ROLE = "devstats_team"

NAME = "init"
HELP = "create the shared database, the admin/read-only/team roles and every project's database and grants"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_projects_and_dsn(parser)
    parser.add_argument("--shared-db", default="devstats", help="shared database (default: devstats)")
    parser.add_argument(
        "--admin-role", default=OWNER_ROLE, help=f"owner of the project tables (default: {OWNER_ROLE})"
    )
    parser.add_argument(
        "--ro-role", default=READONLY_ROLE, help=f"read-only role for Grafana (default: {READONLY_ROLE})"
    )
    parser.add_argument("--team-role", default=TEAM_ROLE, help=f"team role (default: {TEAM_ROLE})")


def _ensure_role(
    cur: psycopg2.extensions.cursor, role: str, password: str | None, created: list[str]
) -> None:
    cur.execute("select 1 from pg_roles where rolname = %s", (role,))
    login = sql.SQL("login password {}").format(sql.Literal(password)) if password else sql.SQL("nologin")
    if cur.fetchone() is None:
        cur.execute(sql.SQL("create role {} ").format(sql.Identifier(role)) + login)
        created.append(f"role {role}")
    elif password:
        cur.execute(sql.SQL("alter role {} ").format(sql.Identifier(role)) + login)


def _ensure_db(cur: psycopg2.extensions.cursor, db: str, created: list[str]) -> None:
    cur.execute("select 1 from pg_database where datname = %s", (db,))
    if cur.fetchone() is None:
        cur.execute(sql.SQL("create database {}").format(sql.Identifier(db)))
        created.append(f"database {db}")


def _grant(dsn: str, db: str, args: argparse.Namespace) -> None:
    conn = connect(dsn, db)
    try:
        with conn, conn.cursor() as cur:
            ident = sql.Identifier
            cur.execute(sql.SQL("grant all on database {} to {}").format(ident(db), ident(args.admin_role)))
            for role in (args.ro_role, args.team_role):
                cur.execute(sql.SQL("grant connect on database {} to {}").format(ident(db), ident(role)))
                cur.execute(sql.SQL("grant usage on schema public to {}").format(ident(role)))
                cur.execute(sql.SQL("grant select on all tables in schema public to {}").format(ident(role)))
                # Series tables appear later (the metrics engine creates them): readable from birth.
                cur.execute(
                    sql.SQL("alter default privileges in schema public grant select on tables to {}").format(
                        ident(role)
                    )
                )
            cur.execute(
                sql.SQL("grant all on all tables in schema public to {}").format(ident(args.admin_role))
            )
    finally:
        conn.close()


def run(args: argparse.Namespace) -> int:
    dsn = dsn_from(args)
    projects = projects_from(args) if (args.projects_file or os.environ.get("DEVSTATS_PROJECTS_FILE")) else []
    created: list[str] = []
    conn = admin_connection(dsn)
    try:
        with conn.cursor() as cur:
            _ensure_role(cur, args.admin_role, None, created)
            _ensure_role(cur, args.ro_role, os.environ.get("DEVSTATS_RO_PASSWORD"), created)
            _ensure_role(cur, args.team_role, os.environ.get("DEVSTATS_TEAM_PASSWORD"), created)
            _ensure_db(cur, args.shared_db, created)
            for project in projects:
                _ensure_db(cur, project.db, created)
    finally:
        conn.close()
    for project in projects:
        connect_project(dsn, project).close()  # creates or upgrades the schema
    for db in [args.shared_db, *(p.db for p in projects)]:
        _grant(dsn, db, args)
    print(f"init: {', '.join(created) if created else 'everything already in place'}")
    return 0
