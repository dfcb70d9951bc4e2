"""Bad hours: each one is reported clearly and costs nothing but itself."""

from __future__ import annotations

import gzip
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import orjson
import psycopg2
from devstats_sync.archive import Archive, hour_file_name
from devstats_sync.ingest import ingest
from devstats_sync.projects_config import Project
from devstats_sync.sample_data import GeneratorConfig, hour_lines

from tests.support.gharchive_server import gharchive_server
from tests.support.sync_inputs import write_hour_file, write_projects_file

H = [datetime(2024, 2, 1, hour) for hour in range(7)]
CONFIG = GeneratorConfig(seed=31, events_per_hour=200, focus_repos=("acme/widget",), focus_share=0.5)
PROJECT = Project(name="acme", db="acme", start_date=datetime(2020, 1, 1), orgs=("acme",))


def generated(hour: datetime) -> list[bytes]:
    return list(hour_lines(CONFIG, hour))


def matching(lines: list[bytes]) -> int:
    return sum(b'"name":"acme/' in line for line in lines)


def events_by_hour(dsn: str) -> dict[datetime, int]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("select dt from gha_parsed")
        parsed = {row[0] for row in cur.fetchall()}
        cur.execute("select date_trunc('hour', created_at), count(*) from gha_events group by 1")
        counts = dict(cur.fetchall())
    return {hour: counts.get(hour, 0) for hour in sorted(parsed)}


def test_bad_local_hours_are_reported_and_the_rest_loads(
    make_database: Callable[..., str], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    good = generated(H[0])
    write_hour_file(archive, H[0], good)
    with_bad_line = generated(H[1])
    with_bad_line.insert(7, b'{"id":"99","type":"PushEvent","repo":{"id":1,"name":"acme/widget"},"payload":{')
    write_hour_file(archive, H[1], with_bad_line)
    truncated = write_hour_file(archive, H[2], generated(H[2])).read_bytes()
    (archive / hour_file_name(H[2])).write_bytes(truncated[: len(truncated) * 2 // 3])
    write_hour_file(archive, H[3], [])
    unknown = {
        "id": "77",
        "type": "SponsorshipEvent",
        "actor": {"id": 5, "login": "eve"},
        "repo": {"id": 6, "name": "acme/widget"},
        "payload": {"action": "created"},
        "public": True,
        "created_at": "2024-02-01T04:10:00Z",
    }
    write_hour_file(archive, H[4], [*generated(H[4]), orjson.dumps(unknown)])
    # H[5] is missing; H[6] holds one event whose issue has a broken timestamp: only that event is lost.
    broken = {
        **unknown,
        "id": "78",
        "type": "IssuesEvent",
        "created_at": "2024-02-01T06:10:00Z",
        "payload": {"action": "opened", "issue": {"id": 1, "number": 1, "created_at": "yesterday"}},
    }
    write_hour_file(archive, H[6], [*generated(H[6]), orjson.dumps(broken)])
    projects_file = write_projects_file(
        tmp_path / "projects.yaml", [{"name": "acme", "orgs": ["acme"], "start_date": "2020-01-01"}]
    )
    dsn = make_database(name="acme")
    run = subprocess.run(
        [
            sys.executable,
            "-m",
            "devstats_sync.cli",
            "ingest",
            "--projects-file",
            str(projects_file),
            "--from",
            "2024-02-01T00",
            "--to",
            "2024-02-01T07",
            "--archive-url",
            str(archive),
            "--dsn",
            dsn,
            "--no-progress",
        ],
        capture_output=True,
        text=True,
        check=False,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"},
    )
    assert run.returncode == 3, run.stderr  # a failed hour
    out = run.stdout + run.stderr
    assert "2024-02-01-1.json.gz line 8: skipped, not a valid event" in out
    assert f"{archive / '2024-02-01-2.json.gz'}: not a complete gzip file" in out
    assert "failed hour (retried next run): 2024-02-01 02:00" in out
    assert "missing hour (retried next run): 2024-02-01 05:00" in out
    assert "SponsorshipEvent x1" in out
    assert "event 78 (IssuesEvent): cannot be normalized" in out
    assert events_by_hour(dsn) == {
        H[0]: matching(good),
        H[1]: matching(with_bad_line) - 1,
        H[3]: 0,
        H[4]: matching(generated(H[4])) + 1,
        H[6]: matching(generated(H[6])),
    }

    # The failed and missing hours are taken again by the next run, once they are fixed.
    write_hour_file(archive, H[2], generated(H[2]))
    write_hour_file(archive, H[5], generated(H[5]))
    summary = ingest([PROJECT], dsn, H[0], datetime(2024, 2, 1, 7), Archive(str(archive)), progress=False)
    assert summary.scanned_hours == 2
    assert not summary.failed and not summary.missing
    assert len(events_by_hour(dsn)) == 7


def test_downloads_retry_refetch_corrupt_files_and_report_404(
    make_database: Callable[..., str], tmp_path: Path
) -> None:
    bodies = {hour: gzip.compress(b"\n".join(generated(hour)) + b"\n") for hour in H[:4]}
    dsn = make_database(name="acme")
    with gharchive_server() as server:
        server.serve(hour_file_name(H[0]), (200, bodies[H[0]]))
        # H[1]: 404, then published later.
        server.serve(hour_file_name(H[2]), (200, bodies[H[2]][:-100]), (200, bodies[H[2]]))  # truncated once
        server.serve(hour_file_name(H[3]), (503, b"busy"), (503, b"busy"), (200, bodies[H[3]]))
        archive = Archive(server.url, cache_dir=tmp_path / "cache", backoff=0.01)
        summary = ingest([PROJECT], dsn, H[0], H[4], archive, progress=False)
        assert summary.missing == [f"2024-02-01 01:00: {server.url}2024-02-01-1.json.gz not found"]
        assert not summary.failed
        assert sorted(events_by_hour(dsn)) == [H[0], H[2], H[3]]
        assert server.requests[hour_file_name(H[2])] == 2
        assert server.requests[hour_file_name(H[3])] == 3
        assert not list((tmp_path / "cache").glob("*.part"))

        server.serve(hour_file_name(H[1]), (200, bodies[H[1]]))
        again = ingest([PROJECT], dsn, H[0], H[4], archive, progress=False)
        assert again.scanned_hours == 1 and not again.missing
        assert sorted(events_by_hour(dsn)) == H[:4]
        assert server.requests[hour_file_name(H[0])] == 1  # downloaded once, then from the cache

        server.serve(hour_file_name(H[5]), (500, b"down"))
        failed = ingest(
            [PROJECT],
            dsn,
            H[5],
            H[6],
            Archive(server.url, cache_dir=tmp_path / "cache", retries=1, backoff=0.01),
            progress=False,
        )
        assert failed.failed and "HTTP 500" in failed.failed[0] and "after 2 attempt(s)" in failed.failed[0]


def test_an_hour_the_database_refuses_costs_only_that_hour(
    make_database: Callable[..., str], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    refused = {"id": "90", "type": "PushEvent", "actor": {"id": 5, "login": "eve"},
               "repo": {"id": 6, "name": "acme/widget"}, "payload": {"size": 2**40, "ref": "refs/heads/main"},
               "public": True, "created_at": "2024-02-01T00:10:00Z"}  # fmt: skip
    write_hour_file(archive, H[0], [*generated(H[0]), orjson.dumps(refused)])  # size overflows an int column
    write_hour_file(archive, H[1], generated(H[1]))
    dsn = make_database(name="acme")
    summary = ingest([PROJECT], dsn, H[0], H[2], Archive(str(archive)), progress=False)
    assert len(summary.failed) == 1
    assert "2024-02-01 00:00 for project acme: the database refused it" in summary.failed[0]
    assert "out of range for type integer" in summary.failed[0]
    assert events_by_hour(dsn) == {H[1]: matching(generated(H[1]))}
