"""GH Archive -> project databases for an hour range: one scan of each hour serves every project.

For each hour some project still lacks (no ``gha_parsed`` mark), the file is fetched once, scanned
once, and each project's share is written in its own transaction. A missing hour (404) is reported
and left unmarked, so the next run tries it again; a corrupt download is fetched again once; a
corrupt local file is reported and skipped. None of these stops the other hours.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import psycopg2
from psycopg2 import sql
from tqdm import tqdm

from devstats_sync import schema
from devstats_sync.archive import Archive, ArchiveError
from devstats_sync.filters import Router
from devstats_sync.projects_config import Project, project_dsn
from devstats_sync.scan import CorruptArchiveError, HourScan, scan_hour
from devstats_sync.writer import HourWriter, link_issues_to_pull_requests

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)


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
    bad_lines: list[str] = field(default_factory=list)
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
        if self.bad_lines:
            out.append(
                f"{len(self.bad_lines)} invalid line(s) or event(s) skipped; first: {self.bad_lines[0]}"
            )
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
    dsn = project_dsn(base_dsn, project.db)
    try:
        conn = psycopg2.connect(dsn)
    except psycopg2.OperationalError as error:
        if not create or "does not exist" not in str(error):
            raise
        admin = psycopg2.connect(project_dsn(base_dsn, "postgres"))
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(sql.SQL("create database {}").format(sql.Identifier(project.db)))
        admin.close()
        conn = psycopg2.connect(dsn)
    schema.ensure_schema(conn)
    return conn


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
) -> Summary:
    began = time.monotonic()
    summary = Summary(projects={p.name: ProjectTotals() for p in projects})
    router = Router(projects)
    conns = [connect_project(base_dsn, p, create_db) for p in projects]
    try:
        writers = [HourWriter(conn) for conn in conns]
        hours = hours_between(start, end)
        summary.hours = len(hours)
        wanted: list[list[int]] = []
        for hour in hours:
            wanted.append([i for i, p in enumerate(projects) if hour >= p.start_date])
        if not force:
            done = [w.parsed_hours(start, end) for w in writers]
            wanted = [
                [i for i in who if hour not in done[i]] for hour, who in zip(hours, wanted, strict=True)
            ]
        todo = [(hour, who) for hour, who in zip(hours, wanted, strict=True) if who]
        show_bar = sys.stderr.isatty() if progress is None else progress
        bar = tqdm(total=len(todo), unit="h", disable=not show_bar, desc="ingest")
        for hour, who in todo:
            _ingest_hour(
                hour,
                who,
                projects=projects,
                writers=writers,
                router=router,
                archive=archive,
                summary=summary,
                force=force,
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
        for conn in conns:
            link_issues_to_pull_requests(conn, start)
            if create_indexes:
                schema.create_indexes(conn)
    finally:
        for conn in conns:
            conn.close()
    summary.seconds = time.monotonic() - began
    return summary


def _scan(hour: datetime, archive: Archive, router: Router, summary: Summary) -> HourScan | None:
    for attempt in range(2):
        try:
            path = archive.fetch(hour)
        except ArchiveError as error:
            summary.failed.append(f"{hour:%Y-%m-%d %H}:00: {error}")
            log.error("%s", error)
            return None
        if path is None:
            summary.missing.append(f"{hour:%Y-%m-%d %H}:00: {archive.describe(hour)} not found")
            log.warning(
                "hour %s is missing from the archive (%s); it will be retried on the next run",
                f"{hour:%Y-%m-%d %H}:00",
                archive.describe(hour),
            )
            return None
        try:
            return scan_hour(path, router, warn=log.warning)
        except CorruptArchiveError as error:
            if attempt == 0 and archive.invalidate(hour):
                log.warning("%s; downloading it again", error)
                continue
            summary.failed.append(f"{hour:%Y-%m-%d %H}:00: {error}")
            log.error("%s; the hour is skipped and retried on the next run", error)
            return None
    return None


def _ingest_hour(
    hour: datetime,
    who: list[int],
    *,
    projects: Sequence[Project],
    writers: Sequence[HourWriter],
    router: Router,
    archive: Archive,
    summary: Summary,
    force: bool,
) -> None:
    scanned = _scan(hour, archive, router, summary)
    if scanned is None:
        return
    summary.scanned_hours += 1
    summary.lines += scanned.lines
    summary.matched += scanned.matched
    summary.bad_lines.extend(scanned.bad_lines)
    for index in who:
        try:
            result = writers[index].write_hour(hour, scanned.events[index], force=force)
        except (psycopg2.DataError, psycopg2.IntegrityError) as error:
            # The hour is rolled back and stays unmarked; the other hours and projects go on.
            message = (
                f"{hour:%Y-%m-%d %H}:00 for project {projects[index].name}: the database refused it: {error}"
            )
            summary.failed.append(message.strip())
            log.error("%s", message.strip())
            continue
        if result.skipped:
            continue
        for message in result.bad_events:
            summary.bad_lines.append(f"{hour:%Y-%m-%d %H}:00, project {projects[index].name}: {message}")
            log.warning("%s: %s", f"{hour:%Y-%m-%d %H}:00", message)
        totals = summary.projects[projects[index].name]
        totals.hours += 1
        totals.events += result.events
        totals.written += result.written
        totals.collisions += result.collisions
        summary.written += result.written
        summary.collisions += result.collisions
        for kind, count in result.unknown_types.items():
            summary.unknown_types[kind] = summary.unknown_types.get(kind, 0) + count
