"""Bad input, one case per line: the exit code, the words of the message, and the database afterwards.

Every case runs a real command (``cli.main``, in process) against a real PostgreSQL, a directory of
hour files or a GH Archive stand-in on 127.0.0.1, then checks what the project's database holds:
each hour parsed, pending (on record as failed, retried by the next run) or accepted as empty,
the events of each hour, the quarantine, and that nothing was stored twice.
"""

from __future__ import annotations

import gzip
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import orjson
import psycopg2
import pytest
from devstats_sync import archive, cli
from devstats_sync.archive import hour_file_name
from devstats_sync.commands import ingest as ingest_command
from devstats_sync.embedded_postgres import EmbeddedPostgres
from devstats_sync.sample_data import GeneratorConfig, hour_lines
from psycopg2.extensions import parse_dsn

from tests.support.database_state import (
    duplicated_rows,
    events_by_hour,
    failed_hour_attempts,
    hour_states,
    quarantined,
)
from tests.support.gharchive_server import GhArchiveServer, gharchive_server
from tests.support.sync_inputs import write_hour_file, write_projects_file

H0 = datetime(2024, 2, 1, 0)
H1 = H0 + timedelta(hours=1)
CONFIG = GeneratorConfig(seed=31, events_per_hour=60, focus_repos=("acme/widget",), focus_share=0.5)
PASSWORD = "right-Secret-4711"
WRONG_PASSWORD = "wrong-Secret-0815"


def generated(hour: datetime = H0) -> list[bytes]:
    return list(hour_lines(CONFIG, hour))


def matching(lines: list[bytes]) -> int:
    return sum(b'"name":"acme/' in line for line in lines)


def acme_event(**changes: Any) -> dict[str, Any]:
    event = {
        "id": "9000000001",
        "type": "IssueCommentEvent",
        "actor": {"id": 5, "login": "eve"},
        "repo": {"id": 6, "name": "acme/widget"},
        "payload": {"action": "created", "comment": {"id": 77, "body": "hello", "user": {"id": 5}}},
        "public": True,
        "created_at": "2024-02-01T00:10:00Z",
    }
    event.update(changes)
    return {key: value for key, value in event.items() if value is not ...}


def line(event: dict[str, Any]) -> bytes:
    return orjson.dumps(event)


@dataclass
class Env:
    tmp: Path
    dsn: str
    db: str
    pg: EmbeddedPostgres
    server: GhArchiveServer

    @property
    def archive_dir(self) -> Path:
        return self.tmp / "archive"

    @property
    def projects_file(self) -> Path:
        return self.tmp / "projects.yaml"

    def ingest(self, *extra: str, remote: bool = False, dsn: str | None = None) -> list[str]:
        if remote:
            source = ["--archive-url", self.server.url, "--cache-dir", str(self.tmp / "cache")]
        else:
            self.archive_dir.mkdir(exist_ok=True)
            source = ["--archive-url", str(self.archive_dir)]
        hours = ["--from", f"{H0:%Y-%m-%dT%H}", "--to", f"{H1:%Y-%m-%dT%H}"]
        where = ["--projects-file", str(self.projects_file), "--dsn", self.dsn if dsn is None else dsn]
        return ["ingest", *where, *hours, "--no-progress", *source, *extra]

    def project_command(self, command: str, dsn: str) -> list[str]:
        where = ["--projects-file", str(self.projects_file), "--dsn", dsn]
        if command == "init":
            return ["init", *where]
        self.archive_dir.mkdir(exist_ok=True)
        return [command, *where, "--project", "acme", "--archive-url", str(self.archive_dir), "--skip-git"]

    def dsn_with(self, **parts: str) -> str:
        values = {"host": "127.0.0.1", "port": str(self.pg.port), "user": "postgres", "dbname": self.db}
        return " ".join(f"{key}={value}" for key, value in {**values, **parts}.items())


Inputs = Callable[[Env], None]


def nothing(env: Env) -> None:
    pass


@dataclass(frozen=True)
class Case:
    name: str
    exit_code: int
    words: tuple[str, ...] = ()
    inputs: Inputs = nothing
    args: Callable[[Env], list[str]] = Env.ingest
    # The database afterwards: hour -> parsed/pending/accepted, events per hour, quarantined events.
    hours: dict[datetime, str] = field(default_factory=dict)
    events: int | None = None
    quarantined: int = 0
    never_said: tuple[str, ...] = ()
    requests: int | None = None
    # Seconds the command must take at least (a Retry-After it honours).
    at_least: float = 0.0


def hour_file(lines: Callable[[], list[bytes]], *, cut: bool = False) -> Inputs:
    def inputs(env: Env) -> None:
        path = write_hour_file(env.archive_dir, H0, lines())
        if cut:
            data = path.read_bytes()
            path.write_bytes(data[: len(data) * 2 // 3])

    return inputs


def served(*responses: Any) -> Inputs:
    return lambda env: env.server.serve(hour_file_name(H0), *responses)


def projects(**fields: Any) -> Inputs:
    return lambda env: write_projects_file(
        env.projects_file,
        [{"name": "acme", "db": env.db, "orgs": ["acme"], "start_date": "2020-01-01", **fields}],
    )


def remote(env: Env) -> list[str]:
    return env.ingest(remote=True)


def good_body() -> bytes:
    return gzip.compress(b"\n".join(generated()) + b"\n")


def with_extra(*events: dict[str, Any] | bytes) -> Callable[[], list[bytes]]:
    return lambda: [*generated(), *(e if isinstance(e, bytes) else line(e) for e in events)]


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


BROKEN_ISSUE = acme_event(type="IssuesEvent", payload={"issue": {"id": 1, "created_at": "yesterday"}})
TEN_MB = acme_event(payload={"action": "created", "comment": {"id": 78, "body": "x" * 10_000_000}})
SURROGATES = (
    b'{"id":"9000000002","type":"IssueCommentEvent","actor":{"id":5,"login":"eve"},"repo":{"id":6,'
    b'"name":"acme/widget"},"payload":{"comment":{"id":79,"body":"lone \\ud800 half"}},"public":true,'
    b'"created_at":"2024-02-01T00:11:00Z"}'
)
NON_UTF8 = (
    b'{"id":"9000000003","type":"WatchEvent","actor":{"id":5,"login":"ev\xff\xfe"},"repo":{"id":6,'
    b'"name":"acme/widget"},"payload":{},"public":true,"created_at":"2024-02-01T00:12:00Z"}'
)
PARSED = {H0: "parsed"}
PENDING = {H0: "pending"}
GOOD = matching(generated())

CASES = [
    # Finding 1: one bad event no longer fails its hour; it is quarantined with file, line and reason.
    Case(
        "an event without created_at",
        0,
        ("quarantined event", "2024-02-01-0.json.gz line 61", "invalid input syntax for type timestamp"),
        hour_file(with_extra(acme_event(created_at=...))),
        hours=PARSED,
        events=GOOD,
        quarantined=1,
    ),
    Case(
        "an event with an empty created_at",
        0,
        ("quarantined event", "line 61", "invalid input syntax for type timestamp"),
        hour_file(with_extra(acme_event(created_at=""))),
        hours=PARSED,
        events=GOOD,
        quarantined=1,
    ),
    Case(
        "a number too large for its column",
        0,
        ("quarantined event", "line 61", "out of range for type integer", "column size"),
        hour_file(with_extra(acme_event(type="PushEvent", payload={"size": 2**40}))),
        hours=PARSED,
        events=GOOD,
        quarantined=1,
    ),
    Case(
        "an event the normalizer cannot read",
        0,
        ("quarantined event", "line 61", "cannot be normalized"),
        hour_file(with_extra(BROKEN_ISSUE)),
        hours=PARSED,
        events=GOOD,
        quarantined=1,
    ),
    # Finding 2: a file without a decodable event is a failed download: pending, retried, refetched.
    Case(
        "an empty local file",
        3,
        ("failed hour", "no decodable event in 0 line(s)"),
        hour_file(list),
        hours=PENDING,
    ),
    Case(
        "a gzip of garbage",
        3,
        ("no decodable event in 3 line(s)",),
        hour_file(lambda: [b"garbage", b"\x00\x01", b"<html>"]),
        hours=PENDING,
    ),
    Case(
        "an empty hour accepted explicitly",
        0,
        ("hour accepted as empty", "no decodable event"),
        hour_file(list),
        lambda env: env.ingest("--accept-empty"),
        hours={H0: "accepted"},
    ),
    Case("HTTP 200, empty body", 3, ("no decodable event",), served((200, b"")), remote, PENDING, requests=2),
    Case(
        "HTTP 200, a garbage gzip, then the hour",
        0,
        (),
        served((200, gzip.compress(b"junk\n")), (200, good_body())),
        remote,
        PARSED,
        GOOD,
        requests=2,
    ),
    # Smaller findings: a 429's Retry-After, an event without repo.
    Case(
        "HTTP 429 with Retry-After, then the hour",
        0,
        (),
        served((429, b"slow down", {"Retry-After": "2"}), (200, good_body())),
        remote,
        PARSED,
        GOOD,
        requests=2,
        at_least=2.0,
    ),
    Case(
        "an event without repo",
        0,
        ("line 61: skipped, not a valid event (it names no repository)",),
        hour_file(with_extra(acme_event(repo=...))),
        hours=PARSED,
        events=GOOD,
    ),
    # Finding 5, the sync tool's own part.
    Case(
        "generate --repos 'not a repo'",
        2,
        ("--repos 'not a repo': expected OWNER/NAME",),
        args=lambda env: [
            "generate",
            "--out",
            str(env.tmp),
            "--from",
            "2024-01-01",
            "--to",
            "2024-01-02",
            "--repos",
            "not a repo",
        ],
    ),
    # What behaved already, and stays so.
    Case(
        "an invalid JSON line",
        0,
        ("line 61: skipped, not a valid event",),
        hour_file(with_extra(b'{"id":"1","repo":{"id":6,"name":"acme/w"},"pay')),
        hours=PARSED,
        events=GOOD,
    ),
    Case(
        "non-UTF-8 bytes",
        0,
        ("line 61: skipped, not a valid event",),
        hour_file(with_extra(NON_UTF8)),
        hours=PARSED,
        events=GOOD,
    ),
    Case("lone surrogates", 0, (), hour_file(with_extra(SURROGATES)), hours=PARSED, events=GOOD + 1),
    Case("a 10 MB string", 0, (), hour_file(with_extra(TEN_MB)), hours=PARSED, events=GOOD + 1),
    Case(
        "duplicate ids",
        0,
        ("(1 under collision-safe ids)",),
        hour_file(with_extra(acme_event(), acme_event(), acme_event(type="WatchEvent", payload={}))),
        hours=PARSED,
        events=GOOD + 2,
    ),
    Case(
        "an event type without a mapping",
        0,
        ("SponsorshipEvent x1",),
        hour_file(with_extra(acme_event(type="SponsorshipEvent", payload={}))),
        hours=PARSED,
        events=GOOD + 1,
    ),
    Case("a truncated gzip", 3, ("not a complete gzip file",), hour_file(generated, cut=True), hours=PENDING),
    Case("a missing local hour", 0, ("missing hour (retried next run)",), hours=PENDING),
    Case(
        "HTTP 500", 3, ("HTTP 500", "after 5 attempt(s)"), served((500, b"down")), remote, PENDING, requests=5
    ),
    Case(
        "HTTP 503 twice, then the hour",
        0,
        (),
        served((503, b"busy"), (503, b"busy"), (200, good_body())),
        remote,
        PARSED,
        GOOD,
        requests=3,
    ),
    Case("HTTP 404", 0, ("missing hour", "not found"), served((404, b"no")), remote, PENDING, requests=1),
    Case(
        "HTTP 403", 3, ("HTTP 403", "after 1 attempt(s)"), served((403, b"no")), remote, PENDING, requests=1
    ),
    Case(
        "HTTP 200, an HTML page",
        3,
        ("not a complete gzip file",),
        served((200, b"<html>busy</html>")),
        remote,
        PENDING,
        requests=2,
    ),
    Case(
        "HTTP 200, a body shorter than announced, then the hour",
        0,
        (),
        served((200, good_body()[:500], {"Content-Length": str(len(good_body()))}), (200, good_body())),
        remote,
        PARSED,
        GOOD,
        requests=2,
    ),
    Case(
        "HTTP 200, always a body shorter than announced",
        3,
        ("cannot download", "short download: 3 of 999 bytes", "after 5 attempt(s)"),
        served((200, b"abc", {"Content-Length": "999"})),
        remote,
        PENDING,
        requests=5,
    ),
    Case(
        "a missing projects file",
        2,
        ("projects.yaml: cannot read the projects file: No such file",),
        inputs=lambda env: env.projects_file.unlink(),
    ),
    Case(
        "a projects file that is not YAML",
        2,
        ("is not valid YAML",),
        inputs=lambda env: env.projects_file.write_text("projects: [a: b: c"),
    ),
    Case("an unknown field", 2, ("project 'acme' (#1): unknown field(s) colour",), projects(colour="red")),
    # Finding 5: what preflight refuses, the sync tool refuses before it connects.
    Case("an empty regexp", 2, ("field 'regexp': is empty",), projects(orgs=[], regexp="")),
    Case("the maintenance database", 2, ("field 'db': 'postgres' is reserved",), projects(db="postgres")),
    Case(
        "a start date in the future",
        2,
        ("field 'start_date': '2999-01-01' is in the future",),
        projects(start_date="2999-01-01"),
    ),
    Case(
        "projects that are not a list of mappings",
        2,
        ("expected a mapping of project fields, got 'a'",),
        inputs=lambda env: env.projects_file.write_text("projects: {name: a}"),
    ),
    Case(
        "a date that is not one",
        2,
        ("--from: '2024-13-01' is not a date",),
        args=lambda env: [*env.ingest()[:5], "--from", "2024-13-01"],
    ),
    Case(
        "ingest into a database that does not exist",
        2,
        ('database "nowhere_db" does not exist', "--create-db"),
        projects(db="nowhere_db"),
    ),
    Case(
        "a metrics directory without metrics.yaml",
        2,
        ("--metrics-dir: no metrics.yaml in",),
        projects(start_date=f"{H0:%Y-%m-%d}"),
        lambda env: [
            *env.project_command("provision", env.dsn),
            "--to",
            f"{H1:%Y-%m-%dT%H}",
            "--metrics-dir",
            str(env.tmp),
        ],
    ),
    Case(
        "sync of a database that does not exist",
        4,
        ("project acme is not provisioned yet (no database nowhere_db)",),
        projects(db="nowhere_db"),
        lambda env: env.project_command("sync", env.dsn_with()),
    ),
]

# Finding 4: a connection failure is one line and an exit code, from every command that connects.
DSN_PROBLEMS: dict[str, tuple[Callable[[Env], str], int, tuple[str, ...]]] = {
    "a closed port": (lambda env: env.dsn_with(port=str(closed_port())), 3, ("Connection refused",)),
    "a wrong password": (
        lambda env: env.dsn_with(user="devstats_pw", password=WRONG_PASSWORD),
        2,
        ("password authentication failed", "user devstats_pw"),
    ),
    "a malformed DSN": (
        lambda env: f"host=127.0.0.1 password={WRONG_PASSWORD} dbname",
        2,
        ("the PostgreSQL DSN (--dsn or DEVSTATS_DSN) is malformed",),
    ),
}


def _connection_case(command: str, problem: str) -> Case:
    make_dsn, code, words = DSN_PROBLEMS[problem]

    def args(env: Env) -> list[str]:
        dsn = make_dsn(env)
        return env.ingest(dsn=dsn) if command == "ingest" else env.project_command(command, dsn)

    connect_words = () if "malformed" in problem else ("cannot connect to PostgreSQL", "host 127.0.0.1")
    return Case(
        f"{command} with {problem}", code, (*words, *connect_words), args=args, never_said=(WRONG_PASSWORD,)
    )


CASES += [_connection_case(c, p) for p in DSN_PROBLEMS for c in ("ingest", "sync", "provision", "init")]


@pytest.fixture(scope="module")
def password_role(pg_server: EmbeddedPostgres) -> Iterator[None]:
    """A role that must give its password over TCP (the test server trusts everyone else)."""
    hba = pg_server.data_dir / "pg_hba.conf"
    original = hba.read_text()
    hba.write_text(f"host all devstats_pw 127.0.0.1/32 scram-sha-256\n{original}")
    conn = psycopg2.connect(pg_server.dsn())
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f"create role devstats_pw login password '{PASSWORD}'")
        cur.execute("select pg_reload_conf()")
    try:
        yield
    finally:
        hba.write_text(original)
        with conn.cursor() as cur:
            cur.execute("select pg_reload_conf()")
            cur.execute("drop role devstats_pw")
        conn.close()


@pytest.fixture
def env(
    tmp_path: Path, make_database: Callable[..., str], pg_server: EmbeddedPostgres, password_role: None
) -> Iterator[Env]:
    dsn = make_database()
    with gharchive_server() as server:
        environment = Env(tmp_path, dsn, parse_dsn(dsn)["dbname"], pg_server, server)
        projects()(environment)
        yield environment


@pytest.fixture(autouse=True)
def fast_backoff(monkeypatch: pytest.MonkeyPatch) -> None:
    """Downloads back off 10 ms instead of seconds (a Retry-After is still honoured in full)."""
    monkeypatch.setattr(ingest_command, "Archive", partial(archive.Archive, backoff=0.01))


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_bad_input(
    case: Case, env: Env, capsys: pytest.CaptureFixture[str], caplog: pytest.LogCaptureFixture
) -> None:
    case.inputs(env)
    args = case.args(env)
    began = time.monotonic()
    code = cli.main(args)
    took = time.monotonic() - began
    captured = capsys.readouterr()
    said = captured.out + captured.err + caplog.text
    assert code == case.exit_code, said
    for word in case.words:
        assert word in said, f"{word!r} not in:\n{said}"
    for word in case.never_said:
        assert word not in said
    assert took >= case.at_least
    if case.requests is not None:
        assert env.server.requests[hour_file_name(H0)] == case.requests
    # Nothing half-written, nothing doubled, each hour parsed or pending.
    assert hour_states(env.dsn) == case.hours
    assert events_by_hour(env.dsn) == ({H0: case.events} if case.events else {})
    assert len(quarantined(env.dsn)) == case.quarantined
    assert duplicated_rows(env.dsn) == {}
    assert set(failed_hour_attempts(env.dsn).values()) <= {1}
