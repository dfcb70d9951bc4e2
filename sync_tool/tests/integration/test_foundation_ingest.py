"""The cluster's data path: one ``ingest --pending`` per foundation, provision and sync that never scan."""

from __future__ import annotations

import gzip
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from devstats_sync import cli
from devstats_sync.archive import Archive, hour_file_name
from devstats_sync.ingest import ingest, prune_cache
from devstats_sync.pipeline import PipelineConfig, provision
from devstats_sync.projects_config import Project
from devstats_sync.sample_data import GeneratorConfig, hour_lines, write_hours
from psycopg2.extensions import parse_dsn

from tests.support.database_state import events_by_hour, failed_hour_attempts, hour_states
from tests.support.gharchive_server import gharchive_server
from tests.support.sync_inputs import write_projects_file

HOUR = timedelta(hours=1)
H = [datetime(2024, 2, 1, hour) for hour in range(10)]
CONFIG = GeneratorConfig(
    seed=7, events_per_hour=60, focus_repos=("acme/widget", "bolt/core"), focus_share=0.6
)


def _project(name: str, dsn: str, start: datetime) -> dict[str, object]:
    return {
        "name": name,
        "db": parse_dsn(dsn)["dbname"],
        "orgs": [name],
        "start_date": f"{start:%Y-%m-%d %H}",
    }


@pytest.fixture
def foundation(make_database: Callable[..., str], tmp_path: Path) -> tuple[Path, str, str, Path]:
    """Two projects of one foundation, acme from H[0] and bolt (newer) from H[3], and a local archive."""
    acme, bolt = make_database(), make_database()
    archive = tmp_path / "archive"
    write_hours(archive, H[0], H[8], CONFIG)
    projects = write_projects_file(
        tmp_path / "projects.yaml", [_project("acme", acme, H[0]), _project("bolt", bolt, H[3])]
    )
    return projects, acme, bolt, archive


def test_one_download_and_one_scan_per_hour_serve_every_project(
    foundation: tuple[Path, str, str, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    projects, acme, bolt, archive = foundation
    with gharchive_server() as server:
        for hour in H[:8]:
            server.serve(hour_file_name(hour), (200, (archive / hour_file_name(hour)).read_bytes()))
        common = ["--config", str(projects), "--dsn", acme, "--archive-url", server.url, "--no-progress"]
        ingest_run = ["ingest", *common, "--cache-dir", str(tmp_path / "cache"), "--pending"]
        until = ["--to", f"{H[6]:%Y-%m-%dT%H}"]
        assert cli.main([*ingest_run, *until, "--max-hours", "4"]) == 0
        said = capsys.readouterr().out
        assert "hours: 6 in range, 4 scanned" in said
        assert "2 more hour(s) to load, left for the next run (--max-hours)" in said
        assert hour_states(acme) == dict.fromkeys(H[:4], "parsed")
        assert hour_states(bolt) == {H[3]: "parsed"}

        assert cli.main([*ingest_run, *until]) == 0
        said = capsys.readouterr().out
        # The two hours left, each scanned once for both projects.
        assert "hours: 6 in range, 2 scanned" in said and "more hour(s) to load" not in said
        assert hour_states(acme) == dict.fromkeys(H[:6], "parsed")
        assert hour_states(bolt) == dict.fromkeys(H[3:6], "parsed")
        assert cli.main([*ingest_run, *until]) == 0
        assert "hours: 6 in range, 0 scanned" in capsys.readouterr().out

        # The projects' own Jobs and CronJobs then neither download nor scan.
        for name in ("acme", "bolt"):
            pipeline = [*common, "--project", name, "--skip-git", "--no-ingest", "--cache-dir", str(tmp_path)]
            assert (
                cli.main(["provision", *pipeline, "--to", f"{H[8]:%Y-%m-%dT%H}", "--wait-for-history"]) == 0
            )
            assert cli.main(["sync", *pipeline, "--to", f"{H[8]:%Y-%m-%dT%H}"]) == 0
        assert server.requests == dict.fromkeys((hour_file_name(h) for h in H[:6]), 1)
    assert hour_states(acme) == dict.fromkeys(H[:6], "parsed")
    assert sum(events_by_hour(acme).values()) > 0 and sum(events_by_hour(bolt).values()) > 0


def test_pending_refuses_from_and_a_bad_bound(foundation: tuple[Path, str, str, Path]) -> None:
    projects, acme, _, archive = foundation
    run = ["ingest", "--config", str(projects), "--dsn", acme, "--archive-url", str(archive)]
    with pytest.raises(SystemExit) as both:
        cli.main([*run, "--pending", "--from", "2024-02-01T00"])
    assert both.value.code == 2
    with pytest.raises(SystemExit) as negative:
        cli.main([*run, "--pending", "--max-hours", "-1"])
    assert negative.value.code == 2
    assert cli.main([*run, "--pending", "--to", "2024-01-01T00"]) == 2


def test_the_cache_keeps_what_a_project_still_needs(
    make_database: Callable[..., str], tmp_path: Path
) -> None:
    acme = Project(name="acme", db=parse_dsn(make_database())["dbname"], start_date=H[0], orgs=("acme",))
    bolt = Project(name="bolt", db=parse_dsn(make_database())["dbname"], start_date=H[2], orgs=("bolt",))
    base = make_database(name="foundation_base")
    cache = tmp_path / "cache"
    with gharchive_server() as server:
        for hour in H[:4]:
            server.serve(
                hour_file_name(hour), (200, gzip.compress(b"\n".join(hour_lines(CONFIG, hour)) + b"\n"))
            )
        archive = Archive(server.url, cache_dir=cache, backoff=0.01)
        ingest([acme], base, H[0], H[4], archive, progress=False)
        # bolt has not parsed H[2] and H[3] yet: only acme's older hours may go.
        removed = prune_cache([acme, bolt], base, archive, H[4])
        assert sorted(path.name for path in removed) == [hour_file_name(h) for h in H[:2]]
        ingest([acme, bolt], base, H[0], H[4], archive, progress=False)
        assert server.requests == dict.fromkeys((hour_file_name(h) for h in H[:4]), 1)
        # Recent hours stay however parsed: the next runs may still need them.
        assert prune_cache([acme, bolt], base, archive, H[3]) == [cache / hour_file_name(H[2])]
        assert sorted(path.name for path in cache.iterdir()) == [hour_file_name(H[3])]


def test_provision_without_ingest_waits_for_the_foundations_ingest(
    foundation: tuple[Path, str, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    projects, acme, bolt, archive = foundation
    now = H[8] + 3 * HOUR  # the history to wait for: every hour before H[8]
    common = ["--config", str(projects), "--dsn", acme, "--archive-url", str(archive), "--no-progress"]
    provision_bolt = [
        "provision",
        *common,
        "--project",
        "bolt",
        "--skip-git",
        "--no-ingest",
        "--to",
        f"{now:%Y-%m-%dT%H}",
    ]
    assert cli.main([*provision_bolt, "--wait-for-history", "--wait-seconds", "0"]) == 3
    assert "bolt: 5 hour(s) of its history not loaded yet" in capsys.readouterr().err
    assert hour_states(bolt) == {}  # provision itself never scans

    ingest_run = ["ingest", *common, "--pending", "--to", f"{H[8]:%Y-%m-%dT%H}", "--project", "acme"]
    assert cli.main(ingest_run) == 0
    assert hour_states(bolt) == {}
    capsys.readouterr()

    # The Job's next attempt waits while the foundation's hourly ingest (here a thread) runs.
    project = Project(name="bolt", db=parse_dsn(bolt)["dbname"], start_date=H[3], orgs=("bolt",))
    config = PipelineConfig(
        dsn=acme,
        archive=Archive(str(archive)),
        git_cache_dir=archive.parent / "git",
        skip_git=True,
        end=now,
        now=now,
        progress=False,
        ingest=False,
        wait_seconds=60,
        poll_seconds=0.2,
    )
    loader = threading.Timer(
        1.0, lambda: cli.main(["ingest", *common, "--pending", "--to", f"{H[8]:%Y-%m-%dT%H}"])
    )
    began = time.monotonic()
    loader.start()
    try:
        report = provision(config, project)
    finally:
        loader.join()
    assert time.monotonic() - began >= 1.0
    assert any(line.startswith("history: every hour before 2024-02-01 08:00 taken") for line in report.lines)
    assert "ingest: left to the foundation's ingest (--no-ingest)" in report.lines
    assert hour_states(bolt) == dict.fromkeys(H[3:8], "parsed")
    assert failed_hour_attempts(bolt) == {}


def test_sync_without_ingest_leaves_the_hours_to_the_foundation(
    foundation: tuple[Path, str, str, Path], capsys: pytest.CaptureFixture[str]
) -> None:
    projects, acme, _, archive = foundation
    common = ["--config", str(projects), "--dsn", acme, "--archive-url", str(archive), "--no-progress"]
    pipeline = [*common, "--project", "acme", "--skip-git", "--no-ingest"]
    assert cli.main(["ingest", *common, "--pending", "--to", f"{H[6]:%Y-%m-%dT%H}", "--project", "acme"]) == 0
    assert cli.main(["provision", *pipeline, "--to", f"{H[6]:%Y-%m-%dT%H}", "--wait-for-history"]) == 0
    assert cli.main(["sync", *pipeline, "--to", f"{H[8]:%Y-%m-%dT%H}"]) == 0
    assert "ingest: left to the foundation's ingest (--no-ingest)" in capsys.readouterr().out
    assert hour_states(acme) == dict.fromkeys(H[:6], "parsed")
    # Waiting for another run's hours makes no sense when this run loads them itself.
    assert cli.main(["provision", *common, "--project", "acme", "--skip-git", "--wait-for-history"]) == 2
