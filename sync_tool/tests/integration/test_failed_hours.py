"""Hours that cannot be completed stay on record and are retried by every run, however old, until done."""

from __future__ import annotations

import gzip
import os
import stat
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import orjson
import pytest
from devstats_sync import cli
from devstats_sync.archive import Archive, hour_file_name
from devstats_sync.ingest import ingest
from devstats_sync.projects_config import Project
from devstats_sync.sample_data import GeneratorConfig, hour_lines, write_hours
from psycopg2.extensions import parse_dsn

from tests.support.database_state import events_by_hour, failed_hour_attempts, hour_states, quarantined
from tests.support.gharchive_server import gharchive_server
from tests.support.sync_inputs import write_hour_file, write_projects_file

HOUR = timedelta(hours=1)
H = [datetime(2024, 2, 1, hour) for hour in range(6)]
CONFIG = GeneratorConfig(seed=31, events_per_hour=80, focus_repos=("acme/widget",), focus_share=0.5)
PROJECT = Project(name="acme", db="acme", start_date=datetime(2020, 1, 1), orgs=("acme",))


def generated(hour: datetime) -> list[bytes]:
    return list(hour_lines(CONFIG, hour))


def matching(hour: datetime) -> int:
    return sum(b'"name":"acme/' in line for line in generated(hour))


def test_failed_and_missing_hours_are_counted_and_retried_until_done(
    make_database: Callable[..., str], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    write_hour_file(archive, H[0], generated(H[0]))
    write_hour_file(archive, H[1], [b"not an event"])  # H[2] is missing
    dsn = make_database(name=PROJECT.db)
    for attempt in (1, 2):
        summary = ingest([PROJECT], dsn, H[0], H[3], Archive(str(archive)), progress=False)
        assert len(summary.failed) == len(summary.missing) == 1
        assert failed_hour_attempts(dsn) == {H[1]: attempt, H[2]: attempt}
    # A run over later hours takes the failed ones again, once they can be read.
    write_hour_file(archive, H[1], generated(H[1]))
    write_hour_file(archive, H[2], generated(H[2]))
    write_hour_file(archive, H[3], generated(H[3]))
    summary = ingest([PROJECT], dsn, H[3], H[4], Archive(str(archive)), progress=False)
    assert summary.scanned_hours == 3 and not summary.failed and not summary.missing
    assert hour_states(dsn) == dict.fromkeys(H[:4], "parsed")
    assert events_by_hour(dsn) == {hour: matching(hour) for hour in H[:4]}


def test_downloads_are_cached_once_readable_by_all_and_never_left_partial(
    make_database: Callable[..., str], tmp_path: Path
) -> None:
    bodies = {hour: gzip.compress(b"\n".join(generated(hour)) + b"\n") for hour in H[:2]}
    dsn = make_database(name=PROJECT.db)
    cache = tmp_path / "cache"
    umask = os.umask(0o027)
    try:
        with gharchive_server() as server:
            server.serve(hour_file_name(H[0]), (200, bodies[H[0]]))
            server.serve(
                hour_file_name(H[1]), (200, bodies[H[1]][:-100]), (200, bodies[H[1]])
            )  # truncated once
            archive = Archive(server.url, cache_dir=cache, backoff=0.01)
            ingest([PROJECT], dsn, H[0], H[2], archive, progress=False)
            ingest([PROJECT], dsn, H[0], H[2], archive, progress=False, force=True)
            assert server.requests == {hour_file_name(H[0]): 1, hour_file_name(H[1]): 2}
    finally:
        os.umask(umask)
    assert sorted(path.name for path in cache.iterdir()) == sorted(hour_file_name(h) for h in H[:2])
    assert {stat.S_IMODE(path.stat().st_mode) for path in cache.iterdir()} == {0o640}
    assert hour_states(dsn) == dict.fromkeys(H[:2], "parsed")


def test_a_poisoned_hour_is_still_reported_after_sync_leaves_the_48_hour_window(
    make_database: Callable[..., str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    now = datetime.now(UTC).replace(tzinfo=None, minute=0, second=0, microsecond=0)
    first = now - 60 * HOUR
    broken, poisoned = first + 2 * HOUR, first + 3 * HOUR
    archive = tmp_path / "archive"
    write_hours(archive, first, now, CONFIG)
    write_hour_file(archive, broken, [b"<html>Service Unavailable</html>"])
    bad_number = {"id": "9000000001", "type": "PushEvent", "actor": {"id": 5, "login": "eve"},
                  "repo": {"id": 6, "name": "acme/widget"}, "payload": {"size": 2**40}, "public": True,
                  "created_at": f"{poisoned:%Y-%m-%dT%H}:10:00Z"}  # fmt: skip
    write_hour_file(archive, poisoned, [*generated(poisoned), orjson.dumps(bad_number)])
    dsn = make_database()
    projects = write_projects_file(
        tmp_path / "projects.yaml",
        [
            {
                "name": "acme",
                "db": parse_dsn(dsn)["dbname"],
                "orgs": ["acme"],
                "start_date": f"{first:%Y-%m-%d %H}",
            }
        ],
    )
    common = ["--projects-file", str(projects), "--dsn", dsn]
    run = [*common, "--project", "acme", "--archive-url", str(archive), "--skip-git", "--no-progress"]
    until_now = ["--to", f"{now:%Y-%m-%dT%H}"]  # the same hours even if the clock passes an hour meanwhile

    def status() -> tuple[int, str]:
        code = cli.main(["status", *common])
        return code, capsys.readouterr().out

    assert cli.main(["provision", *run, "--to", f"{first + 6 * HOUR:%Y-%m-%dT%H}"]) == 3
    # The hourly syncs move far past the broken hour, out of the 48 hours they look back over.
    assert cli.main(["sync", *run, *until_now]) == 3
    assert cli.main(["sync", *run, *until_now]) == 3
    assert hour_states(dsn)[broken] == "pending"
    assert failed_hour_attempts(dsn) == {broken: 3}
    assert len(hour_states(dsn)) == 60
    code, said = status()
    assert code == 1
    assert f"1 failed hour(s), the oldest {broken:%Y-%m-%d %H}:00 (3 attempt(s)): " in said
    assert "no decodable event" in said and "1 quarantined event(s)" in said and "STALE" in said
    assert [(hour, line) for hour, _, line, _ in quarantined(dsn)] == [(poisoned, 81)]
    capsys.readouterr()

    write_hour_file(archive, broken, generated(broken))
    assert cli.main(["sync", *run, *until_now]) == 0
    assert set(hour_states(dsn).values()) == {"parsed"} and failed_hour_attempts(dsn) == {}
    code, said = status()
    assert code == 0, said
    assert "failed hour" not in said and "1 quarantined event(s)" in said
