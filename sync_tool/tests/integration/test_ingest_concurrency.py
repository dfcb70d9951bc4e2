"""No row doubled: concurrent runs over the same hours end with the tables of one clean run.

Writers of a project hold a lock per hour for everything an hour writes, and the one table derived
across hours (issue/pull request links) has a unique key, so a second writer can neither double an
hour nor a link. Also: a foundation with more projects than the server takes connections.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import closing
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2
import pytest
from devstats_sync.embedded_postgres import EmbeddedPostgres
from devstats_sync.sample_data import GeneratorConfig, write_hours
from devstats_sync.writer import HourWriter, link_issues_to_pull_requests
from psycopg2.extensions import parse_dsn

from tests.support.database_state import duplicated_rows, hour_states, row_counts, table_checksums
from tests.support.sync_inputs import write_projects_file

H0 = datetime(2024, 5, 6, 0)
HOUR = timedelta(hours=1)
HOURS = 3
REPOS = ("acme/widget", "acme/gadget")
# What a metrics run stamps with the time it ran: not data, so not compared.
BOOKKEEPING = {"gha_vars", "gha_computed", "gha_last_computed"}


# One cheap metric: the syncs' metrics step is not what these tests are about.
METRICS_YAML = (
    "metrics:\n  - name: Events\n    series_name_or_func: events_h\n    sql: events\n    periods: h\n"
)
EVENTS_SQL = (
    "select count(*) as value from gha_events where created_at >= '{{from}}' and created_at < '{{to}}'\n"
)


@pytest.fixture(scope="module")
def archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("archive")
    config = GeneratorConfig(seed=11, events_per_hour=2000, focus_repos=REPOS, focus_share=0.4)
    write_hours(directory, H0, H0 + HOURS * HOUR, config)
    return directory


@pytest.fixture(scope="module")
def metrics_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("metrics")
    (directory / "shared").mkdir()
    (directory / "shared" / "metrics.yaml").write_text(METRICS_YAML)
    (directory / "shared" / "events.sql").write_text(EVENTS_SQL)
    return directory


def command(dsn: str, tmp_path: Path, archive: Path, *args: str) -> list[str]:
    projects = tmp_path / f"projects-{parse_dsn(dsn)['dbname']}.yaml"
    if not projects.exists():
        project = {
            "name": "acme",
            "db": parse_dsn(dsn)["dbname"],
            "orgs": ["acme"],
            "start_date": f"{H0:%Y-%m-%d}",
        }
        write_projects_file(projects, [project])
    name, *rest = args
    where = ["--projects-file", str(projects), "--dsn", dsn, "--archive-url", str(archive), "--no-progress"]
    return [sys.executable, "-m", "devstats_sync.cli", "--quiet", name, *where, *rest]


def run_together(*commands: list[str]) -> None:
    """Starts the commands at once and waits for all; each must succeed."""
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    running = [
        subprocess.Popen(c, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env) for c in commands
    ]
    outputs = [process.communicate(timeout=600)[0].decode() for process in running]
    for process, output in zip(running, outputs, strict=True):
        assert process.returncode == 0, output


def data(dsn: str) -> dict[str, tuple[int, str]]:
    return {table: figures for table, figures in table_checksums(dsn).items() if table not in BOOKKEEPING}


def hours(start: datetime, end: datetime) -> list[str]:
    return ["--from", f"{start:%Y-%m-%dT%H}", "--to", f"{end:%Y-%m-%dT%H}"]


def test_two_ingests_over_the_same_hours_store_what_one_does(
    make_database: Callable[..., str], tmp_path: Path, archive: Path
) -> None:
    clean, twice = make_database(), make_database()
    run_together(command(clean, tmp_path, archive, "ingest", *hours(H0, H0 + HOURS * HOUR)))
    ingest = command(twice, tmp_path, archive, "ingest", *hours(H0, H0 + HOURS * HOUR))
    run_together(ingest, ingest)
    assert row_counts(clean)["gha_issues_pull_requests"] > 0
    assert data(twice) == data(clean)
    assert duplicated_rows(twice) == {}


def test_an_ingest_beside_a_sync_stores_what_a_sync_alone_does(
    make_database: Callable[..., str], tmp_path: Path, archive: Path, metrics_dir: Path
) -> None:
    clean, beside = make_database(), make_database()
    end = H0 + HOURS * HOUR
    project = ["--project", "acme", "--skip-git", "--metrics-dir", str(metrics_dir)]
    for dsn in (clean, beside):
        run_together(
            command(dsn, tmp_path, archive, "provision", *project, "--to", f"{H0 + HOUR:%Y-%m-%dT%H}")
        )
    sync = ["sync", *project, "--to", f"{end:%Y-%m-%dT%H}"]
    run_together(command(clean, tmp_path, archive, *sync))
    run_together(command(beside, tmp_path, archive, *sync), command(beside, tmp_path, archive, "ingest",
                                                                      *hours(H0, end)))  # fmt: skip
    assert hour_states(beside) == dict.fromkeys((H0 + i * HOUR for i in range(HOURS)), "parsed")
    assert data(beside) == data(clean)
    assert duplicated_rows(beside) == {}


def test_two_runs_linking_at_once_store_each_link_once(db_dsn: str) -> None:
    """The race of the concurrent runs, made certain: a second run links while the first one's link
    is not committed yet, and must wait for it instead of adding its own."""
    with closing(psycopg2.connect(db_dsn)) as first, closing(psycopg2.connect(db_dsn)) as second:
        at = "2024-05-06T00:01:00Z"
        base = {"actor": {"id": 1, "login": "a"}, "repo": {"id": 5, "name": "acme/widget"}, "created_at": at}
        comment = {"issue": {"id": 1, "number": 7, "pull_request": {}}, "comment": {"id": 3, "body": "x"}}
        pull_request = {"pull_request": {"id": 2, "number": 7}}
        events = [
            {**base, "id": "1", "type": "IssueCommentEvent", "payload": comment},
            {**base, "id": "2", "type": "PullRequestEvent", "payload": pull_request},
        ]
        HourWriter(first).write_hour(H0, events)
        with first.cursor() as cur:
            cur.execute("insert into gha_issues_pull_requests values (1, 2, 7, 5, 'acme/widget', %s)", (H0,))
        linked: list[int] = []
        racing = threading.Thread(target=lambda: linked.append(link_issues_to_pull_requests(second, H0)))
        racing.start()
        deadline = time.monotonic() + 30
        with closing(psycopg2.connect(db_dsn)) as watcher, watcher.cursor() as cur:
            waiting = False
            while not waiting and racing.is_alive() and time.monotonic() < deadline:
                cur.execute(
                    "select count(*) > 0 from pg_stat_activity where pid = %s and wait_event_type = 'Lock'",
                    (second.info.backend_pid,),
                )
                waiting = bool(cur.fetchone()[0])
                time.sleep(0.05)
        first.commit()
        racing.join(timeout=30)
        assert waiting and linked == [0]
        with first.cursor() as cur:
            cur.execute("select count(*) from gha_issues_pull_requests")
            assert cur.fetchone() == (1,)


def test_a_foundation_with_more_projects_than_the_server_takes_connections(
    tmp_path: Path, archive: Path
) -> None:
    projects = [
        {"name": f"p{i}", "db": f"p{i}", "orgs": ["acme"], "start_date": f"{H0:%Y-%m-%d}"} for i in range(12)
    ]
    projects_file = write_projects_file(tmp_path / "projects.yaml", projects)
    # The tool connects as a superuser here, which may use every one of these.
    with EmbeddedPostgres({"max_connections": "6"}) as server:
        ingest = [sys.executable, "-m", "devstats_sync.cli", "--quiet", "ingest", "--projects-file",
                  str(projects_file), "--dsn", server.dsn(), "--archive-url", str(archive), "--no-progress",
                  "--create-db", "--no-indexes", "--max-connections", "3", *hours(H0, H0 + HOUR)]  # fmt: skip
        run = subprocess.run(ingest, capture_output=True, text=True, check=False)
        assert run.returncode == 0, run.stderr
        counts = {row_counts(server.dsn(p["db"]))["gha_events"] for p in projects}
        assert len(counts) == 1 and counts.pop() > 0
