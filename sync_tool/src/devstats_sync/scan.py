"""One streaming pass over an hour file: decompress, pre-filter on bytes, parse only what matches.

GH Archive writes each event's top-level ``"repo":{"id":N,"name":"owner/name",...}`` before its
``payload`` (the only key that nests other repos). The scan decompresses into one reused buffer
and, per event, finds that marker with ``bytes.find`` (C speed), reads the name and asks the
memoized router: most lines are skipped without ever being decoded. A line that does not fit that
layout (the pre-2015 format, reordered keys) is parsed in full instead, so the fast path is an
optimisation, never a filter that could lose an event. Matching lines are parsed with orjson and
routed again on the parsed repository name, which is the authority.
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

Buffer = bytes | bytearray


class CorruptArchiveError(RuntimeError):
    pass


@dataclass
class HourScan:
    lines: int = 0
    matched: int = 0
    bad_lines: list[str] = field(default_factory=list)
    # Per project index: the parsed events it takes, in file order (shared between projects), and
    # the line of the file each came from.
    events: list[list[dict[str, Any]]] = field(default_factory=list)
    line_numbers: list[list[int]] = field(default_factory=list)

    @property
    def decodable(self) -> int:
        """Lines that hold an event (a real hour has thousands; a failed download, none)."""
        return self.lines - len(self.bad_lines)


class _Scanner:
    def __init__(self, path: Path, router: Router, warn: Callable[[str], None] | None) -> None:
        self.path = path
        self.route = router.route
        self.route_name = router.route_name
        self.warn = warn
        self.result = HourScan(events=[[] for _ in router.filters], line_numbers=[[] for _ in router.filters])

    def block(self, data: Buffer, pos: int, end: int) -> None:
        """Scans the complete lines in data[pos:end] (end is just past a newline)."""
        find = data.find
        route = self.route
        result = self.result
        while pos < end:
            marker = find(_MARKER, pos, end)
            if marker < 0:
                self.slow_lines(data, pos, end)
                break
            newline = data.rfind(b"\n", pos, marker)
            start = pos if newline < 0 else newline + 1
            if start > pos:
                self.slow_lines(data, pos, start)
            line_end = find(b"\n", marker, end)
            name_at = find(_NAME, marker, marker + 40)
            if name_at < 0 or find(_PAYLOAD, start, marker) >= 0:
                self.slow_lines(data, start, line_end + 1)
            else:
                result.lines += 1
                name_start = name_at + 9
                if route(bytes(data[name_start : find(b'"', name_start, line_end)])):
                    self.take(data[start:line_end])
            pos = line_end + 1

    def slow_lines(self, data: Buffer, pos: int, end: int) -> None:
        while pos < end:
            line_end = data.find(b"\n", pos, end)
            if line_end < 0:
                line_end = end
            line = data[pos:line_end]
            if line.strip():
                self.result.lines += 1
                self.take(line)
            pos = line_end + 1

    def take(self, line: Buffer) -> None:
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
            if name is None:
                raise ValueError("it names no repository")
        except (ValueError, TypeError, AttributeError) as error:
            # Lines are counted as they are read, so this one is the latest counted.
            message = (
                f"{self.path.name} line {self.result.lines}: skipped, not a valid event ({error}): "
                f"{bytes(line[:80])!r}"
            )
            self.result.bad_lines.append(message)
            if self.warn:
                self.warn(message)
            return
        targets = self.route_name(name)
        if targets:
            self.result.matched += 1
            for index in targets:
                self.result.events[index].append(event)
                self.result.line_numbers[index].append(self.result.lines)


def scan_hour(path: Path, router: Router, warn: Callable[[str], None] | None = None) -> HourScan:
    """Scans one hour; raises CorruptArchiveError when the file is not a complete, valid gzip."""
    scanner = _Scanner(path, router, warn)
    buffer = bytearray(BLOCK_SIZE)
    carry = b""
    try:
        with igzip.open(path, "rb") as stream:
            while size := stream.readinto(buffer):
                last = buffer.rfind(b"\n", 0, size)
                if last < 0:
                    carry += bytes(buffer[:size])
                    continue
                pos = 0
                if carry:
                    # The line split across two blocks is joined and scanned on its own.
                    first = buffer.find(b"\n", 0, size) + 1
                    joined = carry + bytes(buffer[:first])
                    scanner.block(joined, 0, len(joined))
                    pos = first
                scanner.block(buffer, pos, last + 1)
                carry = bytes(buffer[last + 1 : size])
    except (EOFError, OSError, zlib.error, igzip.BadGzipFile) as error:
        raise CorruptArchiveError(f"{path}: not a complete gzip file ({error})") from None
    if carry.strip():
        scanner.block(carry + b"\n", 0, len(carry) + 1)
    return scanner.result
