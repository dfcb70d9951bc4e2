"""status, init, affiliations and demo through the CLI, and the project lock on its own."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import psycopg2
import pytest
from devstats_sync import cli
from devstats_sync.embedded_postgres import EmbeddedPostgres
from devstats_sync.locking import ProjectBusyError, ProjectLock, find_holder
from devstats_sync.pipeline import utc_now


def write_projects(tmp_path: Path, *names: str) -> Path:
    path = tmp_path / "projects.yaml"
    # Names, and orgs (GitHub logins), with '-' where the database has '_'.
    body = "".join(
        f"  - name: {n.replace('_', '-')}\n    db: {n}\n    orgs: [{n.replace('_', '-')}]\n"
        "    start_date: '2024-01-01'\n"
        for n in names
    )
    path.write_text("projects:\n" + body)
    return path


def test_status_reports_lag_flags_and_exit_code(
    pg_server: EmbeddedPostgres, make_database: Callable[..., str], tmp_path: Path,
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
) -> None:  # fmt: skip
    fresh_dsn = make_database(name="st_fresh")
    stale_dsn = make_database(name="st_stale")
    hour = utc_now().replace(minute=0, second=0, microsecond=0)
    for dsn, last in ((fresh_dsn, hour - timedelta(hours=1)), (stale_dsn, hour - timedelta(hours=10))):
        conn = psycopg2.connect(dsn)
        with conn, conn.cursor() as cur:
            cur.execute("insert into gha_parsed(dt) values (%s)", (last,))
            cur.execute("insert into gha_vars(name, value_dt) values ('provisioned', %s)", (last,))
            cur.execute("insert into gha_computed(metric, dt) values ('metrics:events', %s)", (last,))
        conn.close()
    projects = write_projects(tmp_path, "st_fresh", "st_stale")
    monkeypatch.setenv("DEVSTATS_DSN", pg_server.dsn())

    holder = psycopg2.connect(fresh_dsn)
    with ProjectLock(holder, "st-fresh-placeholder", "sync"):
        pass  # a lock of another project does not make this one busy
    with ProjectLock(holder, "st-fresh", "sync"):
        code = cli.main(["status", "--projects-file", str(projects), "--json"])
        report = json.loads(capsys.readouterr().out)
    holder.close()
    assert code == 1
    by_name = {p["project"]: p for p in report["projects"]}
    fresh, stale = by_name["st-fresh"], by_name["st-stale"]
    assert (fresh["provisioned"], fresh["running"], fresh["stale"]) == (True, True, False)
    assert fresh["running_by"].startswith("devstats-sync sync st-fresh pid=")
    assert 0 <= fresh["lag_hours"] < 1
    assert fresh["last_parsed_hour"] == f"{hour - timedelta(hours=1):%Y-%m-%dT%H:%M:%SZ}"
    assert fresh["last_metrics_at"] == fresh["last_parsed_hour"]
    assert (stale["stale"], stale["running"]) == (True, False)
    assert 9 <= stale["lag_hours"] < 10

    assert cli.main(["status", "--projects-file", str(projects), "--project", "st-fresh"]) == 0
    assert "st-fresh: last hour" in capsys.readouterr().out
    assert cli.main(["status", "--projects-file", str(projects), "--project", "st-stale",
                     "--stale-after-hours", "12"]) == 0  # fmt: skip


def test_status_of_a_missing_database_is_stale(
    pg_server: EmbeddedPostgres, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    projects = write_projects(tmp_path, "st_nowhere")
    assert cli.main(["status", "--projects-file", str(projects), "--dsn", pg_server.dsn()]) == 1
    said = capsys.readouterr().out
    assert "st-nowhere: database st_nowhere unreachable: cannot connect to PostgreSQL (host 127.0.0.1" in said
    assert 'database "st_nowhere" does not exist' in said


def test_lock_names_its_holder_and_frees_on_exit(db_dsn: str) -> None:
    first, second = psycopg2.connect(db_dsn), psycopg2.connect(db_dsn)
    with ProjectLock(first, "demo", "provision"):
        with pytest.raises(
            ProjectBusyError, match=r"project demo is busy: locked by devstats-sync provision demo pid="
        ):
            ProjectLock(second, "demo", "sync").__enter__()
        holder = find_holder(second, "demo")
        assert holder is not None and "server pid" in holder.describe()
    with ProjectLock(second, "demo", "sync"):
        assert find_holder(first, "demo") is not None
    assert find_holder(first, "demo") is None
    first.close()
    second.close()


def test_init_creates_roles_databases_and_grants_idempotently(
    pg_server: EmbeddedPostgres,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    projects = write_projects(tmp_path, "init_alpha")
    monkeypatch.setenv("DEVSTATS_RO_PASSWORD", "ro-secret")
    args = ["init", "--projects-file", str(projects), "--dsn", pg_server.dsn(), "--shared-db", "init_shared",
            "--admin-role", "init_admin", "--ro-role", "init_ro", "--team-role", "init_team"]  # fmt: skip
    try:
        assert cli.main(args) == 0
        out = capsys.readouterr().out
        for made in ("role init_admin", "role init_ro", "role init_team", "database init_shared",
                     "database init_alpha"):  # fmt: skip
            assert made in out
        assert cli.main(args) == 0
        assert "everything already in place" in capsys.readouterr().out
        ro = psycopg2.connect(pg_server.dsn("init_alpha").replace("user=postgres", "user=init_ro"))
        with ro.cursor() as cur:
            cur.execute("select count(*) from gha_events")
            assert cur.fetchone() == (0,)
            with pytest.raises(psycopg2.errors.InsufficientPrivilege):
                cur.execute("insert into gha_parsed(dt) values (now())")
        ro.close()
    finally:
        admin = psycopg2.connect(pg_server.dsn())
        admin.autocommit = True
        with admin.cursor() as cur:
            for db in ("init_alpha", "init_shared"):
                cur.execute(f"drop database if exists {db} with (force)")
            for role in ("init_admin", "init_ro", "init_team"):
                cur.execute(f"drop role if exists {role}")
        admin.close()


def test_affiliations_command_without_a_file_is_a_clean_noop(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DEVSTATS_GITHUB_USERS", raising=False)
    assert cli.main(["affiliations", "--projects-file", str(write_projects(tmp_path, "aff"))]) == 0
    assert "no github_users.json configured" in capsys.readouterr().out


def test_demo_runs_once_then_reports_up_to_date(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    projects = tmp_path / "projects.yaml"
    projects.write_text(
        "projects:\n  - name: calico\n    repos: [projectcalico/calico]\n    start_date: '2016-01-01'\n"
    )
    args = ["demo", "--projects-file", str(projects), "--state-dir", str(tmp_path / "state"), "--hours", "3",
            "--events", "200", "--json"]  # fmt: skip
    assert cli.main(args) == 0
    first = json.loads(capsys.readouterr().out)
    assert (first["project"], first["hours_loaded"], first["hours"], first["up_to_date"]) == (
        "calico",
        3,
        3,
        False,
    )
    assert first["events"] > 0 and first["last_hour"] == "2024-03-04 02:00"
    assert cli.main(args) == 0
    second = json.loads(capsys.readouterr().out)
    assert (second["hours_loaded"], second["up_to_date"], second["events"]) == (0, True, first["events"])
