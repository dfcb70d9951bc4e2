"""GH Archive -> project databases for an hour range: one scan of each hour serves every project.

For each hour some project still lacks (no ``gha_parsed`` mark), and for each hour a project has on
record as failed (however old), the file is fetched once, scanned once, and each project's share is
written in its own transaction. An hour that cannot be completed (missing from the archive, a failed
or undecodable download, refused by the database) is recorded as failed in that project's database
(:mod:`devstats_sync.hour_records`) and retried by every run until it is done; none of these stops
the other hours. A file without a single decodable event is a failed download, never an empty hour,
unless ``accept_empty`` says so.

Connections: at most ``max_connections`` project databases are open at once (the least recently used
is closed first), so a foundation of hundreds of projects stays within the server's limit; with more
projects than that, each hour reconnects to the rest.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import psycopg2
from psycopg2 import sql
from tqdm import tqdm

from devstats_sync import exit_codes, hour_records, schema
from devstats_sync.archive import Archive, ArchiveError, hour_file_name
from devstats_sync.connections import ConnectError, connect
from devstats_sync.filters import Router
from devstats_sync.projects_config import Project
from devstats_sync.scan import CorruptArchiveError, HourScan, scan_hour
from devstats_sync.writer import REFUSALS, HourRefusedError, HourWriter, link_issues_to_pull_requests

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
DEFAULT_MAX_CONNECTIONS = 10


@dataclass
class ProjectTotals:
    hours: int = 0
    events: int = 0
    written: int = 0
    collisions: int = 0


@dataclass
class Summary:
    hours: int = 0
    scanned_hours: int = 0
    lines: int = 0
    matched: int = 0
    written: int = 0
    collisions: int = 0
    seconds: float = 0.0
    missing: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    # Hours some project lacks that a bounded run (``max_hours``) left for the next one.
    deferred: int = 0
    accepted_empty: list[str] = field(default_factory=list)
    bad_lines: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)
    unknown_types: dict[str, int] = field(default_factory=dict)
    projects: dict[str, ProjectTotals] = field(default_factory=dict)

    def lines_of_text(self) -> list[str]:
        out = [
            f"hours: {self.hours} in range, {self.scanned_hours} scanned, {len(self.missing)} missing, "
            f"{len(self.failed)} failed",
            f"events: {self.lines} scanned, {self.matched} matched, {self.written} written "
            f"({self.collisions} under collision-safe ids) in {self.seconds:.1f}s",
        ]
        for name, totals in self.projects.items():
            out.append(f"  {name}: {totals.hours} hours, {totals.events} events, {totals.written} written")
        out.extend(f"missing hour (retried next run): {m}" for m in self.missing)
        out.extend(f"failed hour (retried next run): {f}" for f in self.failed)
        out.extend(f"hour accepted as empty: {a}" for a in self.accepted_empty)
        if self.deferred:
            out.append(f"{self.deferred} more hour(s) to load, left for the next run (--max-hours)")
        if self.bad_lines:
            out.append(f"{len(self.bad_lines)} invalid line(s) skipped; first: {self.bad_lines[0]}")
        out.extend(f"quarantined event: {q}" for q in self.quarantined)
        if self.unknown_types:
            kinds = ", ".join(f"{k} x{v}" for k, v in sorted(self.unknown_types.items()))
            out.append(f"event types without a dedicated mapping (kept in gha_events/gha_payloads): {kinds}")
        return out


def hours_between(start: datetime, end: datetime) -> list[datetime]:
    hours = []
    hour = start.replace(minute=0, second=0, microsecond=0)
    while hour < end:
        hours.append(hour)
        hour += HOUR
    return hours


def connect_project(base_dsn: str, project: Project, create: bool = False) -> psycopg2.extensions.connection:
    """A connection to the project's database with the current schema (created first with ``create``)."""
    try:
        conn = connect(base_dsn, project.db)
    except ConnectError as error:
        if not (create and error.missing_database):
            raise
        admin = connect(base_dsn, "postgres")
        admin.autocommit = True
        try:
            with admin.cursor() as cur:
                cur.execute(sql.SQL("create database {}").format(sql.Identifier(project.db)))
        except psycopg2.errors.DuplicateDatabase:
            pass  # another run has just created it
        finally:
            admin.close()
        conn = connect(base_dsn, project.db)
    schema.ensure_schema(conn)
    return conn


class ProjectDatabases:
    """Writers of the projects' databases, at most ``limit`` connections open at once."""

    def __init__(self, base_dsn: str, projects: Sequence[Project], create: bool, limit: int) -> None:
        self.base_dsn = base_dsn
        self.projects = projects
        self.create = create
        self.limit = max(limit, 1)
        self._open: OrderedDict[int, HourWriter] = OrderedDict()

    def writer(self, index: int) -> HourWriter:
        writer = self._open.get(index)
        if writer is not None and not writer.conn.closed:
            self._open.move_to_end(index)
            return writer
        while len(self._open) >= self.limit:
            _, oldest = self._open.popitem(last=False)
            oldest.conn.close()
        try:
            conn = connect_project(self.base_dsn, self.projects[index], self.create)
        except ConnectError as error:
            if error.missing_database and error.exit_code == exit_codes.CONFIG:
                raise ConnectError(
                    f"{error} (pass --create-db, or run 'devstats-sync init' or 'provision' first)",
                    error.exit_code,
                    missing_database=True,
                ) from None
            raise
        self._open[index] = writer = HourWriter(conn)
        return writer

    def close(self) -> None:
        while self._open:
            self._open.popitem()[1].conn.close()


def ingest(
    projects: Sequence[Project],
    base_dsn: str,
    start: datetime,
    end: datetime,
    archive: Archive,
    *,
    force: bool = False,
    create_db: bool = False,
    create_indexes: bool = True,
    progress: bool | None = None,
    on_hour: Callable[[datetime], None] | None = None,
    accept_empty: bool = False,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
    max_hours: int = 0,
) -> Summary:
    """Loads ``[start, end)`` and every hour on record as failed into the projects' databases.

    ``accept_empty``: an hour the archive lacks, or whose file holds no decodable event, is marked
    parsed without events (and recorded as accepted) instead of failing. ``max_hours`` (0: no bound)
    bounds the hours scanned by this run, the oldest first; the rest are counted as deferred.
    """
    began = time.monotonic()
    summary = Summary(projects={p.name: ProjectTotals() for p in projects})
    router = Router(projects)
    databases = ProjectDatabases(base_dsn, projects, create_db, max_connections)
    try:
        first_hour = start.replace(minute=0, second=0, microsecond=0)
        # Counted, not listed: a --pending range reaches back years.
        summary.hours = max(-(-(end - first_hour) // HOUR), 0)
        wanted: dict[datetime, list[int]] = {}
        for index, project in enumerate(projects):
            writer = databases.writer(index)
            first = max(start, project.start_date)
            # The database says which hours it lacks: a foundation's hourly run over years of history
            # reads a few rows per project, not every parsed hour.
            lacking = hours_between(first, end) if force else writer.unparsed_hours(first, end)
            # Failed hours are taken again however old, so none is lost outside a run's range.
            retried = [h for h in hour_records.pending_hours(writer.conn) if not start <= h < end]
            for hour in [*lacking, *retried]:
                if hour >= project.start_date:
                    wanted.setdefault(hour, []).append(index)
        todo = sorted(wanted.items())
        if max_hours and len(todo) > max_hours:
            summary.deferred = len(todo) - max_hours
            todo = todo[:max_hours]
        show_bar = sys.stderr.isatty() if progress is None else progress
        bar = tqdm(total=len(todo), unit="h", disable=not show_bar, desc="ingest")
        for hour, who in todo:
            _ingest_hour(
                hour,
                who,
                projects=projects,
                databases=databases,
                router=router,
                archive=archive,
                summary=summary,
                force=force,
                accept_empty=accept_empty,
            )
            bar.update(1)
            bar.set_postfix(matched=summary.matched, written=summary.written, refresh=False)
            if not show_bar:
                log.info(
                    "%s: %d events scanned, %d matched, %d written so far",
                    f"{hour:%Y-%m-%d %H}:00",
                    summary.lines,
                    summary.matched,
                    summary.written,
                )
            if on_hour:
                on_hour(hour)
        bar.close()
        earliest = min([start, *(hour for hour, _ in todo)])
        for index in range(len(projects)):
            conn = databases.writer(index).conn
            link_issues_to_pull_requests(conn, earliest)
            if create_indexes:
                schema.create_indexes(conn)
    finally:
        databases.close()
    summary.seconds = time.monotonic() - began
    return summary


def prune_cache(
    projects: Sequence[Project],
    base_dsn: str,
    archive: Archive,
    before: datetime,
    *,
    max_connections: int = DEFAULT_MAX_CONNECTIONS,
) -> list[Path]:
    """Removes the cached hour files older than ``before`` that no project still needs.

    A project needs an hour from its start date on until the hour is parsed in its database, so a
    failed hour keeps its file for the retry, and only a project added later with an older start
    date downloads such an hour again. Returns the files removed.
    """
    candidates = {hour: path for hour, path in archive.cached_hours().items() if hour < before}
    if not candidates:
        return []
    removable = set(candidates)
    databases = ProjectDatabases(base_dsn, projects, False, max_connections)
    try:
        for index, project in enumerate(projects):
            wanted = [hour for hour in removable if hour >= project.start_date]
            if not wanted:
                continue
            conn = databases.writer(index).conn
            with conn, conn.cursor() as cur:
                cur.execute("select dt from gha_parsed where dt = any(%s)", (wanted,))
                parsed = {row[0] for row in cur.fetchall()}
            removable -= set(wanted) - parsed
    finally:
        databases.close()
    removed = []
    for hour in sorted(removable):
        candidates[hour].unlink(missing_ok=True)
        removed.append(candidates[hour])
    return removed


@dataclass(frozen=True)
class _Unavailable:
    """Why an hour could not be scanned; ``acceptable`` when it may be accepted as empty."""

    reason: str
    acceptable: bool
    missing: bool = False


def _scan(hour: datetime, archive: Archive, router: Router) -> HourScan | _Unavailable:
    refetched = False
    while True:
        try:
            path = archive.fetch(hour)
        except ArchiveError as error:
            return _Unavailable(str(error), acceptable=False)
        if path is None:
            return _Unavailable(f"{archive.describe(hour)} not found", acceptable=True, missing=True)
        try:
            scanned = scan_hour(path, router, warn=log.warning)
        except CorruptArchiveError as error:
            problem, acceptable = str(error), False
        else:
            if scanned.decodable:
                return scanned
            # A real hour holds thousands of events: this is a failed download (or an empty hour).
            problem = f"{path}: no decodable event in {scanned.lines} line(s)"
            acceptable = True
        if not refetched and archive.invalidate(hour):
            refetched = True
            log.warning("%s; downloading it again", problem)
            continue
        return _Unavailable(problem, acceptable)


def _ingest_hour(
    hour: datetime,
    who: list[int],
    *,
    projects: Sequence[Project],
    databases: ProjectDatabases,
    router: Router,
    archive: Archive,
    summary: Summary,
    force: bool,
    accept_empty: bool,
) -> None:
    label = f"{hour:%Y-%m-%d %H}:00"
    scanned = _scan(hour, archive, router)
    if isinstance(scanned, _Unavailable):
        if accept_empty and scanned.acceptable:
            for index in who:
                databases.writer(index).accept_empty(hour, f"accepted as empty: {scanned.reason}")
            summary.accepted_empty.append(f"{label}: {scanned.reason}")
            return
        if scanned.missing:
            summary.missing.append(f"{label}: {scanned.reason}")
            log.warning(
                "hour %s is missing from the archive (%s); the next run retries it", label, scanned.reason
            )
        else:
            summary.failed.append(f"{label}: {scanned.reason}")
            log.error("hour %s failed: %s; the next run retries it", label, scanned.reason)
        for index in who:
            hour_records.record_failure(databases.writer(index).conn, hour, scanned.reason)
        return
    summary.scanned_hours += 1
    summary.lines += scanned.lines
    summary.matched += scanned.matched
    summary.bad_lines.extend(scanned.bad_lines)
    source = hour_file_name(hour)
    for index in who:
        name = projects[index].name
        writer = databases.writer(index)
        try:
            result = writer.write_hour(
                hour,
                scanned.events[index],
                force=force,
                source=source,
                line_numbers=scanned.line_numbers[index],
            )
        except (HourRefusedError, *REFUSALS) as error:
            # The hour is rolled back and stays pending; the other hours and projects go on.
            reason = f"the database refused it: {error}".strip()
            summary.failed.append(f"{label} for project {name}: {reason}")
            log.error("%s for project %s: %s", label, name, reason)
            hour_records.record_failure(writer.conn, hour, reason)
            continue
        if result.skipped:
            continue
        for item in result.quarantined:
            message = f"{label}, project {name}: {source} line {item.line}: {item.reason}"
            summary.quarantined.append(message)
            log.warning("quarantined event: %s", message)
        totals = summary.projects[name]
        totals.hours += 1
        totals.events += result.events
        totals.written += result.written
        totals.collisions += result.collisions
        summary.written += result.written
        summary.collisions += result.collisions
        for kind, count in result.unknown_types.items():
            summary.unknown_types[kind] = summary.unknown_types.get(kind, 0) + count
