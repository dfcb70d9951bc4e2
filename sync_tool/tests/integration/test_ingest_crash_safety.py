"""SIGKILL the ingest at random moments of a multi-hour run: a re-run must end exactly as a clean run."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import psycopg2
from devstats_sync.archive import Archive
from devstats_sync.ingest import ingest
from devstats_sync.projects_config import load_projects
from devstats_sync.sample_data import GeneratorConfig, write_hours

from tests.support.database_state import table_checksums
from tests.support.sync_inputs import write_projects_file

TRIALS = 20
START, END = datetime(2024, 5, 1, 0), datetime(2024, 5, 1, 5)
HOURS = 5


def cli(projects_file: Path, archive: Path, dsn: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "devstats_sync.cli",
        "ingest",
        "--projects-file",
        str(projects_file),
        "--from",
        f"{START:%Y-%m-%dT%H}",
        "--to",
        f"{END:%Y-%m-%dT%H}",
        "--archive-url",
        str(archive),
        "--dsn",
        dsn,
        "--no-indexes",
        "--no-progress",
    ]


def parsed_hours(dsn: str) -> int:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute("select count(*) from gha_parsed")
        return int(cur.fetchone()[0])


def wait_for_parsed_hours(dsn: str, process: subprocess.Popen, hours: int) -> None:
    while process.poll() is None:
        try:
            if parsed_hours(dsn) >= hours:
                return
        except psycopg2.errors.UndefinedTable:
            pass  # the ingest has not created its tables yet
        time.sleep(0.01)


def test_killed_ingest_resumes_to_the_same_database(
    make_database: Callable[..., str], tmp_path: Path
) -> None:
    archive = tmp_path / "archive"
    config = GeneratorConfig(
        seed=23,
        events_per_hour=600,
        focus_repos=("kubernetes/kubernetes", "kubernetes/kops"),
        focus_share=0.5,
    )
    write_hours(archive, START, END, config)

    def projects_file(db: str) -> Path:
        return write_projects_file(
            tmp_path / f"{db}.yaml",
            [{"name": "k8s", "db": db, "orgs": ["kubernetes"], "start_date": "2014-06-01"}],
        )

    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}

    clean = make_database(name="k8s")
    began = time.monotonic()
    done = subprocess.run(
        cli(projects_file("k8s"), archive, clean), env=env, capture_output=True, text=True, check=False
    )
    duration = time.monotonic() - began
    assert done.returncode == 0, done.stderr
    assert "events: 3000 scanned" in done.stdout
    expected = table_checksums(clean)
    assert expected["gha_parsed"][0] == HOURS
    assert expected["gha_events"][0] > 1000

    rng = random.Random(1)
    killed_running = partial = 0
    for trial in range(TRIALS):
        db = f"k8s_crash_{trial}"
        dsn = make_database(name=db)
        process = subprocess.Popen(
            cli(projects_file(db), archive, dsn),
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if trial % 2:
            # At a random moment, mostly inside an hour.
            time.sleep(rng.uniform(0.1, 1.0) * duration)
        else:
            # Right after an hour was committed, whatever the machine's load makes the run's pace.
            wait_for_parsed_hours(dsn, process, rng.randint(1, HOURS - 1))
        if process.poll() is None:
            killed_running += 1
        process.send_signal(signal.SIGKILL)
        process.wait()
        if 0 < parsed_hours(dsn) < HOURS:
            partial += 1
        project = load_projects(projects_file(db))[0]
        summary = ingest(
            [project], dsn, START, END, Archive(str(archive)), create_indexes=False, progress=False
        )
        assert not summary.failed
        assert table_checksums(dsn) == expected, (
            f"trial {trial}: the resumed database differs from a clean run"
        )
    # The kills must have hit running ingests, some of them between hours, for the test to mean anything.
    assert killed_running >= TRIALS // 2
    assert partial >= 1
