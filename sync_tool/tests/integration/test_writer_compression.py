"""Long texts of an hour are stored lz4-compressed, without changing the session's own setting."""

from __future__ import annotations

from datetime import datetime

import orjson
import psycopg2
from devstats_sync.sample_data import GeneratorConfig, hour_lines
from devstats_sync.writer import HourWriter

HOUR = datetime(2024, 3, 1, 10)


def test_long_texts_are_lz4_compressed(db_dsn: str) -> None:
    config = GeneratorConfig(seed=3, events_per_hour=300, focus_repos=("o/r",), focus_share=1.0)
    events = [orjson.loads(line) for line in hour_lines(config, HOUR)]
    commented = [e for e in events if e["type"] == "IssueCommentEvent"]
    assert commented
    # Compressible and above the 2 kB from which PostgreSQL compresses a value.
    body = "the same words again and again, " * 400
    commented[0]["payload"]["comment"]["body"] = body
    conn = psycopg2.connect(db_dsn)
    HourWriter(conn).write_hour(HOUR, events)
    with conn, conn.cursor() as cur:
        cur.execute("select distinct pg_column_compression(body) from gha_comments where body = %s", (body,))
        assert cur.fetchall() == [("lz4",)]
        cur.execute("select distinct pg_column_compression(body) from gha_texts where body = %s", (body,))
        assert cur.fetchall() == [("lz4",)]
        # Set for the hour's transaction only.
        cur.execute("show default_toast_compression")
        assert cur.fetchone() == ("pglz",)
    conn.close()
