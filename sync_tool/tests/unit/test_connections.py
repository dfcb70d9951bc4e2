"""Connection failures: what was tried, never the password, and whether to fix the configuration."""

from __future__ import annotations

import psycopg2
import pytest
from devstats_sync import exit_codes
from devstats_sync.connections import ConnectError, connect, connect_error, target


@pytest.mark.parametrize(
    ("said", "code", "missing"),
    [
        ('FATAL:  password authentication failed for user "devstats"', exit_codes.CONFIG, False),
        ('FATAL:  database "gha" does not exist', exit_codes.CONFIG, True),
        ('FATAL:  role "nobody" does not exist', exit_codes.CONFIG, False),
        (
            'could not translate host name "patroni" to address: Name or service not known',
            exit_codes.CONFIG,
            False,
        ),
        (
            "connection refused\n\tIs the server running on that host and accepting TCP/IP connections?",
            3,
            False,
        ),
        ("FATAL:  sorry, too many clients already", exit_codes.FAILED, False),
        ("FATAL:  the database system is starting up", exit_codes.FAILED, False),
        ("timeout expired", exit_codes.FAILED, False),
    ],
)
def test_failures_are_told_apart(said: str, code: int, missing: bool) -> None:
    error = connect_error(
        "host=db.example port=6432 user=devstats password=s3cret dbname=gha", psycopg2.OperationalError(said)
    )
    assert (error.exit_code, error.missing_database) == (code, missing)
    assert str(error).startswith(
        "cannot connect to PostgreSQL (host db.example port 6432 database gha user devstats): "
    )
    assert "s3cret" not in str(error) and "\n" not in str(error)


def test_the_target_follows_libpq_defaults_without_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PGHOST", "pg.internal")
    monkeypatch.setenv("PGUSER", "sync")
    monkeypatch.delenv("PGPORT", raising=False)
    monkeypatch.delenv("PGDATABASE", raising=False)
    assert target("") == "host pg.internal port 5432 database sync user sync"
    assert target("postgresql://u:pw@h:1/d") == "host h port 1 database d user u"


def test_a_malformed_dsn_is_refused_without_echoing_it() -> None:
    with pytest.raises(ConnectError) as refused:
        connect("host=h password=hunter2-secret dbname")
    assert refused.value.exit_code == exit_codes.CONFIG
    assert "malformed" in str(refused.value) and "hunter2" not in str(refused.value)
