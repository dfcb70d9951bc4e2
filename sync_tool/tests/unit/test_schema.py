from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import psycopg2
import pytest
from devstats_sync import schema

SCHEMA_DOC = Path("/work/shared/devstats-schema.md")


def _doc_tables() -> dict[str, tuple[str, list[str]]]:
    tables = {}
    for line in SCHEMA_DOC.read_text().splitlines():
        match = re.match(r"^\| `(gha_\w+)` \| ([^|]+) \| (.+) \|$", line)
        if match:
            name, key, columns = match.groups()
            tables[name] = (key.strip(), [c.strip().split(" ", 1)[0] for c in columns.split(";")])
    return tables


@pytest.mark.skipif(not SCHEMA_DOC.exists(), reason="the shared schema facts are not on this machine")
def test_tables_match_the_devstats_schema_facts() -> None:
    doc = _doc_tables()
    assert set(doc) == set(schema.TABLE_BY_NAME)
    for name, (key, columns) in doc.items():
        table = schema.TABLE_BY_NAME[name]
        assert list(table.column_names) == columns, name
        expected_key = () if key == "-" else tuple(k.strip() for k in key.split(","))
        assert table.primary_key == expected_key, name


def _columns(dsn: str) -> list[tuple[str, str, str, str]]:
    with psycopg2.connect(dsn) as conn, conn.cursor() as cur:
        cur.execute(
            "select table_name, column_name, data_type, is_nullable from information_schema.columns "
            "where table_schema = 'public' order by table_name, ordinal_position"
        )
        return cur.fetchall()


def test_schema_is_created_idempotently_and_versioned(make_database: Callable[..., str]) -> None:
    dsn = make_database(with_schema=False)
    conn = psycopg2.connect(dsn)
    assert schema.ensure_schema(conn) == 0
    first = _columns(dsn)
    assert schema.ensure_schema(conn) == schema.SCHEMA_VERSION
    assert _columns(dsn) == first
    with conn.cursor() as cur:
        cur.execute("select value_i from gha_vars where name = %s", (schema.SCHEMA_VERSION_VAR,))
        assert cur.fetchone() == (schema.SCHEMA_VERSION,)
    types = {(t, c): (d, n) for t, c, d, n in first}
    assert types["gha_events", "id"] == ("bigint", "NO")
    assert types["gha_events", "created_at"] == ("timestamp without time zone", "NO")
    assert types["gha_actors", "sex_prob"] == ("double precision", "YES")
    assert len({t for t, *_ in first}) == len(schema.TABLES) + len(schema.TOOL_TABLES)
    conn.close()


def test_newer_schema_is_refused(db_dsn: str) -> None:
    conn = psycopg2.connect(db_dsn)
    with conn, conn.cursor() as cur:
        cur.execute("update gha_vars set value_i = 999 where name = %s", (schema.SCHEMA_VERSION_VAR,))
    with pytest.raises(schema.SchemaTooNewError, match="newer than this devstats-sync supports"):
        schema.ensure_schema(conn)
    conn.close()


def test_indexes_are_created_once(db_dsn: str) -> None:
    conn = psycopg2.connect(db_dsn)
    assert schema.create_indexes(conn) == len(schema.INDEXES)
    assert schema.create_indexes(conn) == 0
    conn.close()


def _index_names(cur: psycopg2.extensions.cursor) -> set[str]:
    cur.execute("select indexname from pg_indexes where schemaname = current_schema()")
    return {row[0] for row in cur.fetchall()}


def test_version_3_drops_the_indexes_it_left_out_and_only_those(db_dsn: str) -> None:
    conn = psycopg2.connect(db_dsn)
    with conn, conn.cursor() as cur:
        # A database of version 2 with all of its indexes, and one index someone else made (a
        # migrated DevStats database has its own, by DevStats' names).
        for name in schema.DROPPED_INDEXES:
            table, column = next(
                (t.name, name.removeprefix(f"{t.name}_").removesuffix("_idx"))
                for t in sorted(schema.TABLES, key=lambda t: -len(t.name))
                if name.startswith(f"{t.name}_")
            )
            cur.execute(f"create index {name} on {table} ({column})")
        cur.execute("create index events_type_idx on gha_events (type)")
        cur.execute("update gha_vars set value_i = 2 where name = %s", (schema.SCHEMA_VERSION_VAR,))
    assert schema.ensure_schema(conn) == 2
    with conn, conn.cursor() as cur:
        left = _index_names(cur)
    assert not left & set(schema.DROPPED_INDEXES)
    assert "events_type_idx" in left
    assert schema.create_indexes(conn) == len(schema.INDEXES)
    with conn, conn.cursor() as cur:
        assert _index_names(cur) >= {index.name for index in schema.INDEXES}
    conn.close()


def test_version_4_drops_the_unread_indexes_of_a_version_3_database(db_dsn: str) -> None:
    conn = psycopg2.connect(db_dsn)
    with conn, conn.cursor() as cur:
        cur.execute("create index gha_texts_event_id_idx on gha_texts (event_id)")
        cur.execute("create index gha_payloads_dup_created_at_idx on gha_payloads (dup_created_at)")
        cur.execute("update gha_vars set value_i = 3 where name = %s", (schema.SCHEMA_VERSION_VAR,))
    schema.create_indexes(conn)
    with conn, conn.cursor() as cur:
        before = _index_names(cur)
    assert schema.ensure_schema(conn) == 3
    with conn, conn.cursor() as cur:
        assert before - _index_names(cur) == {"gha_texts_event_id_idx", "gha_payloads_dup_created_at_idx"}
    conn.close()


def test_version_5_replaces_the_btrees_of_event_times_by_block_range_indexes(db_dsn: str) -> None:
    conn = psycopg2.connect(db_dsn)
    replaced = {
        "gha_texts": "created_at",
        "gha_commits": "dup_created_at",
        "gha_issues": "dup_created_at",
        "gha_pull_requests": "dup_created_at",
        "gha_comments": "dup_created_at",
        "gha_issues_labels": "dup_created_at",
        "gha_issues_events_labels": "created_at",
    }
    schema.create_indexes(conn)
    with conn, conn.cursor() as cur:
        for table, column in replaced.items():
            cur.execute(f"create index {table}_{column}_idx on {table} ({column})")
        cur.execute("create index gha_commits_event_id_idx on gha_commits (event_id)")
        # Kept: a btree of a time that is not the event's (an issue is older than most of its events),
        # and the one every hourly metric bucket starts from.
        assert {"gha_issues_created_at_idx", "gha_events_created_at_idx"} <= _index_names(cur)
        cur.execute("update gha_vars set value_i = 4 where name = %s", (schema.SCHEMA_VERSION_VAR,))
    with conn, conn.cursor() as cur:
        before = _index_names(cur)
    assert schema.ensure_schema(conn) == 4
    with conn, conn.cursor() as cur:
        dropped = {f"{t}_{c}_idx" for t, c in replaced.items()} | {"gha_commits_event_id_idx"}
        assert before - _index_names(cur) == dropped
        cur.execute(
            "select c.relname from pg_index x join pg_class c on c.oid = x.indexrelid "
            "join pg_am a on a.oid = c.relam where a.amname = 'brin'"
        )
        assert {row[0] for row in cur.fetchall()} == {f"{t}_{c}_brin_idx" for t, c in replaced.items()}
    assert schema.create_indexes(conn) == 0
    conn.close()


def test_an_hour_of_texts_is_found_by_reading_its_block_ranges_only(db_dsn: str) -> None:
    # A first load of two days of hours in order, 3,000 texts each (17 ranges of 128 blocks),
    # then the indexes. Later hours' ranges are summarized by autovacuum as each one fills.
    conn = psycopg2.connect(db_dsn)
    with conn, conn.cursor() as cur:
        cur.execute(
            "insert into gha_texts (event_id, body, created_at, actor_id, actor_login, repo_id, "
            "repo_name, type) select n, 'Looks good to me, merging', "
            "timestamp '2024-03-01' + (n * interval '1.2 seconds'), n % 997, 'actor', 1, 'o/r', "
            "'IssueCommentEvent' from generate_series(0, 48 * 3000 - 1) n"
        )
    schema.create_indexes(conn)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("analyze gha_texts")
        cur.execute("select relpages from pg_class where relname = 'gha_texts'")
        pages = cur.fetchone()[0]
        cur.execute(
            "explain (analyze, format json) select count(*) from gha_texts "
            "where created_at >= '2024-03-02 09:00' and created_at < '2024-03-02 10:00'"
        )
        plan = cur.fetchone()[0][0]["Plan"]
    conn.close()
    scan = plan["Plans"][0]
    assert scan["Node Type"] == "Bitmap Heap Scan", plan
    assert scan["Plans"][0]["Index Name"] == "gha_texts_created_at_brin_idx", plan
    assert scan["Actual Rows"] == 3000
    assert pages >= 10 * 128
    # The hour's own blocks, rounded out to the ranges holding them: at most two of the 17.
    assert scan["Exact Heap Blocks"] + scan.get("Lossy Heap Blocks", 0) <= 2 * 128, scan


def test_no_index_is_both_kept_and_dropped() -> None:
    names = [index.name for index in schema.INDEXES]
    assert len(names) == len(set(names))
    assert not set(names) & set(schema.DROPPED_INDEXES)


# Each partial index, and a query of the form that needs it: the planner must be able to use the
# partial index for it, else leaving the full index out made that query a scan of the table.
PARTIAL_QUERIES = {
    "gha_payloads_issue_id_set_idx": "select * from gha_payloads where issue_id = 42",
    "gha_payloads_pull_request_id_set_idx": (
        "select * from gha_pull_requests pr join gha_payloads pl on pl.pull_request_id = pr.id "
        "where pr.created_at >= '2024-01-01' and pr.created_at < '2024-01-02'"
    ),
    "gha_payloads_dup_repo_name_tags_idx": (
        "select ref, dup_created_at from gha_payloads where dup_repo_name = 'o/r' "
        "and dup_type = 'CreateEvent' and ref_type = 'tag' and ref is not null"
    ),
    "gha_issues_closed_at_set_idx": (
        "select count(distinct id) from gha_issues "
        "where closed_at >= '2024-01-01' and closed_at < '2024-02-01'"
    ),
    "gha_pull_requests_merged_at_set_idx": (
        "select count(distinct id) from gha_pull_requests where merged_at >= '2024-01-01' "
        "and merged_at < '2024-02-01'"
    ),
    "gha_pull_requests_closed_at_set_idx": "select id from gha_pull_requests where closed_at < '2020-01-01'",
    "gha_commits_author_id_set_idx": (
        "select a.login from gha_actors a join gha_commits c on c.author_id = a.id where a.login = 'x'"
    ),
    "gha_commits_committer_id_set_idx": (
        "select sha from gha_commits where committer_id is not null and committer_id = 7"
    ),
    "gha_commits_author_email_set_idx": "select sha from gha_commits where author_email = 'a@b.c'",
}


def _plans(dsn: str, queries: list[str]) -> list[str]:
    """The plans of ``queries`` on the empty tables, the planner told to take any usable index."""
    conn = psycopg2.connect(dsn)
    schema.create_indexes(conn)
    plans = []
    with conn, conn.cursor() as cur:
        cur.execute("set local enable_seqscan = off")
        cur.execute("set local enable_hashjoin = off")
        cur.execute("set local enable_mergejoin = off")
        for query in queries:
            cur.execute(f"explain {query}")
            plans.append("\n".join(row[0] for row in cur.fetchall()))
    conn.close()
    return plans


def test_devstats_file_joins_use_the_event_index(db_dsn: str) -> None:
    # The shape of DevStats' commit and event metrics: a period's commits, each with its files.
    [plan] = _plans(
        db_dsn,
        [
            "select coalesce(ecf.repo_group, r.repo_group), c.sha from gha_repos r, gha_commits c "
            "left join gha_events_commits_files ecf on ecf.event_id = c.event_id "
            "where c.dup_repo_id = r.id and c.dup_repo_name = r.name "
            "and c.dup_created_at >= '2024-01-01' and c.dup_created_at < '2024-02-01'"
        ],
    )
    assert "gha_events_commits_files_event_id_idx" in plan, plan


def test_queries_use_the_partial_indexes(db_dsn: str) -> None:
    partial = {index.name for index in schema.INDEXES if index.where}
    assert set(PARTIAL_QUERIES) == partial
    plans = _plans(db_dsn, list(PARTIAL_QUERIES.values()))
    for name, plan in zip(PARTIAL_QUERIES, plans, strict=True):
        assert name in plan, (name, plan)
