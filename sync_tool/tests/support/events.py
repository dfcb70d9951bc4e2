"""Helpers shared by the sync tool's unit and sync tiers: fixture events and hour files."""

from __future__ import annotations

import gzip
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from typing import Any

import orjson
import psycopg2
import yaml
from devstats_sync.archive import hour_file_name
from devstats_sync.schema import TABLES

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "gharchive"
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


# Columns filled with now() on insert: they differ between two otherwise identical loads.
VOLATILE_COLUMNS = {("gha_commits", "inserted_at"), ("gha_repos", "created_at"), ("gha_repos", "updated_at")}


def table_checksums(dsn: str) -> dict[str, tuple[int, str]]:
    """Row count and an order-independent digest of every gha_* table, minus volatile columns."""
    out: dict[str, tuple[int, str]] = {}
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        for table in TABLES:
            columns = ", ".join(c for c in table.column_names if (table.name, c) not in VOLATILE_COLUMNS)
            cur.execute(
                f"select count(*), coalesce(md5(string_agg(r::text, '|' order by r::text)), '') "
                f"from (select {columns} from {table.name}) r"
            )
            count, digest = cur.fetchone()
            out[table.name] = (int(count), str(digest))
    return out


def row_counts(dsn: str) -> dict[str, int]:
    return {table: count for table, (count, _) in table_checksums(dsn).items() if count}


def write_projects_file(path: Path, projects: list[dict[str, Any]]) -> Path:
    path.write_text(yaml.safe_dump({"projects": projects}))
    return path
