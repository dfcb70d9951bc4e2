"""Computing a project's metrics: what is due during a sync, or everything on a full recompute."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from psycopg2 import Error as PgError
from psycopg2.errors import LockNotAvailable
from psycopg2.extensions import connection, cursor

from devstats_sync.metrics import annotations as anno
from devstats_sync.metrics.config import (
    BUNDLED_DIR,
    MetricDef,
    TagDef,
    load_metrics,
    load_tags,
)
from devstats_sync.metrics.names import normalize_name, table_identifier
from devstats_sync.metrics.periods import Bucket, Period, buckets, is_scheduled, period_start
from devstats_sync.metrics.points import PointMaker, RowShapeError
from devstats_sync.metrics.sqltext import (
    exclude_bots_condition,
    range_hours,
    render_bucket_sql,
    render_range_sql,
    seed_bot_patterns,
)
from devstats_sync.metrics.storage import Point, SeriesStore, create_shadow_schema, ensure_extension, swap_in
from devstats_sync.projects_config import Project

SHADOW_SCHEMA = "devstats_metrics_shadow"
# Metric SQL that calls the hll extension's functions or casts to its type.
_USES_HLL = re.compile(r"\bhll(_[a-z_0-9]+)?\s*\(|::\s*hll\b", re.IGNORECASE)
# Buckets sent to the server in one round trip (as one UNION ALL) when the SQL is a single statement.
_BATCH = 64
_MARK_PREFIX = "metrics:"
_QUOTED_BOUND = re.compile(r"'\{\{(from|to)\}\}'")
# Below PostgreSQL's deadlock_timeout (1 s), so the swap gives up before a reader would be aborted.
_SWAP_LOCK_TIMEOUT_MS = 200
_SWAP_ATTEMPTS = 100


class MetricsError(RuntimeError):
    pass


@dataclass
class MetricsRunSummary:
    metrics_computed: int = 0
    series_written: int = 0
    rows_written: int = 0
    seconds: float = 0.0
    full: bool = False
    not_due: int = 0
    failed: list[str] = field(default_factory=list)
    # Seconds per metric name, to find the slow ones.
    metric_seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class _Context:
    conn: connection
    project: Project
    now: datetime
    full: bool
    store: SeriesStore
    exclude_bots: str
    project_scale: float
    marks: dict[str, datetime] = field(default_factory=dict)
    # Why the hll extension is missing, when it is (metrics that need it then fail with this).
    hll_problem: str | None = None


def _utc_naive(moment: datetime | None) -> datetime:
    if moment is None:
        return datetime.now(UTC).replace(tzinfo=None)
    if moment.tzinfo is not None:
        return moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def _read_marks(conn: connection) -> dict[str, datetime]:
    with conn.cursor() as cur:
        cur.execute(
            "select metric, max(dt) from gha_computed where metric like %s group by metric",
            (_MARK_PREFIX + "%",),
        )
        return dict(cur.fetchall())


def _write_marks(conn: connection, marks: dict[str, datetime]) -> None:
    if not marks:
        return
    with conn.cursor() as cur:
        cur.execute("delete from gha_computed where metric = any(%s)", (list(marks),))
        cur.executemany("insert into gha_computed(metric, dt) values (%s, %s)", list(marks.items()))


def _is_single_statement(text: str) -> bool:
    return ";" not in text.strip().rstrip(";")


def _temp_tables(cur: cursor) -> set[str]:
    cur.execute("select relname from pg_class where relnamespace = pg_my_temp_schema() and relkind = 'r'")
    return {row[0] for row in cur.fetchall()}


def _run_one(cur: cursor, text: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Runs a (possibly multi-statement) query; temp tables it made are dropped afterwards."""
    before = _temp_tables(cur) if "temp" in text.lower() else None
    cur.execute(text)
    columns = [c.name for c in cur.description] if cur.description else []
    rows = cur.fetchall() if cur.description else []
    if before is not None:
        for table in sorted(_temp_tables(cur) - before):
            cur.execute(f'drop table if exists pg_temp."{table}"')
    return columns, rows


def _lateral_form(sql_text: str) -> str | None:
    """The SQL with its bucket bounds read from a joined VALUES list, when it allows that.

    One such query computes a whole batch of buckets and is planned once, several times faster than
    a query per bucket. It needs a single statement whose bounds appear only as ``'{{from}}'`` and
    ``'{{to}}'`` (SQL values, not parts of other text).
    """
    if not _is_single_statement(sql_text) or "{{period:" in sql_text or "{{rnd}}" in sql_text:
        return None
    lateral = _QUOTED_BOUND.sub(lambda m: f"devstats_bucket.{m.group(1)}_dt", sql_text)
    if "{{from}}" in lateral or "{{to}}" in lateral:
        return None
    return lateral.replace("{{range}}", "devstats_bucket.range_hours").strip().rstrip(";")


def _query_lateral(
    cur: cursor, lateral: str, period: Period, chunk: list[Bucket], ctx: _Context
) -> list[tuple[list[str], list[tuple[Any, ...]]]]:
    body = render_bucket_sql(
        lateral,
        start=chunk[0].start,
        end=chunk[0].end,
        n=period.n,
        exclude_bots=ctx.exclude_bots,
        project_scale=ctx.project_scale,
    )
    values = ", ".join(
        cur.mogrify(
            "(%s, %s::timestamp, %s::timestamp, %s::float8)", (i, b.start, b.end, range_hours(b.start, b.end))
        ).decode()
        for i, b in enumerate(chunk)
    )
    cur.execute(
        f"select devstats_bucket.i, q.* from (values {values}) "
        f"devstats_bucket(i, from_dt, to_dt, range_hours) cross join lateral (\n{body}\n) q"
    )
    return _split_by_bucket(cur, len(chunk))


def _split_by_bucket(cur: cursor, count: int) -> list[tuple[list[str], list[tuple[Any, ...]]]]:
    columns = [c.name for c in cur.description][1:]
    per_bucket: list[list[tuple[Any, ...]]] = [[] for _ in range(count)]
    for row in cur.fetchall():
        per_bucket[row[0]].append(tuple(row[1:]))
    return [(columns, rows) for rows in per_bucket]


def _query_buckets(
    cur: cursor, sql_text: str, period: Period, chunk: list[Bucket], ctx: _Context
) -> list[tuple[list[str], list[tuple[Any, ...]]]]:
    lateral = _lateral_form(sql_text)
    if lateral is not None:
        cur.execute("savepoint devstats_lateral")
        try:
            result = _query_lateral(cur, lateral, period, chunk, ctx)
        except PgError:
            # Some valid bucket SQL is not valid as a lateral subquery; the union form always is.
            cur.execute("rollback to savepoint devstats_lateral")
        else:
            cur.execute("release savepoint devstats_lateral")
            return result
    rendered = [
        render_bucket_sql(
            sql_text,
            start=b.start,
            end=b.end,
            n=period.n,
            exclude_bots=ctx.exclude_bots,
            project_scale=ctx.project_scale,
        )
        for b in chunk
    ]
    if not _is_single_statement(sql_text) or len(chunk) == 1:
        return [_run_one(cur, text) for text in rendered]
    cur.execute(
        " union all ".join(
            f"(select {i} as devstats_bucket, q.* from (\n{text.strip().rstrip(';')}\n) q)"
            for i, text in enumerate(rendered)
        )
    )
    return _split_by_bucket(cur, len(chunk))


def _earliest(metric: MetricDef, now: datetime) -> datetime | None:
    """start_from, or now - last_hours: nothing before it is computed."""
    if metric.start_from is not None:
        return metric.start_from
    return now - timedelta(hours=metric.last_hours) if metric.last_hours else None


def _compute_series(ctx: _Context, metric: MetricDef, sql_file: Path, sql_text: str, period: Period) -> bool:
    key = f"{_MARK_PREFIX}{metric.key(sql_file)}:{period.label}"
    last = ctx.marks.get(key)
    if ctx.full or last is None:
        first = ctx.project.start_date
    else:
        closed = period_start(period.unit, ctx.now) > period_start(period.unit, last)
        if not (closed or metric.always_recalc or is_scheduled(period, ctx.now)):
            return False
        first = last
    earliest = _earliest(metric, ctx.now)
    if earliest is not None:
        if earliest > ctx.now:
            return False
        first = max(first, earliest)
    todo = list(buckets(period, first, ctx.now))
    maker = PointMaker(metric, ctx.now)
    with ctx.conn.cursor() as cur:
        for offset in range(0, len(todo), _BATCH):
            chunk = todo[offset : offset + _BATCH]
            points: list[Point] = []
            for bucket, (columns, rows) in zip(
                chunk, _query_buckets(cur, sql_text, period, chunk, ctx), strict=True
            ):
                points += maker.bucket(period.label, bucket.time, columns, rows)
            ctx.store.upsert(points)
    ctx.marks[key] = ctx.now.replace(minute=0, second=0, microsecond=0)
    return True


_HIST_REFRESH = {"d": timedelta(hours=1), "w": timedelta(hours=6), "a": timedelta(hours=6)}


def _histogram_due(ctx: _Context, metric: MetricDef, key: str, quick: anno.QuickRange) -> bool:
    last = ctx.marks.get(key)
    if ctx.full or last is None:
        return True
    if quick.is_closed:
        return False
    if metric.always_recalc:
        return True
    refresh = _HIST_REFRESH.get(quick.suffix[0], timedelta(hours=24))
    if quick.suffix[0] == "d" and quick.suffix != "d":
        refresh = timedelta(hours=4)
    return ctx.now - last >= refresh


def _compute_histogram(
    ctx: _Context, metric: MetricDef, sql_file: Path, sql_text: str, target: tuple[anno.QuickRange, int]
) -> bool:
    quick, n = target
    key = f"{_MARK_PREFIX}{metric.key(sql_file)}:hist:{quick.suffix}"
    if not _histogram_due(ctx, metric, key, quick):
        return False
    text = render_range_sql(
        sql_text,
        interval=quick.interval,
        start=quick.start,
        end=quick.end,
        now=ctx.now,
        n=n,
        exclude_bots=ctx.exclude_bots,
        project_scale=ctx.project_scale,
    )
    with ctx.conn.cursor() as cur:
        columns, rows = _run_one(cur, text)
    by_series = PointMaker(metric, ctx.now).histogram(quick.suffix, columns, rows)
    if len(columns) == 2 and not by_series:
        # No rows: the range's old rows still go (there is nothing to show for it now).
        by_series = {metric.series_name_or_func: []}
    if metric.merge_series:
        points = [point for series_points in by_series.values() for point in series_points]
        table = table_identifier("s", metric.merge_series)
        ctx.store.replace_period(table, quick.suffix, list(by_series), points)
    else:
        for series, points in by_series.items():
            ctx.store.replace_period(table_identifier("s", series), quick.suffix, None, points)
    ctx.marks[key] = ctx.now.replace(minute=0, second=0, microsecond=0)
    return True


def _needs_hll(metric: MetricDef) -> bool:
    return metric.hll or any(_USES_HLL.search(sql_file.read_text()) for sql_file in metric.sql_files)


def _compute_metric(ctx: _Context, metric: MetricDef, ranges: list[anno.QuickRange]) -> bool:
    if ctx.hll_problem and _needs_hll(metric):
        raise MetricsError(f"needs the PostgreSQL extension hll: {ctx.hll_problem}")
    computed = False
    for sql_file in metric.sql_files:
        sql_text = sql_file.read_text()
        if metric.histogram:
            if metric.annotations_ranges:
                targets = [(q, 1) for q in ranges if q.suffix not in metric.skip]
            else:
                targets = [
                    (anno.QuickRange(p.label, p.label, interval=p.interval), p.n) for p in metric.periods
                ]
            for target in targets:
                computed |= _compute_histogram(ctx, metric, sql_file, sql_text, target)
        else:
            for period in metric.periods:
                computed |= _compute_series(ctx, metric, sql_file, sql_text, period)
    return computed


def _tag_rows(conn: connection, tag: TagDef, exclude_bots: str) -> list[dict[str, Any]]:
    text = (
        tag.sql_file.read_text().replace("{{lim}}", str(tag.limit)).replace("{{exclude_bots}}", exclude_bots)
    )
    with conn.cursor() as cur:
        cur.execute(text)
        columns = [c.name for c in cur.description]
        result = []
        for index, row in enumerate(cur.fetchall()):
            text_values = ["" if v is None else str(v) for v in row]
            values: dict[str, Any] = {"time": anno.MIN_DATE + timedelta(hours=index)}
            if tag.name_tag:
                values[tag.name_tag] = text_values[0]
            if tag.value_tag:
                values[tag.value_tag] = normalize_name(text_values[0])
            for name, (column, normalize) in tag.other_tags.items():
                if column not in columns:
                    raise MetricsError(
                        f"tag {tag.name!r}: other_tags {name!r} names missing column {column!r}"
                    )
                values[name] = text_values[columns.index(column)]
                if normalize:
                    values[name + "_norm"] = normalize_name(values[name])
            result.append(values)
    return result


def _write_ranges_and_tags(ctx: _Context, tags: list[TagDef]) -> list[anno.QuickRange]:
    project = ctx.project
    tag_regexp = anno.DEFAULT_TAG_REGEXP if project.annotation_regexp is None else project.annotation_regexp
    releases = anno.release_annotations(ctx.conn, project.main_repo, tag_regexp)
    ranges = anno.quick_ranges(releases, ctx.now, project)
    rows = anno.annotation_rows(releases, anno.milestone_annotations(project))
    ctx.store.replace_table("sannotations", False, rows)  # type: ignore[arg-type]
    ctx.store.replace_table("tquick_ranges", True, anno.quick_range_rows(ranges))  # type: ignore[arg-type]
    for tag in tags:
        try:
            rows = _tag_rows(ctx.conn, tag, ctx.exclude_bots)
        except PgError as error:
            raise MetricsError(f"tag {tag.name!r} ({tag.sql_file}): {str(error).strip()}") from error
        ctx.store.replace_table(table_identifier("t", tag.series_name), True, rows, tag.columns)
    return ranges


def _compute_all(
    ctx: _Context, metrics: list[MetricDef], ranges: list[anno.QuickRange], summary: MetricsRunSummary
) -> None:
    conn, full = ctx.conn, ctx.full
    for metric in metrics:
        marks_before = dict(ctx.marks)
        began = time.monotonic()
        try:
            if _compute_metric(ctx, metric, ranges):
                summary.metrics_computed += 1
            else:
                summary.not_due += 1
            if not full:
                _write_marks(conn, ctx.marks)
            conn.commit()
        except (PgError, MetricsError, RowShapeError, ValueError) as error:
            conn.rollback()
            # What the rolled-back transaction did is gone: its marks and the tables it created.
            ctx.marks = marks_before
            ctx.store.forget_columns()
            message = f"metric {metric.name!r} ({metric.source}): {str(error).strip()}"
            if not metric.allow_fail:
                raise MetricsError(message) from error
            summary.failed.append(message)
        finally:
            summary.metric_seconds[metric.name] = time.monotonic() - began


def _swap_in_full(ctx: _Context, metrics: list[MetricDef]) -> None:
    """Shadow tables replace the live ones and the computed marks restart, in one transaction.

    Waiting for readers' locks is bounded: on a timeout the swap rolls back (letting readers finish)
    and tries again, a little later each time.
    """
    drop = {d for m in metrics for d in m.drop}
    for attempt in range(_SWAP_ATTEMPTS):
        try:
            with ctx.conn.cursor() as cur:
                cur.execute("set local lock_timeout = %s", (f"{_SWAP_LOCK_TIMEOUT_MS}ms",))
            swap_in(ctx.conn, SHADOW_SCHEMA, drop)
            with ctx.conn.cursor() as cur:
                cur.execute("delete from gha_computed where metric like %s", (_MARK_PREFIX + "%",))
            _write_marks(ctx.conn, ctx.marks)
            ctx.conn.commit()
            return
        except LockNotAvailable:
            ctx.conn.rollback()
            time.sleep(min(0.05 * (attempt + 1), 1.0))
    raise MetricsError(
        f"could not swap the recomputed series in: their tables stayed locked by readers through "
        f"{_SWAP_ATTEMPTS} attempts"
    )


def run_metrics(
    conn: connection,
    *,
    project: Project,
    metrics_dir: Path | None = None,
    full: bool = False,
    now: datetime | None = None,
) -> MetricsRunSummary:
    """Compute the project's metrics into its database and commit.

    ``metrics_dir`` holds DevStats-style ``<project>/`` and ``shared/`` directories (None: the bundled
    default set). Without ``full``, only what is due at ``now`` is computed, from each metric's last
    computed bucket on; ``full`` recomputes everything from the project's start date into shadow
    tables and swaps them in at once. Work runs in transactions of its own; a transaction the caller
    left open is committed with the first of them.
    """
    started = time.monotonic()
    moment = _utc_naive(now)
    directory = metrics_dir or BUNDLED_DIR
    metrics = load_metrics(directory, project.name)
    tags = load_tags(directory, project.name)
    autocommit = conn.autocommit
    if autocommit:
        conn.autocommit = False
    summary = MetricsRunSummary(full=full)
    jit: str | None = None
    try:
        seed_bot_patterns(conn)
        with conn.cursor() as cur:
            # Bucket queries are many and short: compiling them (JIT) costs more than it saves.
            cur.execute("show jit")
            jit = cur.fetchone()[0]
            cur.execute("set jit = off")
        conn.commit()
        if full:
            create_shadow_schema(conn, SHADOW_SCHEMA)
            conn.commit()
        ctx = _Context(
            conn=conn,
            project=project,
            now=moment,
            full=full,
            store=SeriesStore(conn, SHADOW_SCHEMA if full else "public"),
            exclude_bots=exclude_bots_condition(conn, resolve=full),
            project_scale=project.project_scale,
            marks={} if full else _read_marks(conn),
            hll_problem=ensure_extension(conn, "hll") if any(map(_needs_hll, metrics)) else None,
        )
        ranges = _write_ranges_and_tags(ctx, tags)
        conn.commit()
        _compute_all(ctx, metrics, ranges, summary)
        if full:
            _swap_in_full(ctx, metrics)
    except BaseException:
        conn.rollback()
        if full:
            with conn.cursor() as cur:
                cur.execute(f'drop schema if exists "{SHADOW_SCHEMA}" cascade')
            conn.commit()
        raise
    finally:
        if jit is not None and not conn.closed:
            with conn.cursor() as cur:
                cur.execute("select set_config('jit', %s, false)", (jit,))
            conn.commit()
        if autocommit:
            conn.autocommit = True
    summary.series_written = len(ctx.store.tables_written)
    summary.rows_written = ctx.store.rows_written
    summary.seconds = time.monotonic() - started
    return summary
