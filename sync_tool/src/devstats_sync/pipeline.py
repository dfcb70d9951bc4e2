"""Provision and sync of one project: the steps, their order, the flags and watermarks they leave.

``provision``: schema, the whole history from the project's start date, indexes, affiliations, a
full metrics computation, then the ``provisioned`` flag. ``sync`` (hourly): ingest from the hour
after the last parsed one, git, GitHub API, postprocess, metrics that are due.

In a cluster the foundation's one ``ingest --pending`` loads the hours of every project
(``ingest=False`` here): ``provision`` then waits until that ingest has taken every hour of the
project's history (``wait_seconds``), and ``sync`` starts at the last hour it parsed. Both hold the
project's advisory lock for their whole run and record that they are running in ``gha_vars``.

Flags, as DevStats keeps them: ``gha_computed('devstats_sync:provisioned', dt)`` and
``gha_vars`` rows ``provisioned`` (value_dt) and ``running`` (value_s = who, value_dt = since).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from psycopg2.extensions import connection

from devstats_sync.affiliations import import_affiliations
from devstats_sync.api_restore import ApiRestore
from devstats_sync.archive import Archive
from devstats_sync.connections import ConnectError, connect
from devstats_sync.git_backfill import DEFAULT_GIT_BASE, GitBackfill
from devstats_sync.github_api import DEFAULT_BASE_URL, GitHubApiError, GitHubClient
from devstats_sync.ingest import connect_project, ingest
from devstats_sync.locking import ProjectLock, application_name
from devstats_sync.metrics import run_metrics
from devstats_sync.projects_config import Project
from devstats_sync.schema import FAILED_HOURS
from devstats_sync.writer import link_issues_to_pull_requests

log = logging.getLogger(__name__)
HOUR = timedelta(hours=1)
PROVISIONED_METRIC = "devstats_sync:provisioned"
PROVISIONED_VAR = "provisioned"
RUNNING_VAR = "running"
RETRY_MISSING = timedelta(days=2)
# GH Archive publishes an hour some time after it ends: a history is complete when every hour up to
# the last complete hour minus this was taken by an ingest (parsed, or failed and being retried).
HISTORY_LAG = timedelta(hours=3)


class NotProvisionedError(RuntimeError):
    pass


class HistoryPendingError(RuntimeError):
    """The foundation's ingest has not yet taken every hour of the project's history."""

    def __init__(self, project: str, pending: int, waited: float) -> None:
        super().__init__(
            f"project {project}: {pending} hour(s) of its history not loaded yet after waiting "
            f"{waited:.0f}s for the foundation's ingest; this run stops here and the next one waits again"
        )
        self.pending = pending


@dataclass
class PipelineConfig:
    dsn: str
    archive: Archive
    git_cache_dir: Path
    git_base: str = DEFAULT_GIT_BASE
    skip_git: bool = False
    tokens: list[str] = field(default_factory=list)
    api_base_url: str = DEFAULT_BASE_URL
    api_window: timedelta = timedelta(days=1)
    api_max_wait: float = 3600.0
    metrics_dir: Path | None = None
    users_file: Path | None = None
    companies_file: Path | None = None
    end: datetime | None = None  # hour to stop ingesting before; default: the current hour
    now: datetime | None = None
    progress: bool | None = None
    # False: the hours come from the foundation's ingest, this run neither downloads nor scans.
    ingest: bool = True
    # provision without ingest: how long to wait for the history (None: not at all), how often to look.
    wait_seconds: float | None = None
    poll_seconds: float = 60.0


@dataclass
class RunReport:
    project: str
    command: str
    hours_loaded: int = 0
    events_written: int = 0
    lines: list[str] = field(default_factory=list)
    # Steps that failed while the others went on; the next run retries them.
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


def utc_now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def current_hour(config: PipelineConfig) -> datetime:
    if config.end is not None:
        return config.end
    return (config.now or utc_now()).replace(minute=0, second=0, microsecond=0)


@contextmanager
def running(conn: connection, project: Project, command: str) -> Iterator[None]:
    """The project lock plus the ``running`` flag, cleared however the run ends."""
    with ProjectLock(conn, project.name, command):
        with conn, conn.cursor() as cur:
            cur.execute(
                "insert into gha_vars(name, value_s, value_dt) values (%s, %s, %s) "
                "on conflict (name) do update set value_s = excluded.value_s, value_dt = excluded.value_dt",
                (RUNNING_VAR, application_name(command, project.name), utc_now()),
            )
        try:
            yield
        finally:
            if not conn.closed:
                conn.rollback()
                with conn, conn.cursor() as cur:
                    cur.execute("delete from gha_vars where name = %s", (RUNNING_VAR,))


def open_project(config: PipelineConfig, project: Project, create: bool) -> connection:
    try:
        return connect_project(config.dsn, project, create)
    except ConnectError as error:
        if error.missing_database and not create:
            raise NotProvisionedError(
                f"project {project.name} is not provisioned yet (no database {project.db}): "
                f"run 'devstats-sync provision --project {project.name}'; {error}"
            ) from None
        raise


def last_parsed_hour(conn: connection) -> datetime | None:
    with conn, conn.cursor() as cur:
        cur.execute("select max(dt) from gha_parsed")
        row = cur.fetchone()
    return row[0] if row else None


def is_provisioned(conn: connection) -> bool:
    with conn, conn.cursor() as cur:
        cur.execute("select 1 from gha_vars where name = %s and value_dt is not null", (PROVISIONED_VAR,))
        return cur.fetchone() is not None


def unloaded_history(conn: connection, project: Project, horizon: datetime) -> tuple[int, int]:
    """Hours of ``[start date, horizon)`` no ingest has taken yet, and those failed and being retried."""
    with conn, conn.cursor() as cur:
        cur.execute(
            "select count(*) filter (where f.dt is null), count(*) filter (where f.dt is not null) "
            "from generate_series(%s::timestamp, %s::timestamp - interval '1 hour', interval '1 hour') h "
            f"left join {FAILED_HOURS.name} f on f.dt = h and f.accepted_at is null "
            "where not exists (select 1 from gha_parsed p where p.dt = h)",
            (project.start_date, horizon),
        )
        untaken, failed = cur.fetchone()
    return int(untaken), int(failed)


def _wait_for_history(conn: connection, config: PipelineConfig, project: Project, report: RunReport) -> None:
    began = time.monotonic()
    while True:
        horizon = current_hour(config) - HISTORY_LAG
        untaken, failed = unloaded_history(conn, project, horizon)
        waited = time.monotonic() - began
        if untaken == 0:
            retried = f"; {failed} failed hour(s) the ingest retries" if failed else ""
            report.lines.append(
                f"history: every hour before {horizon:%Y-%m-%d %H}:00 taken by the foundation's ingest "
                f"(waited {waited:.0f}s){retried}"
            )
            return
        if waited >= (config.wait_seconds or 0):
            raise HistoryPendingError(project.name, untaken, waited)
        log.info("project %s: %d hour(s) of history not loaded yet; waiting", project.name, untaken)
        time.sleep(min(config.poll_seconds, max((config.wait_seconds or 0) - waited, 0.0)))


def _ingest(config: PipelineConfig, project: Project, start: datetime, report: RunReport) -> None:
    if not config.ingest:
        report.lines.append("ingest: left to the foundation's ingest (--no-ingest)")
        return
    end = current_hour(config)
    if end <= start:
        report.lines.append(f"ingest: nothing to do, the last parsed hour is {start - HOUR:%Y-%m-%d %H}:00")
        return
    summary = ingest(
        [project], config.dsn, start, end, config.archive, create_indexes=True, progress=config.progress
    )
    totals = summary.projects[project.name]
    report.hours_loaded += totals.hours
    report.events_written += totals.written
    report.lines.extend(summary.lines_of_text())
    report.problems.extend(f"ingest: {failure}" for failure in summary.failed)


def _metrics(
    conn: connection, config: PipelineConfig, project: Project, full: bool, report: RunReport
) -> None:
    summary = run_metrics(conn, project=project, metrics_dir=config.metrics_dir, full=full, now=config.now)
    failed = f"; {len(summary.failed)} failed: {'; '.join(summary.failed)}" if summary.failed else ""
    report.lines.append(
        f"metrics ({'full' if full else 'due'}): {summary.metrics_computed} computed, "
        f"{summary.not_due} not due, {summary.series_written} series tables, "
        f"{summary.rows_written} rows in {summary.seconds:.1f}s{failed}"
    )


def _affiliations(conn: connection, config: PipelineConfig, report: RunReport) -> None:
    if config.users_file is None:
        report.lines.append("affiliations: no github_users.json configured; skipped")
        return
    result = import_affiliations(conn, config.users_file, config.companies_file)
    report.lines.append(result.describe())


def _api(conn: connection, config: PipelineConfig, project: Project, report: RunReport) -> None:
    client = GitHubClient(config.tokens, config.api_base_url, max_wait=config.api_max_wait)
    restore = ApiRestore(conn, project, client, config.now or utc_now())
    try:
        report.lines.append(restore.run(config.api_window).describe())
    except GitHubApiError as error:
        # GitHub being unavailable must not hold back the hour's archive data and metrics.
        conn.rollback()
        log.error("GitHub API step failed: %s", error)
        report.lines.append(f"GitHub API: failed: {error}")
        report.problems.append(f"GitHub API: {error}")


def provision(config: PipelineConfig, project: Project) -> RunReport:
    began = time.monotonic()
    report = RunReport(project.name, "provision")
    conn = open_project(config, project, create=True)
    try:
        # Outside the project lock: the wait may take days, and nothing else needs the project meanwhile.
        if not config.ingest and config.wait_seconds is not None:
            _wait_for_history(conn, config, project, report)
        with running(conn, project, "provision"):
            _ingest(config, project, project.start_date, report)
            _affiliations(conn, config, report)
            _metrics(conn, config, project, True, report)
            stamp = config.now or utc_now()
            with conn, conn.cursor() as cur:
                cur.execute(
                    "insert into gha_computed(metric, dt) values (%s, %s) on conflict do nothing",
                    (PROVISIONED_METRIC, stamp),
                )
                cur.execute(
                    "insert into gha_vars(name, value_dt) values (%s, %s) "
                    "on conflict (name) do update set value_dt = excluded.value_dt",
                    (PROVISIONED_VAR, stamp),
                )
    finally:
        conn.close()
    report.seconds = time.monotonic() - began
    return report


def sync(config: PipelineConfig, project: Project) -> RunReport:
    began = time.monotonic()
    report = RunReport(project.name, "sync")
    conn = open_project(config, project, create=False)
    try:
        with running(conn, project, "sync"):
            if not is_provisioned(conn):
                raise NotProvisionedError(
                    f"project {project.name} is not provisioned yet: "
                    f"run 'devstats-sync provision --project {project.name}'"
                )
            last = last_parsed_hour(conn)
            # Hours missing from the archive in the recent past are asked for again; parsed ones are skipped.
            start = max(last + HOUR - RETRY_MISSING, project.start_date) if last else project.start_date
            _ingest(config, project, start, report)
            if config.skip_git:
                report.lines.append("git: skipped (--skip-git)")
            else:
                git_result = GitBackfill(conn, project, config.git_cache_dir, config.git_base).run()
                report.lines.append(git_result.describe())
            if not config.tokens:
                log.info(
                    "GitHub API step skipped: no token configured (GITHUB_TOKENS or --github-tokens-file)"
                )
                report.lines.append("GitHub API: skipped, no token configured")
            else:
                _api(conn, config, project, report)
            linked = link_issues_to_pull_requests(conn, start - config.api_window)
            report.lines.append(f"postprocess: {linked} issue/pull request links")
            _metrics(conn, config, project, False, report)
    finally:
        conn.close()
    report.seconds = time.monotonic() - began
    return report


def admin_connection(dsn: str) -> connection:
    conn = connect(dsn, "postgres")
    conn.autocommit = True
    return conn
