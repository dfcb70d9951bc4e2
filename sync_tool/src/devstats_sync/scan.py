"""One streaming pass over an hour file: decompress, pre-filter on bytes, parse only what matches.

GH Archive writes each event's top-level ``"repo":{"id":N,"name":"owner/name",...}`` before its
``payload`` (the only key that nests other repos). The scan reads decompressed blocks and, per event,
finds that marker with ``bytes.find`` (C speed), reads the name and asks the memoized router: most
lines are skipped without ever being decoded. A line that does not fit that layout (the pre-2015
format, reordered keys) is parsed in full instead, so the fast path is an optimisation, never a
filter that could lose an event. Matching lines are parsed with orjson and routed again on the
parsed repository name, which is the authority.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
from isal import igzip

from devstats_sync.filters import Router
from devstats_sync.normalize import repo_name_of

BLOCK_SIZE = 1 << 22
_MARKER = b'"repo":{"id":'
_NAME = b',"name":"'
_PAYLOAD = b'"payload":'


class CorruptArchiveError(RuntimeError):
    pass


@dataclass
class HourScan:
    lines: int = 0
    matched: int = 0
    bad_lines: list[str] = field(default_factory=list)
    # Per project index: the parsed events it takes, in file order (shared between projects).
    events: list[list[dict[str, Any]]] = field(default_factory=list)


def scan_hour(path: Path, router: Router, warn: Callable[[str], None] | None = None) -> HourScan:
    """Scans one hour; raises CorruptArchiveError when the file is not a complete, valid gzip."""
    result = HourScan(events=[[] for _ in router.filters])
    route = router.route
    events = result.events
    try:
        with igzip.open(path, "rb") as stream:
            rest = b""
            lines_before = 0
            while True:
                block = stream.read(BLOCK_SIZE)
                if not block:
                    break
                data = rest + block if rest else block
                end = data.rfind(b"\n") + 1
                if end == 0:
                    rest = data
                    continue
                rest = data[end:]
                _scan_block(data, end, route, events, result, lines_before, path, warn)
                lines_before += data.count(b"\n", 0, end)
            if rest.strip():
                _scan_block(rest + b"\n", len(rest) + 1, route, events, result, lines_before, path, warn)
                lines_before += 1
            result.lines = lines_before
    except (EOFError, OSError, zlib.error, igzip.BadGzipFile) as error:
        raise CorruptArchiveError(f"{path}: not a complete gzip file ({error})") from None
    return result


def _scan_block(
    data: bytes,
    end: int,
    route: Callable[[bytes], tuple[int, ...]],
    events: list[list[dict[str, Any]]],
    result: HourScan,
    lines_before: int,
    path: Path,
    warn: Callable[[str], None] | None,
) -> None:
    find = data.find
    pos = 0
    while pos < end:
        marker = find(_MARKER, pos, end)
        if marker < 0:
            _slow_lines(data, pos, end, events, result, route, lines_before, path, warn)
            return
        newline = data.rfind(b"\n", pos, marker)
        start = pos if newline < 0 else newline + 1
        if start > pos:
            _slow_lines(data, pos, start, events, result, route, lines_before, path, warn)
        line_end = find(b"\n", marker, end)
        name_at = find(_NAME, marker, marker + 40)
        if name_at < 0 or find(_PAYLOAD, start, marker) >= 0:
            _slow_lines(data, start, line_end + 1, events, result, route, lines_before, path, warn)
        else:
            name_start = name_at + len(_NAME)
            name_end = find(b'"', name_start, line_end)
            if route(data[name_start:name_end]):
                _take(data[start:line_end], events, result, route, data, start, lines_before, path, warn)
        pos = line_end + 1


def _slow_lines(
    data: bytes,
    pos: int,
    end: int,
    events: list[list[dict[str, Any]]],
    result: HourScan,
    route: Callable[[bytes], tuple[int, ...]],
    lines_before: int,
    path: Path,
    warn: Callable[[str], None] | None,
) -> None:
    while pos < end:
        line_end = data.find(b"\n", pos, end)
        if line_end < 0:
            line_end = end
        if line_end > pos and data[pos:line_end].strip():
            _take(data[pos:line_end], events, result, route, data, pos, lines_before, path, warn)
        pos = line_end + 1


def _take(
    line: bytes,
    events: list[list[dict[str, Any]]],
    result: HourScan,
    route: Callable[[bytes], tuple[int, ...]],
    data: bytes,
    offset: int,
    lines_before: int,
    path: Path,
    warn: Callable[[str], None] | None,
) -> None:
    try:
        try:
            event = orjson.loads(line)
        except orjson.JSONDecodeError:
            # orjson refuses lone UTF-16 surrogates, which real events do contain; the stdlib
            # parser accepts them and the writer replaces them.
            event = json.loads(line)
        if not isinstance(event, dict):
            raise ValueError("not a JSON object")
        name = repo_name_of(event)
    except (orjson.JSONDecodeError, ValueError, TypeError, AttributeError) as error:
        line_no = lines_before + data.count(b"\n", 0, offset) + 1
        message = f"{path.name} line {line_no}: skipped, not a valid event ({error}): {line[:80]!r}"
        result.bad_lines.append(message)
        if warn:
            warn(message)
        return
    targets = route(name.encode()) if name else ()
    if targets:
        result.matched += 1
        for index in targets:
            events[index].append(event)
