"""The byte-level pre-filter must never lose an event a full parse would route."""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

import orjson
import pytest
from devstats_sync import scan
from devstats_sync.filters import Router
from devstats_sync.normalize import repo_name_of
from devstats_sync.projects_config import Project
from devstats_sync.sample_data import GeneratorConfig, hour_lines

from tests.support.sync_inputs import CURRENT, PRE2015, fixture_lines, write_hour_file

START = datetime(2011, 2, 12)
PROJECTS = [
    Project(name="k8s", db="k8s", start_date=START, orgs=("kubernetes",)),
    Project(name="focus", db="focus", start_date=START, repos=("owner3/project1",)),
    Project(name="any", db="any", start_date=START, regexp="^owner1"),
]


def expected(lines: list[bytes]) -> list[list[bytes]]:
    """Routing by a full parse of every line: the reference the fast path must equal."""
    router = Router(PROJECTS)
    out: list[list[bytes]] = [[] for _ in PROJECTS]
    for line in lines:
        for index in router.route_name(repo_name_of(orjson.loads(line))):
            out[index].append(orjson.dumps(orjson.loads(line), option=orjson.OPT_SORT_KEYS))
    return out


def scanned(path: Path) -> list[list[bytes]]:
    result = scan.scan_hour(path, Router(PROJECTS))
    return [[orjson.dumps(e, option=orjson.OPT_SORT_KEYS) for e in events] for events in result.events]


@pytest.mark.parametrize("block_size", [1 << 22, 4096, 97])
def test_fast_path_equals_full_parse_across_block_boundaries(
    tmp_path: Path, block_size: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(scan, "BLOCK_SIZE", block_size)
    config = GeneratorConfig(
        seed=2, events_per_hour=400, focus_repos=("kubernetes/kubernetes",), focus_share=0.2
    )
    lines = list(hour_lines(config, datetime(2024, 1, 1, 0)))
    # Real events in other layouts go through the slow path, in the middle of generated ones.
    lines[10:10] = fixture_lines(CURRENT)
    lines[200:200] = fixture_lines(PRE2015)
    path = write_hour_file(tmp_path, datetime(2024, 1, 1, 0), lines)
    result = scan.scan_hour(path, Router(PROJECTS))
    assert result.lines == len(lines)
    assert scanned(path) == expected(lines)
    assert len(result.events[0]) > 50


def test_fixture_events_routed_by_their_repository(tmp_path: Path) -> None:
    lines = fixture_lines(CURRENT) + fixture_lines(PRE2015)
    path = write_hour_file(tmp_path, datetime(2017, 7, 5, 18), lines)
    router = Router([Project(name="k8s", db="k8s", start_date=START, orgs=("kubernetes",))])
    result = scan.scan_hour(path, router)
    assert result.lines == 66
    names = {repo_name_of(e) for e in result.events[0]}
    assert names == {"kubernetes/kubernetes"}


def test_last_line_without_newline_and_blank_lines(tmp_path: Path) -> None:
    lines = fixture_lines(CURRENT)[:3]
    path = tmp_path / "2017-07-05-18.json.gz"
    path.write_bytes(gzip.compress(b"\n".join(lines[:2]) + b"\n\n" + lines[2]))
    result = scan.scan_hour(path, Router([Project(name="all", db="all", start_date=START, regexp=".")]))
    assert result.lines == 3
    assert len(result.events[0]) == 3


def test_corrupt_and_truncated_files_are_refused(tmp_path: Path) -> None:
    lines = list(hour_lines(GeneratorConfig(seed=1, events_per_hour=300), datetime(2024, 1, 1, 0)))
    path = write_hour_file(tmp_path, datetime(2024, 1, 1, 0), lines)
    data = path.read_bytes()
    router = Router(PROJECTS)
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(scan.CorruptArchiveError, match="not a complete gzip file"):
        scan.scan_hour(path, router)
    path.write_bytes(data[:-8] + b"\x00" * 8)  # bad CRC and length
    with pytest.raises(scan.CorruptArchiveError):
        scan.scan_hour(path, router)
    path.write_bytes(b"<html>not found</html>")
    with pytest.raises(scan.CorruptArchiveError):
        scan.scan_hour(path, router)


def test_invalid_json_lines_are_reported_with_their_line_number(tmp_path: Path) -> None:
    lines = fixture_lines(CURRENT)[:5]
    lines.insert(2, b'{"id":"1","type":"PushEvent","actor":{"id":1},"repo":{"id":1,"name":"kubernetes/x"')
    path = write_hour_file(tmp_path, datetime(2017, 7, 5, 18), lines)
    warnings: list[str] = []
    result = scan.scan_hour(
        path, Router([Project(name="all", db="all", start_date=START, regexp=".")]), warn=warnings.append
    )
    assert len(result.events[0]) == 5
    assert result.lines == 6
    assert len(warnings) == 1
    assert "2017-07-05-18.json.gz line 3: skipped, not a valid event" in warnings[0]
