"""Ingest benchmark: scan cost per GH Archive hour, fan-out cost, and write throughput.

Prints figures and ratios against the targets of the sync tool (not a test; nothing fails):
- scan of an hour of today's size (>= 100k events, >= 400 MB uncompressed) for one project that
  matches about 1% of events: CPU seconds, versus a naive baseline (stdlib gzip + json.loads of every
  line) and versus decompression alone (the floor), and peak memory;
- the same scan for 50 projects versus 1;
- normalized writes into a throwaway PostgreSQL, in matched events (and rows) per second, with the
  CPU seconds of the client and of its server backend: under the durability settings of a
  deployment (those of the patroni role: fsync, full-page writes, synchronous commit, WAL for
  replicas), for a first load (no secondary indexes yet) and for a later hour (all of them
  present), and for contrast under the throwaway server's own settings (fsync off). The later hour
  is measured twice: on a server started for it (every buffer and WAL segment it uses is new to
  the server, costs it pays once in its life) and on a running one as a deployment's hourly sync
  finds it (buffer pool in use, a checkpoint behind it, so first changes of pages since then
  write full-page images to the WAL).

Each scan variant runs in its own child process so its CPU time and peak RSS are its own.
The writes use the sync tool's C extension where it is built; --no-extension measures them as
installed without it (the Python formatter, text format).

Usage: python bench/bench_ingest.py [--events N] [--write-events N] [--write-only] [--repeat N]
       [--no-extension] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping
from datetime import datetime, timedelta
from pathlib import Path

import orjson
import psycopg2
from devstats_sync import copy_format, schema
from devstats_sync.embedded_postgres import EmbeddedPostgres
from devstats_sync.filters import Router
from devstats_sync.projects_config import Project
from devstats_sync.sample_data import GeneratorConfig, hour_lines, write_hour
from devstats_sync.scan import scan_hour
from devstats_sync.writer import HourWriter
from isal import igzip

HOUR = datetime(2025, 6, 2, 14)
MAIN_ORG = "kubernetes"
MAIN_REPOS = tuple(
    f"{MAIN_ORG}/{name}" for name in ("kubernetes", "test-infra", "website", "enhancements", "kubectl")
)
OTHER_ORGS = tuple(f"foundation-org{i}" for i in range(49))
# What roles/patroni/defaults/main.yml gives a deployment, plus PostgreSQL's own durability defaults
# that the throwaway server turns off.
DEPLOYMENT_SETTINGS = {
    "fsync": "on",
    "synchronous_commit": "on",
    "full_page_writes": "on",
    "wal_level": "replica",
    "max_wal_senders": "10",
    "wal_log_hints": "on",
    "shared_buffers": "512MB",
    "work_mem": "16MB",
    "maintenance_work_mem": "256MB",
    "max_wal_size": "4GB",
    "min_wal_size": "512MB",
    "checkpoint_timeout": "5min",
    "autovacuum": "on",
}


def _projects(count: int) -> list[Project]:

    start = datetime(2015, 1, 1)
    projects = [Project(name="kubernetes", db="gha", start_date=start, orgs=(MAIN_ORG,))]
    projects += [
        Project(name=f"p{i}", db=f"p{i}", start_date=start, orgs=(org,)) for i, org in enumerate(OTHER_ORGS)
    ]
    return projects[:count]


def _generate(directory: Path, events: int) -> Path:

    # The main project's repositories take half of the 2% focus share (about 1% of all events);
    # the other 49 orgs of the foundation share the other half.
    focus = MAIN_REPOS * 49 + tuple(f"{org}/app" for org in OTHER_ORGS) * 5
    config = GeneratorConfig(seed=42, events_per_hour=events, focus_repos=focus, focus_share=0.02)
    return write_hour(directory, HOUR, config)


def _measure(kind: str, path: Path) -> dict[str, float]:
    """Runs in a child process: one measurement, reported as JSON on stdout."""

    began_cpu = time.process_time()
    began = time.perf_counter()
    extra: dict[str, float] = {}
    if kind == "decompress":
        size = 0
        buffer = bytearray(1 << 22)
        with igzip.open(path, "rb") as stream:
            while read := stream.readinto(buffer):
                size += read
        extra["bytes"] = size
    elif kind == "naive":
        matched = 0
        with gzip.open(path, "rb") as stream:
            for line in stream:
                event = json.loads(line)
                if event["repo"]["name"].split("/", 1)[0] == MAIN_ORG:
                    matched += 1
        extra["matched"] = matched
    else:
        result = scan_hour(path, Router(_projects(int(kind.removeprefix("scan")))))
        extra["lines"] = result.lines
        extra["matched"] = result.matched
        extra["main_matched"] = len(result.events[0])
    extra["cpu"] = time.process_time() - began_cpu
    extra["wall"] = time.perf_counter() - began
    extra["peak_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return extra


def _child(kind: str, path: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--measure", kind, str(path)], check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (the server backend), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _run_in(conn: psycopg2.extensions.connection) -> None:
    """Puts the server of ``conn``, started for the benchmark, in the state a deployment's hourly
    sync finds: its shared buffers touched (filled once from a throwaway table, dropped again) and a
    checkpoint behind it. The checkpoint also recycles the WAL segments written so far for reuse."""
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("create extension if not exists pg_prewarm")
        cur.execute(
            "create unlogged table _ballast as select repeat('x', 2000) as filler "
            "from generate_series(1, 4 * pg_size_bytes(current_setting('shared_buffers')) / 8192 + 4096)"
        )
        cur.execute("select pg_prewarm('_ballast')")
        cur.execute("drop table _ballast")
        cur.execute("checkpoint")
    conn.autocommit = False


def _write_throughput(
    events: int, settings: Mapping[str, str], *, indexed: bool, running: bool = False
) -> dict[str, float]:
    """One hour of ``events`` matched events written; ``indexed``: into a database that already
    holds an hour and all secondary indexes, as every hour after a project's first load does;
    ``running``: on a server in a deployment's steady state (:func:`_run_in`)."""

    hours = [HOUR - timedelta(hours=1), HOUR] if indexed else [HOUR]
    parsed = []
    for seed, hour in enumerate(hours, start=7):
        config = GeneratorConfig(seed=seed, events_per_hour=events, focus_repos=MAIN_REPOS, focus_share=1.0)
        parsed.append([orjson.loads(line) for line in hour_lines(config, hour)])
    with EmbeddedPostgres(settings) as server:
        conn = psycopg2.connect(server.dsn())
        schema.ensure_schema(conn)
        writer = HourWriter(conn)
        if indexed:
            writer.write_hour(hours[0], parsed[0])
            schema.create_indexes(conn)
        if running:
            _run_in(conn)
        with conn, conn.cursor() as cur:
            cur.execute("select pg_backend_pid()")
            backend = cur.fetchone()[0]
        began = time.perf_counter()
        began_cpu = time.process_time()
        began_server = _cpu_seconds(backend)
        result = writer.write_hour(hours[-1], parsed[-1])
        wall = time.perf_counter() - began
        cpu = time.process_time() - began_cpu
        server_cpu = _cpu_seconds(backend) - began_server
        conn.close()
    return {
        "events": result.written,
        "wall": wall,
        "cpu": cpu,
        "server_cpu": server_cpu,
        "rows": sum(result.rows.values()),
    }


def _print_writes(events: int, repeat: int = 1) -> None:
    runs = [
        ("deployment settings, first load", DEPLOYMENT_SETTINGS, False, False),
        ("deployment settings, indexes present", DEPLOYMENT_SETTINGS, True, False),
        ("  the same on a running server", DEPLOYMENT_SETTINGS, True, True),
        ("fsync off (throwaway server), first load", {}, False, False),
    ]
    # On a shared machine wall times swing with the neighbours' load: --repeat N interleaves N runs
    # of each and prints medians; server CPU per event moves least with load.
    runs_note = f", median of {repeat} interleaved runs" if repeat > 1 else ""
    formats = "C extension, binary format" if copy_format.COMPILED else "Python formatter, text format"
    print(f"write of {events} matched events{runs_note} ({formats}):")
    print(
        f"{'':42}{'events/s':>10}{'rows/s':>10}{'wall s':>8}{'client CPU':>11}{'server CPU':>11}"
        f"{'server us/event':>16}"
    )
    writes: dict[str, list[dict[str, float]]] = {label: [] for label, *_ in runs}
    for _ in range(repeat):
        for label, settings, indexed, running in runs:
            writes[label].append(_write_throughput(events, settings, indexed=indexed, running=running))
    for label, *_ in runs:
        write = {key: statistics.median(run[key] for run in writes[label]) for key in writes[label][0]}
        print(
            f"{label:42}{write['events'] / write['wall']:10,.0f}{write['rows'] / write['wall']:10,.0f}"
            f"{write['wall']:8.2f}{write['cpu']:11.2f}{write['server_cpu']:11.2f}"
            f"{1e6 * write['server_cpu'] / write['events']:16.1f}"
        )
    print("write target: >= 30,000 events/s")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=105_000, help="events in the generated hour")
    parser.add_argument(
        "--write-events", type=int, default=40_000, help="matched events written to PostgreSQL"
    )
    parser.add_argument("--write-only", action="store_true", help="measure the writes only")
    parser.add_argument("--repeat", type=int, default=1, help="interleaved runs of each write (medians)")
    parser.add_argument(
        "--no-extension", action="store_true", help="write as installed without the C extension"
    )
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this directory")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure[0], Path(args.measure[1]))))
        return 0
    if args.no_extension:
        copy_format._copy_lines = None
        copy_format.COMPILED = False
    if args.write_only:
        _print_writes(args.write_events, args.repeat)
        return 0

    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        directory = args.keep or Path(tmp)
        path = directory / f"{HOUR:%Y-%m-%d}-{HOUR.hour}.json.gz"
        if not path.exists():
            began = time.perf_counter()
            path = _generate(directory, args.events)
            print(f"generated {path.name} in {time.perf_counter() - began:.1f}s")
        floor = _child("decompress", path)
        naive = _child("naive", path)
        one = _child("scan1", path)
        fifty = _child("scan50", path)

    mb = floor["bytes"] / 1e6
    print(f"hour: {one['lines']:.0f} events, {mb:.0f} MB uncompressed")
    print(
        f"project match: {one['main_matched']:.0f} events ({100 * one['main_matched'] / one['lines']:.2f}%)"
    )
    rows = [
        ("decompression alone (isal)", floor),
        ("naive: gzip + json every line", naive),
        ("scan, 1 project", one),
        ("scan, 50 projects", fifty),
    ]
    print(f"{'':34}{'CPU s':>8}{'wall s':>8}{'peak MB':>9}")
    for label, figures in rows:
        print(f"{label:34}{figures['cpu']:8.2f}{figures['wall']:8.2f}{figures['peak_mb']:9.0f}")
    print(f"scan CPU per hour: {one['cpu']:.2f} s (target <= 1.0)")
    print(f"naive / scan: {naive['cpu'] / one['cpu']:.1f}x (target >= 3x)")
    print(f"scan / decompression: {one['cpu'] / floor['cpu']:.2f}x (target <= 2x)")
    print(f"peak memory of the scan: {one['peak_mb']:.0f} MB (target < 300 MB)")
    print(
        f"fan-out: 50 projects / 1 project: {fifty['cpu'] / one['cpu']:.2f}x (target <= 1.5x; "
        f"{fifty['matched']:.0f} vs {one['matched']:.0f} matched events)"
    )
    _print_writes(args.write_events, args.repeat)
    return 0


if __name__ == "__main__":
    sys.exit(main())
