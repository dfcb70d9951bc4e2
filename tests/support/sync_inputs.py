"""What the sync tool reads, for its unit and sync tiers: real fixture events, hour files, projects files."""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import yaml
from devstats_sync.archive import hour_file_name

FIXTURES = Path(__file__).resolve().parents[2] / "sync_tool" / "tests" / "fixtures" / "gharchive"
CURRENT = FIXTURES / "events-2015-format.jsonl"
PRE2015 = FIXTURES / "events-pre2015-format.jsonl"


def fixture_lines(path: Path) -> list[bytes]:
    return [line for line in path.read_bytes().splitlines() if line.strip()]


def fixture_events(path: Path) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in fixture_lines(path)]


def write_hour_file(directory: Path, hour: datetime, lines: Iterable[bytes]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / hour_file_name(hour)
    with gzip.open(path, "wb") as out:
        for line in lines:
            out.write(line + b"\n")
    return path


def write_projects_file(path: Path, projects: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"projects": projects}))
    return path
