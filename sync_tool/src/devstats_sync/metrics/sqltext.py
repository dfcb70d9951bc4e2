"""SQL placeholders of DevStats' metric files and the bot exclusion built from ``gha_bot_logins``.

Every placeholder DevStats' calc_metric fills: ``{{from}}``, ``{{to}}``, ``{{n}}`` (periods in the
window), ``{{range}}`` (hours in the bucket or range), ``{{exclude_bots}}``, ``{{project_scale}}``,
``{{rnd}}``, and in histograms ``{{period}}`` (the interval) and ``{{period:alias.column}}`` (the
range condition on a column). Tag SQL has ``{{lim}}`` (see the engine). Any other ``{{...}}`` left
in a query is an error naming it, rather than SQL that fails somewhere inside.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime

from psycopg2.extensions import connection

# LIKE patterns on lower-cased logins. Seeded once into gha_bot_logins; operators edit the table.
DEFAULT_BOT_PATTERNS = (
    "%[bot]", "%-bot", "%-robot", "bot-%", "%-ci-bot", "%\\_bot", "k8s-ci-robot", "k8s-merge-robot",
    "dependabot%", "renovate%", "greenkeeper%", "codecov%", "coveralls", "github-actions%",
    "netlify%", "mergify%", "stale%", "allcontributors%", "snyk-bot", "travis%", "googlebot",
    "copilot%", "pre-commit-ci%", "sonarcloud%", "linux-foundation-easycla%", "cncf-ci",
)  # fmt: skip
_SEEDED_MARK = "metrics:bot_logins_seeded"
_QUICK_RANGE = re.compile(r"\{\{period:([^}]*)\}\}")
_LEFTOVER = re.compile(r"\{\{[a-z_]+(:[^}]*)?\}\}")


def seed_bot_patterns(conn: connection) -> None:
    """Fill gha_bot_logins with the defaults the first time; later edits (even deletions) stay."""
    with conn.cursor() as cur:
        cur.execute("select 1 from gha_computed where metric = %s", (_SEEDED_MARK,))
        if cur.fetchone():
            return
        cur.executemany(
            "insert into gha_bot_logins(pattern) values (%s) on conflict do nothing",
            [(p,) for p in DEFAULT_BOT_PATTERNS],
        )
        cur.execute(
            "insert into gha_computed(metric, dt) values (%s, now()::timestamp) on conflict do nothing",
            (_SEEDED_MARK,),
        )


# Where the logins that metric SQL filters come from; each is reduced to distinct values first.
_LOGIN_SOURCES = (
    ("gha_events", "dup_actor_login"),
    ("gha_actors", "login"),
    ("gha_commits", "dup_author_login"),
    ("gha_issues", "dup_user_login"),
    ("gha_pull_requests", "dup_user_login"),
)


def exclude_bots_condition(conn: connection, resolve: bool = False) -> str:
    """The ``{{exclude_bots}}`` fragment: metric SQL writes ``(lower(login) {{exclude_bots}})``.

    With ``resolve`` the patterns are matched once against the logins the database holds and the
    fragment lists the bots found: PostgreSQL hashes such a list, where it would evaluate every
    LIKE pattern on every row, which makes a recompute over a year of events several times faster.
    """
    with conn.cursor() as cur:
        cur.execute("select coalesce(array_agg(lower(pattern) order by pattern), '{}') from gha_bot_logins")
        patterns = cur.fetchone()[0]
        if not patterns:
            return "is not null"
        if not resolve:
            return cur.mogrify("not like all(%s::text[])", (patterns,)).decode()
        distinct = " union ".join(
            f"select distinct lower({column}) from {table}" for table, column in _LOGIN_SOURCES
        )
        cur.execute(
            f"select coalesce(array_agg(login order by login), '{{}}') from ({distinct}) logins(login) "
            "where login like any(%s)",
            (patterns,),
        )
        return cur.mogrify("<> all(%s::text[])", (cur.fetchone()[0],)).decode()


def _timestamp(dt: datetime) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S")


# Hours per unit of a PostgreSQL interval, as DevStats' IntervalHours counts them (a month is 730.5).
_HOURS_PER = {"hour": 1.0, "day": 24.0, "week": 168.0, "month": 730.5, "quarter": 2191.5, "year": 8766.0}


def interval_hours(interval: str) -> float:
    """``{{range}}`` of a last-N range: ``'6 months'`` -> 4383.0."""
    count, _, unit = interval.strip().partition(" ")
    return float(count) * _HOURS_PER[unit.strip().rstrip("s")]


def range_hours(start: datetime, end: datetime) -> float:
    """``{{range}}`` of a bucket or of a range between two moments: its length in hours."""
    return max((end - start).total_seconds() / 3600.0, 0.0)


def _hours_text(hours: float) -> str:
    return f"{hours:f}"


def render_bucket_sql(
    sql: str, *, start: datetime, end: datetime, n: int, exclude_bots: str, project_scale: float
) -> str:
    """A time-series query for one bucket; ``{{from}}``/``{{to}}`` are bare timestamps the SQL quotes."""
    text = sql.replace("{{n}}", f"{n}.0").replace("{{exclude_bots}}", exclude_bots)
    text = text.replace("{{from}}", _timestamp(start)).replace("{{to}}", _timestamp(end))
    text = text.replace("{{range}}", _hours_text(range_hours(start, end)))
    text = _QUICK_RANGE.sub(
        lambda m: f" ({m.group(1)} >= '{_timestamp(start)}' and {m.group(1)} < '{_timestamp(end)}') ", text
    )
    return _finish(text, project_scale)


def render_range_sql(
    sql: str,
    *,
    interval: str | None,
    start: datetime | None,
    end: datetime | None,
    now: datetime,
    n: int,
    exclude_bots: str,
    project_scale: float,
) -> str:
    """A histogram query for a quick range: either the last ``interval`` before ``now``, or [start, end).

    ``now`` is passed in rather than read from the server clock, so a run is reproducible.
    """
    text = sql.replace("{{n}}", f"{n}.0").replace("{{exclude_bots}}", exclude_bots)
    if interval is not None:
        since = f"('{_timestamp(now)}'::timestamp - '{interval}'::interval)"
        text = _QUICK_RANGE.sub(lambda m: f" ({m.group(1)} >= {since}) ", text)
        text = text.replace("{{period}}", interval)
        text = text.replace("'{{from}}'", since).replace("{{from}}", since)
        text = text.replace("'{{to}}'", f"'{_timestamp(now)}'").replace("{{to}}", f"'{_timestamp(now)}'")
        text = text.replace("{{range}}", _hours_text(interval_hours(interval)))
    else:
        assert start is not None and end is not None
        lo, hi = _timestamp(start), _timestamp(end)
        text = _QUICK_RANGE.sub(lambda m: f" ({m.group(1)} >= '{lo}' and {m.group(1)} < '{hi}') ", text)
        # DevStats quotes the bounds of a range itself; SQL written for it says {{from}} bare.
        text = text.replace("'{{from}}'", f"'{lo}'").replace("{{from}}", f"'{lo}'")
        text = text.replace("'{{to}}'", f"'{hi}'").replace("{{to}}", f"'{hi}'")
        text = text.replace("{{range}}", _hours_text(range_hours(start, end)))
    return _finish(text, project_scale)


def _finish(text: str, project_scale: float) -> str:
    text = text.replace("{{project_scale}}", repr(float(project_scale)))
    if "{{rnd}}" in text:
        # Temp tables named with {{rnd}} must not collide between buckets on one session.
        text = text.replace("{{rnd}}", "_" + secrets.token_hex(6))
    leftover = _LEFTOVER.search(text)
    if leftover:
        raise ValueError(f"unknown placeholder {leftover.group(0)}")
    return text
