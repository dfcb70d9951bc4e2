"""Real GH Archive events end to end: exact rows per table, idempotence, fan-out, id collisions."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import orjson
import psycopg2
from devstats_sync.archive import Archive
from devstats_sync.event_ids import COLLISION_BASE
from devstats_sync.ingest import ingest
from devstats_sync.normalize import repo_name_of
from devstats_sync.projects_config import Project
from devstats_sync.sample_data import GeneratorConfig, hour_lines, write_hours

from tests.support.database_state import row_counts, table_checksums
from tests.support.sync_inputs import CURRENT, PRE2015, fixture_lines, write_hour_file

START = datetime(2011, 2, 12)
CURRENT_HOUR = datetime(2017, 7, 5, 18)
PRE2015_HOUR = datetime(2014, 6, 11, 2)
HOUR = datetime(2024, 1, 1)

# Counted by hand from the 66 fixture events (38 current, 28 pre-2015).
EXPECTED_ROWS = {
    "gha_events": 66,
    "gha_payloads": 66,
    "gha_repos": 66,
    "gha_actors": 110,
    "gha_orgs": 40,
    "gha_commits": 15,
    "gha_comments": 13,
    "gha_issues": 7,
    "gha_issues_assignees": 7,
    "gha_issues_labels": 13,
    "gha_issues_events_labels": 13,
    "gha_labels": 13,
    "gha_milestones": 5,
    "gha_pull_requests": 17,
    "gha_pull_requests_assignees": 1,
    "gha_branches": 34,
    "gha_forkees": 30,
    "gha_reviews": 2,
    "gha_releases": 6,
    "gha_releases_assets": 13,
    "gha_assets": 13,
    "gha_pages": 2,
    "gha_texts": 47,
    "gha_parsed": 2,
    "gha_vars": 1,
}


def fixture_archive(tmp_path: Path) -> Archive:
    write_hour_file(tmp_path / "archive", CURRENT_HOUR, fixture_lines(CURRENT))
    write_hour_file(tmp_path / "archive", PRE2015_HOUR, fixture_lines(PRE2015))
    return Archive(str(tmp_path / "archive"))


def load_fixtures(dsn: str, archive: Archive, force: bool = False) -> None:
    everything = Project(name="all", db="all_events", start_date=START, regexp=".")
    for hour in (CURRENT_HOUR, PRE2015_HOUR):
        summary = ingest(
            [everything], dsn, hour, hour.replace(hour=hour.hour + 1), archive, force=force, progress=False
        )
        assert not summary.failed and not summary.missing and not summary.bad_lines


def test_every_fixture_event_ingests_with_exact_row_counts(
    make_database: Callable[..., str], tmp_path: Path
) -> None:
    dsn = make_database(name="all_events")
    load_fixtures(dsn, fixture_archive(tmp_path))
    assert row_counts(dsn) == EXPECTED_ROWS
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("select dt from gha_parsed order by dt")
        assert [r[0] for r in cur.fetchall()] == [PRE2015_HOUR, CURRENT_HOUR]
        cur.execute("select count(*) from gha_events where id < 0")
        assert cur.fetchone() == (28,)  # the pre-2015 events, with derived ids
        cur.execute("select count(*) from gha_commits where dup_created_at >= '2025-10-07'")
        assert cur.fetchone() == (0,)
        cur.execute("select count(*) from gha_events where created_at >= '2025-10-07'")
        assert cur.fetchone() == (1,)


def test_ingesting_again_changes_nothing(make_database: Callable[..., str], tmp_path: Path) -> None:
    dsn = make_database(name="all_events")
    archive = fixture_archive(tmp_path)
    load_fixtures(dsn, archive)
    first = table_checksums(dsn)
    load_fixtures(dsn, archive)  # hours already parsed: skipped
    assert table_checksums(dsn) == first
    load_fixtures(dsn, archive, force=True)  # every row written again: all conflicts
    assert table_checksums(dsn) == first


def test_one_scan_serves_every_project_and_each_gets_exactly_its_events(
    make_database: Callable[..., str], tmp_path: Path
) -> None:
    config = GeneratorConfig(
        seed=11,
        events_per_hour=400,
        focus_repos=("kubernetes/kubernetes", "kubernetes/old", "prometheus/prometheus"),
        focus_share=0.3,
    )
    write_hours(tmp_path / "archive", HOUR, HOUR.replace(hour=2), config)
    projects = [
        Project(
            name="k8s", db="k8s", start_date=START, orgs=("kubernetes",), exclude_repos=("kubernetes/old",)
        ),
        Project(name="prom", db="prom", start_date=START, repos=("prometheus/prometheus",)),
        Project(name="both", db="both", start_date=START, regexp="^(kubernetes|prometheus)/"),
    ]
    dsns = {p.name: make_database(name=p.db) for p in projects}
    summary = ingest(
        projects,
        dsns["k8s"].replace("dbname=k8s", "dbname={db}"),
        HOUR,
        HOUR.replace(hour=2),
        Archive(str(tmp_path / "archive")),
        progress=False,
    )
    assert summary.scanned_hours == 2
    assert summary.lines == 800

    lines = [line for h in (HOUR, HOUR.replace(hour=1)) for line in hour_lines(config, h)]
    names = [repo_name_of(orjson.loads(line)) for line in lines]
    expected = {
        "k8s": sum(n == "kubernetes/kubernetes" for n in names),
        "prom": sum(n == "prometheus/prometheus" for n in names),
        "both": sum(n is not None and n.startswith(("kubernetes/", "prometheus/")) for n in names),
    }
    assert min(expected.values()) > 20
    for name, dsn in dsns.items():
        assert row_counts(dsn)["gha_events"] == expected[name], name
        assert summary.projects[name].written == expected[name]

    # A project scanned alone ends up exactly as when it shared the scan.
    alone = make_database(name="k8s_alone")
    ingest(
        [
            Project(
                name="k8s",
                db="k8s_alone",
                start_date=START,
                orgs=("kubernetes",),
                exclude_repos=("kubernetes/old",),
            )
        ],
        alone,
        HOUR,
        HOUR.replace(hour=2),
        Archive(str(tmp_path / "archive")),
        progress=False,
    )
    assert table_checksums(alone) == table_checksums(dsns["k8s"])


def test_events_whose_id_was_reused_are_all_kept(make_database: Callable[..., str], tmp_path: Path) -> None:
    before, after = datetime(2025, 10, 7, 23), datetime(2025, 10, 8, 0)
    old = orjson.loads(fixture_lines(CURRENT)[0])
    reused = orjson.loads(fixture_lines(CURRENT)[-1])  # a different event...
    reused["id"] = old["id"]  # ...given the same id after GitHub's reset
    other = orjson.loads(fixture_lines(CURRENT)[5])
    write_hour_file(tmp_path / "archive", before, [orjson.dumps(old)])
    # The reused id, plus one event twice in the same file (GH Archive does repeat lines).
    write_hour_file(
        tmp_path / "archive", after, [orjson.dumps(reused), orjson.dumps(other), orjson.dumps(other)]
    )
    dsn = make_database(name="collide")
    project = Project(name="collide", db="collide", start_date=START, regexp=".")
    archive = Archive(str(tmp_path / "archive"))
    summary = ingest([project], dsn, before, after.replace(hour=1), archive, progress=False)
    assert summary.collisions == 1
    assert summary.written == 3
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("select id, type from gha_events order by id")
        rows = cur.fetchall()
    assert (int(old["id"]), old["type"]) in rows
    assert (int(other["id"]), other["type"]) in rows
    moved = [r for r in rows if r[0] >= COLLISION_BASE]
    assert [t for _, t in moved] == [reused["type"]]
    checksums = table_checksums(dsn)
    again = ingest([project], dsn, before, after.replace(hour=1), archive, force=True, progress=False)
    assert again.written == 0
    assert table_checksums(dsn) == checksums
