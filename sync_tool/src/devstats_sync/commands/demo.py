"""``devstats-sync demo``: the whole pipeline on a throwaway local PostgreSQL, with generated hours.

Nothing third-party is shipped or fetched: the hours come from the deterministic generator, shaped
like real GH Archive hours, with a share of events in the project's repositories. As in a
cluster, ``ingest`` loads the hours and ``provision`` and ``sync`` never scan: provision runs after
the history (every hour but the last), sync after the last hour. The run prints what a new user
wants to know. With ``--state-dir`` the result is remembered: the same inputs again load nothing
and report so (what makes the local playbook idempotent).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import logging
import os
import tempfile
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import psycopg2

from devstats_sync import __version__
from devstats_sync.archive import Archive
from devstats_sync.embedded_postgres import EmbeddedPostgres
from devstats_sync.filters import ProjectFilter
from devstats_sync.ingest import ingest
from devstats_sync.pipeline import PipelineConfig, provision, sync
from devstats_sync.projects_config import ConfigError, Project, parse_hour, project_dsn
from devstats_sync.run_options import add_projects_file, projects_from
from devstats_sync.sample_data import GeneratorConfig, write_hours

NAME = "demo"
HELP = "run provision + sync for one project on a throwaway local PostgreSQL with generated hours"
SUMMARY_FILE = "summary.json"
ANSWERS_FILE = "queries.json"
log = logging.getLogger(__name__)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_projects_file(parser)
    parser.add_argument("--project", default=None, help="project to run (default: the first one)")
    parser.add_argument("--from", dest="start", default="2024-03-04T00", help="first generated hour (UTC)")
    parser.add_argument("--hours", type=int, default=6, help="hours to generate (default: 6)")
    parser.add_argument("--events", type=int, default=400, help="events per generated hour (default: 400)")
    parser.add_argument("--seed", type=int, default=1, help="generator seed (default: 1)")
    parser.add_argument(
        "--state-dir",
        type=Path,
        default=None,
        help="keep the generated hours and the summary here; the same inputs then load nothing",
    )
    parser.add_argument("--json", action="store_true", help="print the summary as JSON")
    parser.add_argument(
        "--queries",
        type=Path,
        default=None,
        help="a JSON list of {id, sql}: read-only queries run on the project's database after the sync; "
        "their columns and rows go to queries.json in the state directory (e.g. a dashboard preview's)",
    )


def focus_repos(project: Project) -> tuple[str, ...]:
    """Repositories the generator gives events to: ones the project's filter takes."""
    candidates = [
        *project.repos,
        *([project.main_repo] if project.main_repo else []),
        *(f"{org}/{org}" for org in project.orgs),
        *(f"{org}/community" for org in project.orgs),
    ]
    matcher = ProjectFilter(project)
    chosen = tuple(dict.fromkeys(r for r in candidates if matcher.matches(r)))
    if not chosen:
        raise ConfigError(
            f"project {project.name}: no repository to generate events for (a regexp-only project?)"
        )
    return chosen


def _fingerprint(args: argparse.Namespace, project: Project) -> str:
    queries = args.queries.read_text() if args.queries else ""
    text = repr(
        (__version__, dataclasses.astuple(project), args.start, args.hours, args.events, args.seed, queries)
    )
    return hashlib.sha256(text.encode()).hexdigest()


def _figures(dsn: str) -> dict[str, Any]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("select count(*), count(distinct actor_id), count(distinct repo_id) from gha_events")
            events, contributors, repos = cur.fetchone()
            cur.execute("select max(dt), count(*) from gha_parsed")
            last, hours = cur.fetchone()
            cur.execute(
                "select count(*) from pg_tables where schemaname = 'public' and tablename ~ '^s[a-z0-9_]+$'"
            )
            series = cur.fetchone()[0]
    finally:
        conn.close()
    return {
        "events": events,
        "contributors": contributors,
        "repositories": repos,
        "hours": hours,
        "last_hour": f"{last:%Y-%m-%d %H}:00" if last else None,
        "series_tables": series,
    }


def _answers(dsn: str, queries: list[dict[str, str]]) -> dict[str, Any]:
    """Each query's columns and rows (as JSON values), or its error, in a read-only session."""
    answers: dict[str, Any] = {}
    conn = psycopg2.connect(dsn)
    conn.set_session(readonly=True, autocommit=True)
    try:
        for query in queries:
            with conn.cursor() as cur:
                try:
                    cur.execute(query["sql"])
                except psycopg2.Error as error:
                    answers[query["id"]] = {"error": str(error).strip()}
                    continue
                rows = [
                    [v if isinstance(v, (int, float, str)) or v is None else str(v) for v in row]
                    for row in cur
                ]
                answers[query["id"]] = {"columns": [c.name for c in cur.description], "rows": rows}
    finally:
        conn.close()
    return answers


def _run(
    project: Project,
    archive_dir: Path,
    args: argparse.Namespace,
    start: datetime,
    end: datetime,
    *,
    answers_file: Path,
) -> dict[str, Any]:
    with EmbeddedPostgres() as server, tempfile.TemporaryDirectory(prefix="devstats-demo-") as scratch:
        base = server.dsn()
        archive = Archive(str(archive_dir), cache_dir=Path(scratch))
        last = end - timedelta(hours=1)
        # As in a cluster: the foundation's ingest loads the hours, provision and sync never scan.
        config = PipelineConfig(
            dsn=base,
            archive=archive,
            git_cache_dir=Path(scratch),
            skip_git=True,
            end=last,
            now=last,
            progress=False,
            ingest=False,
            wait_seconds=0,
        )
        history = ingest([project], base, start, last, archive, create_db=True, progress=False)
        provisioned = provision(config, project)
        hour = ingest([project], base, last, end, archive, progress=False)
        config.end, config.now = end, end
        synced = sync(config, project)
        figures = _figures(project_dsn(base, project.db))
        if args.queries:
            answers = _answers(project_dsn(base, project.db), json.loads(args.queries.read_text()))
            _write_whole(answers_file, json.dumps(answers, indent=1) + "\n")
    loaded = [history.projects[project.name], hour.projects[project.name]]
    figures.update(
        hours_loaded=sum(totals.hours for totals in loaded),
        seconds=round(history.seconds + provisioned.seconds + hour.seconds + synced.seconds, 1),
        log=[*history.lines_of_text(), *provisioned.lines, *hour.lines_of_text(), *synced.lines],
    )
    return figures


def _write_whole(path: Path, text: str) -> None:
    """Renamed into place whole: a run killed while writing leaves the previous file or none."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    partial.write_text(text)
    partial.replace(path)


def _previous_summary(path: Path) -> dict[str, Any] | None:
    """The summary of the last run in the state directory; an unreadable one means run again."""
    try:
        previous = json.loads(path.read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as error:
        log.warning("%s cannot be read (%s); running again", path, error)
        return None
    return previous if isinstance(previous, dict) else None


def run(args: argparse.Namespace) -> int:
    projects = projects_from(args)
    project = next((p for p in projects if p.name == args.project), None) if args.project else projects[0]
    if project is None:
        raise ConfigError(f"--project {args.project}: not in the projects file")
    if args.hours < 2:
        raise ConfigError("--hours: at least 2 (one to provision, one to sync)")
    start = max(parse_hour(args.start, "--from"), project.start_date)
    end = start + timedelta(hours=args.hours)
    # The demo's history is the generated hours: nothing before them is looked for.
    project = dataclasses.replace(project, start_date=start)
    state_dir = args.state_dir or Path(tempfile.mkdtemp(prefix="devstats-demo-state-"))
    summary_path = state_dir / SUMMARY_FILE
    fingerprint = _fingerprint(args, project)
    previous = _previous_summary(summary_path)
    if previous and previous.get("fingerprint") == fingerprint:
        summary = {**previous, "hours_loaded": 0, "up_to_date": True}
    else:
        archive_dir = state_dir / "archive"
        config = GeneratorConfig(
            seed=args.seed, events_per_hour=args.events, focus_repos=focus_repos(project), focus_share=0.3
        )
        write_hours(archive_dir, start, end, config)
        state_dir.mkdir(parents=True, exist_ok=True)
        summary = {
            "project": project.name,
            "fingerprint": fingerprint,
            "up_to_date": False,
            **_run(project, archive_dir, args, start, end, answers_file=state_dir / ANSWERS_FILE),
        }
        _write_whole(summary_path, json.dumps({**summary, "up_to_date": True}, indent=2) + "\n")
    if args.json:
        print(json.dumps(summary))
        return 0
    print(f"DevStats demo for project {summary['project']} (embedded PostgreSQL, generated hours)")
    if summary["up_to_date"]:
        print(f"  up to date: these inputs already ran (state in {state_dir}); no new hours loaded")
    print(
        f"  events: {summary['events']} in {summary['repositories']} repositories, "
        f"{summary['contributors']} contributors"
    )
    print(f"  freshness: {summary['hours']} hours loaded, the last one {summary['last_hour']}")
    print(f"  time series tables: {summary['series_tables']}")
    print(
        "  next: 'make site INVENTORY=inventories/baremetal_example' for a real cluster; build/manifests/ "
        "holds the rendered Kubernetes objects; 'devstats-sync status --help' shows how freshness is watched"
    )
    return 0
