"""Ingest benchmark: scan cost per GH Archive hour, fan-out cost, and write throughput.

Prints figures and ratios against the targets of the sync tool (not a test; nothing fails):
- scan of an hour of today's size (>= 100k events, >= 400 MB uncompressed) for one project that
  matches about 1% of events: CPU seconds, versus a naive baseline (stdlib gzip + json.loads of every
  line) and versus decompression alone (the floor), and peak memory;
- the same scan for 50 projects versus 1;
- normalized writes into a throwaway PostgreSQL, in matched events per second.

Each scan variant runs in its own child process so its CPU time and peak RSS are its own.
Usage: python bench/bench_ingest.py [--events N] [--keep DIR]
"""

from __future__ import annotations

import argparse
import gzip
import json
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

import orjson
import psycopg2
from devstats_sync import schema
from devstats_sync.embedded_postgres import EmbeddedPostgres
from devstats_sync.filters import Router
from devstats_sync.generator import GeneratorConfig, hour_lines, write_hour
from devstats_sync.projects_config import Project
from devstats_sync.scan import scan_hour
from devstats_sync.writer import HourWriter
from isal import igzip

HOUR = datetime(2025, 6, 2, 14)
MAIN_ORG = "kubernetes"
MAIN_REPOS = tuple(
    f"{MAIN_ORG}/{name}" for name in ("kubernetes", "test-infra", "website", "enhancements", "kubectl")
)
OTHER_ORGS = tuple(f"foundation-org{i}" for i in range(49))


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


def _write_throughput(events: int) -> dict[str, float]:

    config = GeneratorConfig(seed=7, events_per_hour=events, focus_repos=MAIN_REPOS, focus_share=1.0)
    parsed = [orjson.loads(line) for line in hour_lines(config, HOUR)]
    with EmbeddedPostgres() as server:
        conn = psycopg2.connect(server.dsn())
        schema.ensure_schema(conn)
        writer = HourWriter(conn)
        began = time.perf_counter()
        began_cpu = time.process_time()
        result = writer.write_hour(HOUR, parsed)
        wall = time.perf_counter() - began
        cpu = time.process_time() - began_cpu
        conn.close()
    return {"events": result.written, "wall": wall, "cpu": cpu, "rows": sum(result.rows.values())}


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--events", type=int, default=105_000, help="events in the generated hour")
    parser.add_argument(
        "--write-events", type=int, default=40_000, help="matched events written to PostgreSQL"
    )
    parser.add_argument("--keep", type=Path, help="generate into (and reuse) this directory")
    parser.add_argument("--measure", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.measure:
        print(json.dumps(_measure(args.measure[0], Path(args.measure[1]))))
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
        write = _write_throughput(args.write_events)

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
    print(
        f"write: {write['events']:.0f} events ({write['rows']:.0f} rows) in {write['wall']:.2f}s = "
        f"{write['events'] / write['wall']:,.0f} events/s (target >= 30,000; client CPU {write['cpu']:.2f}s)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
