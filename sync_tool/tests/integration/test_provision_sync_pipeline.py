"""provision + syncs over generated hours, checked against figures computed here from the hour files."""

from __future__ import annotations

import gzip
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import git
import psycopg2
import pytest
from devstats_sync import cli
from devstats_sync.archive import Archive, hour_file_name
from devstats_sync.embedded_postgres import EmbeddedPostgres
from devstats_sync.pipeline import PROVISIONED_METRIC, PipelineConfig, provision, sync
from devstats_sync.projects_config import load_projects
from devstats_sync.sample_data import GeneratorConfig, write_hours

from tests.support.github_api_server import github_api_server, quota, rate_limit_body

H0 = datetime(2024, 3, 4, 0)
HOUR = timedelta(hours=1)
REPOS = ("kubernetes/kubernetes", "kubernetes/test-infra")
METRICS_YAML = """
metrics:
  - name: Events
    series_name_or_func: events_h
    sql: events
    periods: h
"""
EVENTS_SQL = (
    "select count(*) as value from gha_events where created_at >= '{{from}}' and created_at < '{{to}}'\n"
)


def generated(archive: Path, hours: int) -> list[dict[str, Any]]:
    events = []
    for i in range(hours):
        with gzip.open(archive / hour_file_name(H0 + i * HOUR), "rt") as handle:
            events.extend(json.loads(line) for line in handle)
    return [e for e in events if e["repo"]["name"].split("/")[0] == "kubernetes"]


def hour_of(event: dict[str, Any]) -> datetime:
    return datetime.strptime(event["created_at"], "%Y-%m-%dT%H:%M:%SZ").replace(minute=0, second=0)


def expected_links(events: list[dict[str, Any]]) -> set[tuple[int, int]]:
    issues, prs = set(), set()
    for e in events:
        payload, repo = e["payload"], e["repo"]["name"]
        issue = payload.get("issue")
        if isinstance(issue, dict) and issue.get("pull_request"):
            issues.add((repo, issue["number"], issue["id"]))
        pr = payload.get("pull_request")
        if isinstance(pr, dict) and pr.get("id"):
            prs.add((repo, pr["number"], pr["id"]))
    return {(i[2], p[2]) for i in issues for p in prs if i[:2] == p[:2]}


@pytest.fixture
def setup(pg_server: EmbeddedPostgres, tmp_path: Path) -> dict[str, Any]:
    archive = tmp_path / "archive"
    write_hours(
        archive,
        H0,
        H0 + 6 * HOUR,
        GeneratorConfig(seed=7, events_per_hour=300, focus_repos=REPOS, focus_share=0.3),
    )
    remote = tmp_path / "remote"
    for name in REPOS:
        repo = git.Repo.init(remote / name, initial_branch="main")
        (remote / name / "README.md").write_text(f"# {name}\n")
        repo.index.add(["README.md"])
        repo.index.commit("Initial commit")
    projects_file = tmp_path / "projects.yaml"
    projects_file.write_text(
        "projects:\n  - name: kubernetes\n    db: pipeline_k8s\n    orgs: [kubernetes]\n"
        f"    start_date: '{H0:%Y-%m-%d}'\n    main_repo: kubernetes/kubernetes\n"
    )
    metrics = tmp_path / "metrics" / "shared"
    metrics.mkdir(parents=True)
    (metrics / "metrics.yaml").write_text(METRICS_YAML)
    (metrics / "events.sql").write_text(EVENTS_SQL)
    yield {
        "archive": archive,
        "remote": remote,
        "projects_file": projects_file,
        "metrics": tmp_path / "metrics",
        "tmp": tmp_path,
        "dsn": pg_server.dsn(),
    }
    conn = psycopg2.connect(pg_server.dsn())
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute("drop database if exists pipeline_k8s with (force)")
    conn.close()


def config_for(setup: dict[str, Any], end: datetime, archive: Archive | None = None) -> PipelineConfig:
    return PipelineConfig(
        dsn=setup["dsn"],
        archive=archive or Archive(str(setup["archive"]), cache_dir=setup["tmp"] / "cache"),
        git_cache_dir=setup["tmp"] / "git-cache",
        git_base=str(setup["remote"]),
        metrics_dir=setup["metrics"],
        end=end,
        now=end,
        progress=False,
    )


def query(setup: dict[str, Any], sql: str) -> list[tuple[Any, ...]]:
    conn = psycopg2.connect(setup["dsn"].replace("dbname=postgres", "dbname=pipeline_k8s"))
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
            return cur.fetchall()
    finally:
        conn.close()


def test_provision_then_two_syncs(setup: dict[str, Any]) -> None:
    project = load_projects(setup["projects_file"])[0]
    events = generated(setup["archive"], 6)
    per_hour = Counter(hour_of(e) for e in events)

    report = provision(config_for(setup, H0 + 3 * HOUR), project)
    assert report.hours_loaded == 3
    assert query(setup, "select count(*) from gha_events") == [
        (sum(per_hour[H0 + i * HOUR] for i in range(3)),)
    ]
    assert query(setup, "select max(dt), count(*) from gha_parsed") == [(H0 + 2 * HOUR, 3)]
    assert query(setup, "select name from gha_vars where name in ('provisioned', 'running')") == [
        ("provisioned",)
    ]
    assert query(setup, f"select count(*) from gha_computed where metric = '{PROVISIONED_METRIC}'") == [(1,)]

    first = sync(config_for(setup, H0 + 5 * HOUR), project)
    assert first.hours_loaded == 2
    assert any(line.startswith("git: 2 repositories (2 fetched)") for line in first.lines), first.lines
    assert "GitHub API: skipped, no token configured" in first.lines
    second = sync(config_for(setup, H0 + 6 * HOUR), project)
    assert second.hours_loaded == 1
    again = sync(config_for(setup, H0 + 6 * HOUR), project)
    assert again.hours_loaded == 0

    assert query(setup, "select max(dt), count(*) from gha_parsed") == [(H0 + 5 * HOUR, 6)]
    assert query(setup, "select count(*) from gha_events") == [(len(events),)]
    assert query(setup, "select count(*) from gha_vars where name = 'running'") == [(0,)]
    links = query(setup, "select issue_id, pull_request_id from gha_issues_pull_requests")
    assert set(links) == expected_links(events) and len(links) == len(expected_links(events))
    texts = query(setup, "select count(*) from gha_texts where event_id < 281474976710656")
    assert texts[0][0] > 0
    assert (Path(setup["tmp"]) / "git-cache" / "kubernetes" / "kubernetes.git" / "HEAD").exists()

    (table,) = query(setup, "select tablename from pg_tables where tablename = 'sevents_h'")[0]
    columns = [
        c
        for (c,) in query(
            setup, f"select column_name from information_schema.columns where table_name = '{table}'"
        )
        if c not in ("time", "period")
    ]
    rows = query(setup, f"select time, {columns[0]} from {table} where period = 'h' order by time")
    series = {time: int(value) for time, value in rows if value}
    assert series == dict(per_hour)


class GatedArchive(Archive):
    """A real local archive whose first fetch waits until the test opens the gate."""

    def __init__(self, base: str, cache_dir: Path, started: threading.Event, gate: threading.Event) -> None:
        super().__init__(base, cache_dir=cache_dir)
        self.started, self.gate = started, gate

    def fetch(self, hour: datetime) -> Path | None:
        self.started.set()
        assert self.gate.wait(60)
        return super().fetch(hour)


def test_second_concurrent_sync_exits_cleanly_naming_the_holder(
    setup: dict[str, Any], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    project = load_projects(setup["projects_file"])[0]
    provision(config_for(setup, H0 + 2 * HOUR), project)
    started, gate = threading.Event(), threading.Event()
    archive = GatedArchive(str(setup["archive"]), setup["tmp"] / "cache", started, gate)
    results: list[Any] = []
    first = threading.Thread(
        target=lambda: results.append(sync(config_for(setup, H0 + 4 * HOUR, archive), project))
    )
    first.start()
    try:
        assert started.wait(60)
        monkeypatch.setenv("DEVSTATS_DSN", setup["dsn"])
        code = cli.main(
            [
                "sync",
                "--projects-file",
                str(setup["projects_file"]),
                "--project",
                "kubernetes",
                "--archive-url",
                str(setup["archive"]),
                "--skip-git",
                "--cache-dir",
                str(setup["tmp"]),
                "--to",
                f"{H0 + 4 * HOUR:%Y-%m-%dT%H}",
                "--metrics-dir",
                str(setup["metrics"]),
            ]
        )
    finally:
        gate.set()
        first.join(120)
    err = capsys.readouterr().err
    assert code == 0
    assert "project kubernetes is busy: locked by devstats-sync sync kubernetes pid=" in err
    assert results and results[0].hours_loaded == 2
    assert query(setup, "select count(*) from gha_parsed") == [(4,)]


def test_sync_before_provision_says_so(
    setup: dict[str, Any],
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    make_database: Callable[..., str],
) -> None:
    make_database(name="pipeline_k8s")
    monkeypatch.setenv("DEVSTATS_DSN", setup["dsn"])
    code = cli.main(
        [
            "sync",
            "--config",
            str(setup["projects_file"]),
            "--project",
            "kubernetes",
            "--archive-url",
            str(setup["archive"]),
            "--skip-git",
            "--cache-dir",
            str(setup["tmp"]),
        ]
    )
    assert code == 4
    assert (
        "not provisioned yet: run 'devstats-sync provision --project kubernetes'" in capsys.readouterr().err
    )


def test_sync_with_tokens_runs_the_api_step_and_skips_a_bad_token(
    setup: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    project = load_projects(setup["projects_file"])[0]
    provision(config_for(setup, H0 + 2 * HOUR), project)

    def script(token: str, path: str, query: str) -> tuple[int, dict[str, str], Any]:
        if token == "ghp_rejected_token_value":
            return 401, {}, {"message": "Bad credentials"}
        if path == "/rate_limit":
            return 200, {}, rate_limit_body(4000)
        return 200, quota(3999), []

    with github_api_server(script) as api:
        config = config_for(setup, H0 + 3 * HOUR)
        config.skip_git = True
        config.tokens, config.api_base_url = ["ghp_rejected_token_value", "ghp_good"], api.url
        with caplog.at_level(logging.INFO):
            report = sync(config, project)
    assert report.problems == []
    api_line = next(line for line in report.lines if line.startswith("GitHub API:"))
    assert api_line.startswith("GitHub API: 2 repositories, 0 issues/PRs checked, 0 artificial events")
    assert {p for _, p in api.calls} >= {
        "/repos/kubernetes/kubernetes/issues",
        "/repos/kubernetes/test-infra/releases",
    }
    assert "GitHub token #1 of 2 was rejected" in caplog.text
    assert "ghp_rejected_token_value" not in caplog.text
