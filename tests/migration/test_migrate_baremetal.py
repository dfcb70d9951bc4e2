"""playbooks/migrate_baremetal.yml end to end: a legacy DevStats PostgreSQL filled by the sync tool's own
ingest over generated hours, migrated into a second PostgreSQL; verified; the next hourly sync on the
target continues at the next hour; a second run changes nothing; a missing source database stops
preflight with its name; the cut-over stops the old cron lines."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2
import pytest
import yaml
from devstats_sync.embedded_postgres import EmbeddedPostgres

from tests.support.ansible_playbook import PlaybookRun, run_playbook

H0 = datetime(2024, 3, 4, 0)
HOUR = timedelta(hours=1)
FOUNDATION = "legacyfdn"
PROJECTS = [
    {"name": "alpha", "db": "mig_alpha", "orgs": ["kubernetes"], "start_date": f"{H0:%Y-%m-%d}"},
    {"name": "beta", "db": "mig_beta", "repos": ["kubernetes/test-infra"], "start_date": f"{H0:%Y-%m-%d}"},
]
CRON_LINES = "SHELL=/bin/bash\n0 * * * * devstats /usr/bin/devstats-sync-all\n# 5 * * * * kept-comment\n"
SETTINGS = {"wal_level": "minimal"}


def devstats_sync(*args: str, dsn: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(Path(sys.executable).parent / "devstats-sync"), *args],
        env={**os.environ, "DEVSTATS_DSN": dsn},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, f"devstats-sync {args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done


def query(server: EmbeddedPostgres, db: str, sql: str) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(server.dsn(db))
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def hour(value: datetime) -> str:
    return f"{value:%Y-%m-%dT%H}"


@dataclass
class Migration:
    legacy: EmbeddedPostgres
    target: EmbeddedPostgres
    inventory: Path
    archive: Path
    projects_file: Path
    cron_file: Path

    def run(self, *args: str) -> PlaybookRun:
        return run_playbook("playbooks/migrate_baremetal.yml", "-i", str(self.inventory), *args)


def write_inventory(
    directory: Path, legacy: EmbeddedPostgres, target: EmbeddedPostgres, cron_file: Path
) -> Path:
    (directory / "group_vars" / "all").mkdir(parents=True)
    (directory / "host_vars").mkdir()
    local = {"ansible_connection": "local", "ansible_python_interpreter": "{{ ansible_playbook_python }}"}
    (directory / "hosts.yml").write_text(
        yaml.safe_dump(
            {
                "devstats_foundations": {"hosts": {FOUNDATION: local}},
                "devstats_legacy": {"hosts": {"oldhost": local}},
            }
        )
    )
    (directory / "group_vars" / "all" / "platform.yml").write_text(
        yaml.safe_dump({"platform_target": "none"})
    )
    (directory / "host_vars" / f"{FOUNDATION}.yml").write_text(
        yaml.safe_dump(
            {
                "devstats_domain": "legacy.example.org",
                "devstats_projects": PROJECTS,
                "migrate_target_host": "127.0.0.1",
                "migrate_target_port": target.port,
                "migrate_target_passwords": {
                    "superuser": "",
                    "app": "app-pw",
                    "readonly": "ro-pw",
                    "team": "team-pw",
                },
                "migrate_target_capacity": "20Gi",
                "migrate_jobs": 2,
                "migrate_work_dir": str(directory / "dumps"),
            }
        )
    )
    (directory / "host_vars" / "oldhost.yml").write_text(
        yaml.safe_dump(
            {
                "migrate_source_postgres_host": "127.0.0.1",
                "migrate_source_postgres_port": legacy.port,
                "migrate_source_cron_file": str(cron_file),
            }
        )
    )
    return directory


@pytest.fixture(scope="module")
def migration(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Migration]:
    work = tmp_path_factory.mktemp("migration")
    archive = work / "archive"
    projects_file = work / "projects.yaml"
    projects_file.write_text(yaml.safe_dump({"projects": PROJECTS}))
    cron_file = work / "devstats.cron"
    cron_file.write_text(CRON_LINES)
    with EmbeddedPostgres(SETTINGS) as legacy, EmbeddedPostgres(SETTINGS) as target:
        devstats_sync(
            "generate",
            "--out",
            str(archive),
            "--from",
            hour(H0),
            "--to",
            hour(H0 + 5 * HOUR),
            "--events",
            "300",
            "--repos",
            "kubernetes/kubernetes",
            "--repos",
            "kubernetes/test-infra",
            "--share",
            "0.3",
            dsn=legacy.dsn(),
        )
        # The legacy DevStats: its shared database and roles, then each project loaded up to H0+3h.
        devstats_sync("init", "--projects-file", str(projects_file), dsn=legacy.dsn())
        for project in PROJECTS:
            devstats_sync(
                "--quiet",
                "provision",
                "--projects-file",
                str(projects_file),
                "--project",
                project["name"],
                "--archive-url",
                str(archive),
                "--cache-dir",
                str(work / "cache"),
                "--skip-git",
                "--to",
                hour(H0 + 3 * HOUR),
                dsn=legacy.dsn(),
            )
        inventory = write_inventory(work / "inventory", legacy, target, cron_file)
        yield Migration(legacy, target, inventory, archive, projects_file, cron_file)


TABLE_COUNTS = "select relname, n_live_tup from pg_stat_user_tables order by relname"


def counts(server: EmbeddedPostgres, db: str) -> dict[str, int]:
    tables = [t for (t,) in query(server, db, "select tablename from pg_tables where schemaname = 'public'")]
    return {t: query(server, db, f'select count(*) from "{t}"')[0][0] for t in sorted(tables)}


def test_migration_copies_verifies_cuts_over_and_the_sync_continues(migration: Migration) -> None:
    first = migration.run()
    assert first.returncode == 0, first.output[-8000:]
    for project in PROJECTS:
        db = project["db"]
        legacy_counts = counts(migration.legacy, db)
        assert legacy_counts["gha_events"] > 0
        assert counts(migration.target, db) == legacy_counts
        assert query(migration.target, db, "select max(dt), count(*) from gha_parsed") == [(H0 + 2 * HOUR, 3)]
        # Owned by the application user, readable by the read-only user: our own init, not the legacy's.
        owners = query(
            migration.target, db, "select distinct tableowner from pg_tables where schemaname = 'public'"
        )
        assert owners == [("devstats",)]
        privilege = "select has_table_privilege('devstats_ro', 'gha_events', 'select')"
        assert query(migration.target, db, privilege) == [(True,)]
    assert counts(migration.target, "devstats") == counts(migration.legacy, "devstats")
    assert migration.cron_file.read_text() == CRON_LINES, "the source changed without a cut-over"
    report = next(
        result["msg"]
        for play in first.plays
        for task in play["tasks"]
        if task["task"]["name"].endswith("Report what moved")
        for result in task["hosts"].values()
    )
    assert "mig_alpha -> mig_alpha: copied and verified" in report[0]
    assert "last synced hour 2024-03-04 02:00 UTC" in report[0]

    # A second run finds every database migrated and changes nothing.
    second = migration.run()
    assert second.returncode == 0, second.output[-8000:]
    assert second.changed() == 0, second.changed_items()

    # The cut-over comments out the old sync's line, and nothing else.
    cutover = migration.run("-e", "migrate_cutover=true")
    assert cutover.returncode == 0, cutover.output[-8000:]
    (changed,) = cutover.changed_items()
    assert changed.endswith(f"Stop the old sync - comment out its lines in {migration.cron_file}: ")
    lines = migration.cron_file.read_text().splitlines()
    assert lines == [
        "SHELL=/bin/bash",
        "# stopped by the devstats.platform migration: 0 * * * * devstats /usr/bin/devstats-sync-all",
        "# 5 * * * * kept-comment",
    ]

    # The next hourly sync on the target resumes at the hour after the watermark, once.
    project = PROJECTS[0]
    before = query(migration.target, project["db"], "select count(*) from gha_events")[0][0]
    devstats_sync(
        "--quiet",
        "sync",
        "--projects-file",
        str(migration.projects_file),
        "--project",
        project["name"],
        "--archive-url",
        str(migration.archive),
        "--skip-git",
        "--to",
        hour(H0 + 4 * HOUR),
        dsn=migration.target.dsn(),
    )
    parsed = [dt for (dt,) in query(migration.target, project["db"], "select dt from gha_parsed order by dt")]
    assert parsed == [H0 + i * HOUR for i in range(4)]
    hour3 = query(
        migration.target,
        project["db"],
        "select count(*) from gha_events "
        f"where created_at >= '{H0 + 3 * HOUR}' and created_at < '{H0 + 4 * HOUR}'",
    )[0][0]
    after = query(migration.target, project["db"], "select count(*), count(distinct id) from gha_events")[0]
    assert hour3 > 0 and after == (before + hour3, before + hour3)


def test_a_project_without_a_source_database_fails_preflight_by_name(
    migration: Migration, tmp_path: Path
) -> None:
    extra = tmp_path / "more.yml"
    extra.write_text(
        yaml.safe_dump(
            {
                "devstats_projects": [
                    *PROJECTS,
                    {"name": "gamma", "db": "mig_gamma", "orgs": ["gamma"], "start_date": "2024-03-04"},
                ]
            }
        )
    )
    run = migration.run("-e", f"@{extra}")
    assert run.returncode != 0
    assert "project 'gamma': source database 'mig_gamma' does not exist on the legacy server" in run.output
    assert run.changed() == 0
    assert not query(migration.target, "postgres", "select 1 from pg_database where datname = 'mig_gamma'")
