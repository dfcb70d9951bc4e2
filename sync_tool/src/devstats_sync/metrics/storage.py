"""Writing series, tag tables and annotations the way DevStats stores them in PostgreSQL.

``s<series>``: ``time, period`` (or ``time, series, period`` when merged) then one column per value
name, numbers as ``double precision not null default 0``, strings as ``text not null default ''``.
Columns appear on demand. Points are upserted, so computing a bucket twice gives the same rows.

A full recompute writes into a shadow schema and :meth:`SeriesStore.swap_in` moves every table into
``public`` in one transaction, so a dashboard sees either the old or the new series, never a gap.
"""

from __future__ import annotations

import hashlib
import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from psycopg2 import Error as PgError
from psycopg2 import sql
from psycopg2.extensions import connection, cursor
from psycopg2.extras import execute_values

from devstats_sync.metrics.names import MAX_IDENTIFIER


class Hll(str):
    """A HyperLogLog sketch (the ``hll`` extension) in its text form, for ``hll: true`` metrics."""


# hll_empty() with the extension's default parameters, as DevStats writes it for a missing sketch.
HLL_EMPTY = Hll("\\x118b7f")
Value = float | str | datetime
_PAGE = 2000


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_field(value: Any) -> str:
    """A value in COPY's text format (no value here is ever NULL)."""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, float):
        return repr(value)
    return str(value).translate(_COPY_ESCAPES)


def _index_name(table: str, column: str) -> str:
    """Short and unique whatever the table's length (PostgreSQL would truncate a long one)."""
    return f"i{hashlib.sha1(table.encode()).hexdigest()[:20]}_{column}"


@dataclass
class Point:
    table: str
    time: datetime
    period: str
    values: dict[str, Value]
    series: str | None = None  # set for merged tables


def _sql_type(value: Value) -> str:
    """DevStats' column types: numbers, texts, times (custom data) and sketches."""
    if isinstance(value, datetime):
        return "timestamp not null default '1900-01-01 00:00:00'"
    if isinstance(value, Hll):
        return "hll not null default hll_empty()"
    if isinstance(value, str):
        return "text not null default ''"
    return "double precision not null default 0.0"


@dataclass
class SeriesStore:
    """Creates and fills series tables in ``schema`` (``public`` or a shadow schema)."""

    conn: connection
    schema: str = "public"
    rows_written: int = 0
    tables_written: set[str] = field(default_factory=set)
    _columns: dict[str, set[str]] = field(default_factory=dict)

    def _ident(self, table: str) -> sql.Composed:
        return sql.SQL("{}.{}").format(sql.Identifier(self.schema), sql.Identifier(table))

    def _known_columns(self, cur: cursor, table: str) -> set[str] | None:
        if table not in self._columns:
            cur.execute(
                "select column_name from information_schema.columns "
                "where table_schema = %s and table_name = %s",
                (self.schema, table),
            )
            found = {row[0] for row in cur.fetchall()}
            if not found:
                return None
            self._columns[table] = found
        return self._columns[table]

    def forget_columns(self) -> None:
        """After a rollback: tables and columns created in that transaction no longer exist."""
        self._columns.clear()

    def ensure_table(self, cur: cursor, table: str, merged: bool, values: dict[str, Value]) -> None:
        for name in values:
            if len(name.encode()) > MAX_IDENTIFIER:
                raise ValueError(f"value column {name!r} of {table} is longer than {MAX_IDENTIFIER} bytes")
        known = self._known_columns(cur, table)
        if known is None:
            keys = ["time", "series", "period"] if merged else ["time", "period"]
            columns = [sql.SQL("time timestamp not null")]
            if merged:
                columns.append(sql.SQL("series text not null"))
            columns.append(sql.SQL("period text not null default ''"))
            columns += [
                sql.SQL("{} {}").format(sql.Identifier(n), sql.SQL(_sql_type(v))) for n, v in values.items()
            ]
            columns.append(sql.SQL("primary key ({})").format(sql.SQL(", ").join(map(sql.Identifier, keys))))
            cur.execute(
                sql.SQL("create table if not exists {} ({})").format(
                    self._ident(table), sql.SQL(", ").join(columns)
                )
            )
            # As DevStats indexes them: histograms replace a (series, period) at a time, and
            # dashboards select by series and period.
            for column in ("series", "period") if merged else ("period",):
                cur.execute(
                    sql.SQL("create index if not exists {} on {} ({})").format(
                        sql.Identifier(_index_name(table, column)), self._ident(table), sql.Identifier(column)
                    )
                )
            self._columns[table] = set(keys) | set(values)
            return
        for name, value in values.items():
            if name not in known:
                cur.execute(
                    sql.SQL("alter table {} add column if not exists {} {}").format(
                        self._ident(table), sql.Identifier(name), sql.SQL(_sql_type(value))
                    )
                )
                known.add(name)

    def upsert(self, points: list[Point], *, new: bool = False) -> None:
        """Upsert points; points sharing a key are merged (later values win). ``new``: the caller
        knows no row with these keys exists (it just deleted them), so they are COPied in."""
        merged_points: dict[tuple[str, datetime, str | None, str], Point] = {}
        for point in points:
            key = (point.table, point.time, point.series, point.period)
            if key in merged_points:
                merged_points[key].values.update(point.values)
            else:
                merged_points[key] = Point(
                    point.table, point.time, point.period, dict(point.values), point.series
                )
        groups: dict[tuple[str, bool, tuple[str, ...]], list[Point]] = defaultdict(list)
        for point in merged_points.values():
            groups[(point.table, point.series is not None, tuple(sorted(point.values)))].append(point)
        with self.conn.cursor() as cur:
            for (table, merged, names), group in groups.items():
                self.ensure_table(cur, table, merged, group[0].values)
                keys = ["time", "series", "period"] if merged else ["time", "period"]
                rows = [
                    ((p.time, p.series, p.period) if merged else (p.time, p.period))
                    + tuple(p.values[n] for n in names)
                    for p in group
                ]
                if new:
                    self._copy(cur, table, keys + list(names), rows)
                else:
                    self._upsert_rows(cur, table, keys, names, rows)
                self.rows_written += len(rows)
                self.tables_written.add(table)

    def _upsert_rows(
        self, cur: cursor, table: str, keys: list[str], names: tuple[str, ...], rows: list[tuple[Any, ...]]
    ) -> None:
        statement = sql.SQL(
            "insert into {table} ({columns}) values %s on conflict ({keys}) do update set {updates}"
        ).format(
            table=self._ident(table),
            columns=sql.SQL(", ").join(map(sql.Identifier, keys + list(names))),
            keys=sql.SQL(", ").join(map(sql.Identifier, keys)),
            updates=sql.SQL(", ").join(sql.SQL("{0} = excluded.{0}").format(sql.Identifier(n)) for n in names)
            if names
            else sql.SQL("period = excluded.period"),
        )
        execute_values(cur, statement.as_string(cur), rows, page_size=_PAGE)

    def _copy(self, cur: cursor, table: str, columns: list[str], rows: list[tuple[Any, ...]]) -> None:
        data = io.StringIO("".join("\t".join(map(_copy_field, row)) + "\n" for row in rows))
        statement = sql.SQL("copy {} ({}) from stdin").format(
            self._ident(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        cur.copy_expert(statement.as_string(cur), data)

    def replace_period(self, table: str, period: str, series: list[str] | None, points: list[Point]) -> None:
        """Histograms: drop the range's old rows (of these series of a merged table, or all of them)
        and write the new ones, in the caller's transaction."""
        with self.conn.cursor() as cur:
            if self._known_columns(cur, table) is not None:
                if series is None:
                    cur.execute(
                        sql.SQL("delete from {} where period = %s").format(self._ident(table)), (period,)
                    )
                else:
                    cur.execute(
                        sql.SQL("delete from {} where period = %s and series = any(%s)").format(
                            self._ident(table)
                        ),
                        (period, series),
                    )
        if points:
            self.upsert(points, new=True)

    def replace_table(
        self, table: str, key_time: bool, rows: list[dict[str, Value]], columns: tuple[str, ...] = ()
    ) -> None:
        """Tag tables, annotations, quick ranges: rebuilt whole (in the caller's transaction).

        ``key_time`` tables (``t*``) have ``time`` as their key and at least ``columns``, so that SQL
        reading an empty tag still runs; others are series tables.
        """
        with self.conn.cursor() as cur:
            exists = self._known_columns(cur, table) is not None
            if key_time:
                names = sorted({n for r in rows for n in r if n != "time"} | set(columns))
                if not exists:
                    columns = [sql.SQL("time timestamp primary key")] + [
                        sql.SQL("{} text").format(sql.Identifier(n)) for n in names
                    ]
                    cur.execute(
                        sql.SQL("create table if not exists {} ({})").format(
                            self._ident(table), sql.SQL(", ").join(columns)
                        )
                    )
                    self._columns[table] = {"time", *names}
                else:
                    for name in names:
                        if name not in self._columns[table]:
                            cur.execute(
                                sql.SQL("alter table {} add column if not exists {} text").format(
                                    self._ident(table), sql.Identifier(name)
                                )
                            )
                            self._columns[table].add(name)
                cur.execute(sql.SQL("delete from {}").format(self._ident(table)))
                if rows:
                    statement = sql.SQL("insert into {} ({}) values %s").format(
                        self._ident(table), sql.SQL(", ").join(map(sql.Identifier, ["time", *names]))
                    )
                    execute_values(
                        cur, statement.as_string(cur), [(r["time"], *(r.get(n) for n in names)) for r in rows]
                    )
                self.rows_written += len(rows)
                self.tables_written.add(table)
                return
            if exists:
                cur.execute(sql.SQL("delete from {}").format(self._ident(table)))
        points = [
            Point(table, r["time"], "", {k: v for k, v in r.items() if k != "time"})
            for r in rows  # type: ignore[arg-type]
        ]
        if points:
            self.upsert(points)
        else:
            with self.conn.cursor() as cur:
                self.ensure_table(cur, table, False, {"title": "", "description": ""})


def ensure_extension(conn: connection, name: str) -> str | None:
    """Creates a PostgreSQL extension the metrics need (hll) and commits; None when it is there, else
    why it cannot be: not installed on the server, or this user may not create it."""
    with conn.cursor() as cur:
        cur.execute("select 1 from pg_extension where extname = %s", (name,))
        if cur.fetchone():
            return None
        cur.execute("select 1 from pg_available_extensions where name = %s", (name,))
        if cur.fetchone() is None:
            conn.rollback()
            return f"the server does not have it installed (Debian: postgresql-<major>-{name})"
        try:
            cur.execute(sql.SQL("create extension if not exists {}").format(sql.Identifier(name)))
        except PgError as error:
            conn.rollback()
            reason = error.diag.message_primary or str(error).strip()
            return f"it is not created in this database and creating it failed: {reason}"
    conn.commit()
    return None


def create_shadow_schema(conn: connection, name: str) -> None:
    with conn.cursor() as cur:
        cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(name)))
        cur.execute(sql.SQL("create schema {}").format(sql.Identifier(name)))


def swap_in(conn: connection, shadow: str, drop: set[str]) -> list[str]:
    """Move every shadow table into public, replacing namesakes, in the caller's transaction.

    The live tables are locked first, all in one statement; a reader waiting for one of them then
    reads the new table (PostgreSQL re-resolves a name whose table was dropped while it waited).
    The caller sets a lock timeout: a reader holding one table while waiting for another would
    otherwise deadlock with the swap, and it is the swap that should yield and retry.
    """
    with conn.cursor() as cur:
        cur.execute("select tablename from pg_tables where schemaname = %s order by tablename", (shadow,))
        tables = [row[0] for row in cur.fetchall()]
        cur.execute(
            "select tablename from pg_tables where schemaname = 'public' and tablename = any(%s) order by 1",
            (sorted(set(tables) | drop),),
        )
        live = [row[0] for row in cur.fetchall()]
        if live:
            cur.execute(
                sql.SQL("lock table {} in access exclusive mode").format(
                    sql.SQL(", ").join(sql.SQL("public.{}").format(sql.Identifier(t)) for t in live)
                )
            )
        for table in live:
            cur.execute(sql.SQL("drop table public.{}").format(sql.Identifier(table)))
        for table in tables:
            cur.execute(
                sql.SQL("alter table {}.{} set schema public").format(
                    sql.Identifier(shadow), sql.Identifier(table)
                )
            )
        cur.execute(sql.SQL("drop schema {} cascade").format(sql.Identifier(shadow)))
    return tables
