"""git backfill against repositories made here, with push events shaped like GH Archive's trimmed ones."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import git
import psycopg2
from devstats_sync.git_backfill import GitBackfill
from devstats_sync.projects_config import project_from_dict

PROJECT = project_from_dict(
    {"name": "demo", "orgs": ["acme"], "start_date": "2024-01-01", "files_skip_pattern": "(^|/)vendor/"},
    0,
    "test",
)


def commit(repo: git.Repo, files: dict[str, str | None], message: str, author: str) -> str:
    root = Path(repo.working_tree_dir or "")
    for path, content in files.items():
        target = root / path
        if content is None:
            repo.index.remove([path], working_tree=True)
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content)
        repo.index.add([path])
    actor = git.Actor(author.title(), f"{author}@acme.example")
    return repo.index.commit(message, author=actor, committer=git.Actor("Bot", "bot@acme.example")).hexsha


def push_event(cur: psycopg2.extensions.cursor, event_id: int, before: str, head: str, at: datetime) -> None:
    cur.execute(
        "insert into gha_events (id, type, actor_id, repo_id, public, created_at, dup_actor_login, "
        "dup_repo_name) "
        "values (%s, 'PushEvent', 11, 500, true, %s, 'alice', 'acme/widget')",
        (event_id, at),
    )
    cur.execute(
        "insert into gha_payloads (event_id, head, befor, ref, dup_actor_id, dup_actor_login, dup_repo_id, "
        "dup_repo_name, dup_type, dup_created_at) values (%s, %s, %s, 'refs/heads/main', 11, 'alice', 500, "
        "'acme/widget', 'PushEvent', %s)",
        (event_id, head, before, at),
    )


def test_backfill_commits_files_and_incremental_runs(db_dsn: str, tmp_path: Path) -> None:
    work = git.Repo.init(tmp_path / "remote" / "acme" / "widget", initial_branch="main")
    base = commit(work, {"README.md": "hello\n"}, "Initial", "alice")
    c1 = commit(
        work,
        {"main.go": "package main\n\nfunc main() {}\n", "vendor/lib/x.go": "package x\n"},
        "Add main",
        "alice",
    )
    c2 = commit(work, {"README.md": "hello\nworld\n", "docs/guide.MD": "# Guide\n"}, "Docs", "bob")
    conn = psycopg2.connect(db_dsn)
    with conn, conn.cursor() as cur:
        cur.execute(
            "insert into gha_repos (id, name, org_login, repo_group) "
            "values (500, 'acme/widget', 'acme', 'Core')"
        )
        cur.execute("insert into gha_actors (id, login) values (21, 'bob')")
        cur.execute("insert into gha_actors_emails (actor_id, email) values (21, 'bob@acme.example')")
        push_event(cur, 1, base, c2, datetime(2024, 1, 2, 3))
        push_event(cur, 2, "0" * 40, c1, datetime(2024, 1, 2, 4))  # new branch: not guessed at
    backfill = GitBackfill(conn, PROJECT, tmp_path / "cache", git_base=str(tmp_path / "remote"))
    first = backfill.run()
    assert (first.repos, first.fetched, first.pushes, first.commits_added) == (1, 1, 2, 2)
    with conn, conn.cursor() as cur:
        cur.execute(
            "select sha, event_id, author_name, author_email, committer_name, message, is_distinct, "
            "loc_added, loc_removed, files_changed, origin, author_id, dup_author_login, dup_type "
            "from gha_commits order by sha"
        )
        rows = {r[0]: r[1:] for r in cur.fetchall()}
        cur.execute("select sha, path, size, ext from gha_commits_files order by sha, path")
        files = cur.fetchall()
        cur.execute("select count(*), min(repo_group) from gha_events_commits_files")
        events_files = cur.fetchone()
    assert rows[c1] == (
        1,
        "Alice",
        "alice@acme.example",
        "Bot",
        "Add main",
        True,
        3,
        0,
        1,
        1,
        None,
        "",
        "PushEvent",
    )
    assert rows[c2] == (1, "Bob", "bob@acme.example", "Bot", "Docs", True, 2, 0, 2, 1, 21, "bob", "PushEvent")
    assert files == sorted(
        [(c1, "main.go", 29, "go"), (c2, "README.md", 12, "md"), (c2, "docs/guide.MD", 8, "md")]
    )
    assert events_files == (3, "Core")

    # A new push: only its commit is added; the earlier ones are not examined again.
    c3 = commit(work, {"main.go": None}, "Drop main", "bob")
    with conn, conn.cursor() as cur:
        push_event(cur, 3, c2, c3, datetime(2024, 1, 2, 5))
    second = backfill.run()
    assert (second.pushes, second.commits_added, second.files) == (
        2,
        1,
        1,
    )  # the watermark push and the new one
    with conn, conn.cursor() as cur:
        cur.execute("select loc_removed, files_changed from gha_commits where sha = %s", (c3,))
        assert cur.fetchone() == (3, 1)
        cur.execute("select size from gha_commits_files where sha = %s", (c3,))
        assert cur.fetchone() == (-1,)
        cur.execute("select count(*) from gha_commits")
        assert cur.fetchone() == (3,)
    conn.close()


def test_unreachable_repository_is_reported_not_fatal(db_dsn: str, tmp_path: Path) -> None:
    conn = psycopg2.connect(db_dsn)
    with conn, conn.cursor() as cur:
        cur.execute("insert into gha_repos (id, name, org_login) values (501, 'acme/gone', 'acme')")
    result = GitBackfill(conn, PROJECT, tmp_path / "cache", git_base=str(tmp_path / "nowhere")).run()
    conn.close()
    assert result.failed_repos == ["acme/gone"]
    assert "1 could not be fetched" in result.describe()
