"""Commits from git: what GH Archive no longer says about pushes, and the files each commit touched.

Since 2025-10 GH Archive's PushEvent carries only ``before`` and ``head``, no commit list. Like
DevStats' get_repos, each push whose ``before`` and ``head`` are both real SHAs is expanded with
``git rev-list before..head`` in a local clone; the commits are written to ``gha_commits`` with
origin 1 (git backfill), and every commit of a push (from either source) gets its lines added and
removed, files changed, and one ``gha_commits_files`` row per touched path. Pushes with a zero or
missing ``before`` are not guessed at (a new branch would otherwise claim the whole history).

Clones are bare, kept in a cache directory (the project volume in the cluster) and fetched on each
run. Work is incremental: a per-repository watermark in ``gha_vars`` (the newest push examined)
bounds the next run's query, and every write is ``ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath

import git
from psycopg2.extensions import connection, cursor
from psycopg2.extras import execute_values

from devstats_sync.filters import ProjectFilter
from devstats_sync.projects_config import Project

log = logging.getLogger(__name__)

ORIGIN_GIT = 1
DEFAULT_GIT_BASE = "https://github.com/"
# DevStats' default for vendored code, which would drown the project's own changes.
DEFAULT_FILES_SKIP_PATTERN = r"(^|/)_?(vendor|Godeps|_workspace)/"
WATERMARK_PREFIX = "git_backfill:"
_SHA_RE = re.compile(r"^[0-9a-f]{40}$")
_ZERO = "0" * 40


@dataclass
class GitResult:
    repos: int = 0
    fetched: int = 0
    failed_repos: list[str] = field(default_factory=list)
    pushes: int = 0
    unresolved_pushes: int = 0
    commits_added: int = 0
    commits_enriched: int = 0
    files: int = 0

    def describe(self) -> str:
        failed = f", {len(self.failed_repos)} could not be fetched" if self.failed_repos else ""
        return (
            f"git: {self.repos} repositories ({self.fetched} fetched{failed}); "
            f"{self.pushes} pushes examined, "
            f"{self.unresolved_pushes} not in the clones; {self.commits_added} commits added, "
            f"{self.commits_enriched} enriched, {self.files} file rows"
        )


@dataclass(frozen=True)
class Push:
    event_id: int
    actor_id: int
    actor_login: str
    repo_id: int
    repo_name: str
    created_at: datetime
    before: str
    head: str


@dataclass(frozen=True)
class CommitFacts:
    sha: str
    author_name: str
    author_email: str
    committer_name: str
    committer_email: str
    message: str
    loc_added: int
    loc_removed: int
    files: tuple[tuple[str, int], ...]  # (path, size in bytes at this commit; -1 when deleted)


def is_real_sha(value: str | None) -> bool:
    return bool(value) and value != _ZERO and bool(_SHA_RE.match(value or ""))


def extension(path: str) -> str:
    suffix = PurePosixPath(path).suffix
    return suffix[1:].lower() if suffix else ""


def project_repos(conn: connection, project: Project) -> list[str]:
    """The project's repositories: those named in its config plus those its events have shown."""
    matcher = ProjectFilter(project)
    with conn, conn.cursor() as cur:
        cur.execute("select distinct name from gha_repos")
        seen = {row[0] for row in cur.fetchall()}
    names = {name for name in seen | set(project.repos) if matcher.matches(name)}
    return sorted(names)


class GitBackfill:
    def __init__(
        self,
        conn: connection,
        project: Project,
        cache_dir: Path,
        git_base: str = DEFAULT_GIT_BASE,
        fetch: bool = True,
    ) -> None:
        self.conn = conn
        self.project = project
        self.cache_dir = cache_dir
        self.git_base = git_base if git_base.endswith("/") else git_base + "/"
        self.fetch = fetch
        pattern = project.files_skip_pattern
        if pattern is None:
            pattern = DEFAULT_FILES_SKIP_PATTERN
        # The projects file checked the pattern; an empty one skips nothing, as in DevStats.
        self.skip = re.compile(pattern or r"(?!)")

    def clone_path(self, repo_name: str) -> Path:
        owner, name = repo_name.split("/", 1)
        return self.cache_dir / owner / f"{name}.git"

    def open_repo(self, repo_name: str) -> git.Repo:
        """A bare clone of the repository, cloned on first use and fetched afterwards."""
        path = self.clone_path(repo_name)
        url = self.git_base + repo_name
        if (path / "HEAD").exists():
            repo = git.Repo(path)
            if self.fetch:
                repo.git.fetch(url, "+refs/heads/*:refs/heads/*", "+refs/tags/*:refs/tags/*", "--prune")
            return repo
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".partial")
        if tmp.exists():
            git.rmtree(tmp)
        # Cloned under a temporary name so an interrupted clone is never taken for a complete one.
        git.Repo.clone_from(url, tmp, bare=True)
        tmp.rename(path)
        return git.Repo(path)

    def run(self) -> GitResult:
        result = GitResult()
        for repo_name in project_repos(self.conn, self.project):
            result.repos += 1
            try:
                repo = self.open_repo(repo_name)
            except (git.GitCommandError, OSError) as error:
                result.failed_repos.append(repo_name)
                # The error text names the URL only; git never sees credentials here.
                log.warning(
                    "git: cannot clone or fetch %s: %s", repo_name, str(error).strip().splitlines()[-1:]
                )
                continue
            result.fetched += 1
            self._backfill_repo(repo, repo_name, result)
        return result

    def _pushes(self, cur: cursor, repo_name: str, since: datetime | None) -> list[Push]:
        cur.execute(
            """
            select e.id, e.actor_id, e.dup_actor_login, e.repo_id, e.dup_repo_name, e.created_at,
                   coalesce(p.befor, ''), coalesce(p.head, '')
            from gha_events e join gha_payloads p on p.event_id = e.id
            where e.type = 'PushEvent' and e.dup_repo_name = %s
              and (%s::timestamp is null or e.created_at >= %s)
            order by e.created_at, e.id
            """,
            (repo_name, since, since),
        )
        return [Push(*row) for row in cur.fetchall()]

    def _backfill_repo(self, repo: git.Repo, repo_name: str, result: GitResult) -> None:
        watermark_name = WATERMARK_PREFIX + repo_name
        with self.conn, self.conn.cursor() as cur:
            cur.execute("select value_dt from gha_vars where name = %s", (watermark_name,))
            row = cur.fetchone()
            since = row[0] if row else None
            pushes = self._pushes(cur, repo_name, since)
        if not pushes:
            return
        facts_cache: dict[str, CommitFacts] = {}
        for push in pushes:
            result.pushes += 1
            if not (is_real_sha(push.before) and is_real_sha(push.head)) or push.before == push.head:
                continue
            try:
                shas = repo.git.rev_list("--reverse", f"{push.before}..{push.head}").split()
            except git.GitCommandError:
                result.unresolved_pushes += 1
                continue
            for sha in shas:
                if sha not in facts_cache:
                    facts_cache[sha] = self._facts(repo, sha)
            with self.conn, self.conn.cursor() as cur:
                self._write_push(cur, push, [facts_cache[s] for s in shas], result)
        with self.conn, self.conn.cursor() as cur:
            cur.execute(
                "insert into gha_vars(name, value_dt) values (%s, %s) "
                "on conflict (name) do update set value_dt = excluded.value_dt",
                (watermark_name, pushes[-1].created_at),
            )

    def _facts(self, repo: git.Repo, sha: str) -> CommitFacts:
        commit = repo.commit(sha)
        added = removed = 0
        files: list[tuple[str, int]] = []
        for path, stats in commit.stats.files.items():
            path_text = str(path)
            if " => " in path_text:
                continue  # a rename's numstat pair; the new path is listed under its own name too
            if self.skip.search(path_text):
                continue
            added += int(stats["insertions"])
            removed += int(stats["deletions"])
            try:
                size = int((commit.tree / path_text).size)
            except KeyError:
                size = -1
            files.append((path_text, size))
        return CommitFacts(
            sha=sha,
            author_name=str(commit.author.name or ""),
            author_email=str(commit.author.email or ""),
            committer_name=str(commit.committer.name or ""),
            committer_email=str(commit.committer.email or ""),
            message=str(commit.message).replace("\x00", ""),
            loc_added=added,
            loc_removed=removed,
            files=tuple(sorted(files)),
        )

    def _write_push(self, cur: cursor, push: Push, commits: list[CommitFacts], result: GitResult) -> None:
        emails = sorted(
            {c.author_email.lower() for c in commits} | {c.committer_email.lower() for c in commits}
        )
        cur.execute(
            "select distinct on (lower(e.email)) lower(e.email), a.id, a.login from gha_actors_emails e "
            "join gha_actors a on a.id = e.actor_id where lower(e.email) = any(%s) "
            "order by lower(e.email), a.id desc",
            (emails,),
        )
        by_email = {row[0]: (row[1], row[2]) for row in cur.fetchall()}
        for c in commits:
            author = by_email.get(c.author_email.lower(), (None, ""))
            committer = by_email.get(c.committer_email.lower(), (None, ""))
            cur.execute(
                """
                insert into gha_commits (sha, event_id, author_name, message, is_distinct, dup_actor_id,
                  dup_actor_login, dup_repo_id, dup_repo_name, dup_type, dup_created_at, encrypted_email,
                  author_email, committer_name, committer_email, author_id, committer_id, dup_author_login,
                  dup_committer_login, loc_added, loc_removed, files_changed, origin)
                select %(sha)s, %(event)s, %(an)s, %(msg)s,
                  not exists (select 1 from gha_commits where sha = %(sha)s),
                  %(actor)s, %(login)s, %(repo_id)s, %(repo)s, 'PushEvent', %(at)s, '',
                  %(ae)s, %(cn)s, %(ce)s,
                  %(aid)s, %(cid)s, %(alogin)s, %(clogin)s, %(added)s, %(removed)s, %(files)s, %(origin)s
                on conflict (sha, event_id) do nothing
                """,
                {
                    "sha": c.sha,
                    "event": push.event_id,
                    "an": c.author_name[:160],
                    "msg": c.message,
                    "actor": push.actor_id,
                    "login": push.actor_login,
                    "repo_id": push.repo_id,
                    "repo": push.repo_name,
                    "at": push.created_at,
                    "ae": c.author_email[:160],
                    "cn": c.committer_name[:160],
                    "ce": c.committer_email[:160],
                    "aid": author[0],
                    "cid": committer[0],
                    "alogin": author[1][:120],
                    "clogin": committer[1][:120],
                    "added": c.loc_added,
                    "removed": c.loc_removed,
                    "files": len(c.files),
                    "origin": ORIGIN_GIT,
                },
            )
            if cur.rowcount:
                result.commits_added += 1
                continue
            # The commit came with the push from GH Archive: add what only git knows.
            cur.execute(
                "update gha_commits set loc_added = %s, loc_removed = %s, files_changed = %s, "
                "committer_name = case when committer_name = '' then %s else committer_name end, "
                "committer_email = case when committer_email = '' then %s else committer_email end "
                "where sha = %s and event_id = %s and loc_added is null",
                (
                    c.loc_added,
                    c.loc_removed,
                    len(c.files),
                    c.committer_name[:160],
                    c.committer_email[:160],
                    c.sha,
                    push.event_id,
                ),
            )
            result.commits_enriched += cur.rowcount
        file_rows = [
            (c.sha, path, size, push.created_at, extension(path)) for c in commits for path, size in c.files
        ]
        if file_rows:
            execute_values(
                cur,
                "insert into gha_commits_files (sha, path, size, dt, ext) values %s on conflict do nothing",
                file_rows,
            )
            result.files += cur.rowcount
            execute_values(
                cur,
                "insert into gha_events_commits_files (sha, event_id, path, size, dt, repo_group, "
                "dup_repo_id, dup_repo_name, dup_type, dup_created_at, ext) "
                "select v.sha, v.event_id, v.path, v.size, v.dt, "
                "r.repo_group, v.repo_id, v.repo_name, 'PushEvent', v.dt, v.ext "
                "from (values %s) as v(sha, event_id, path, size, dt, repo_id, repo_name, ext) "
                "left join gha_repos r on r.id = v.repo_id and r.name = v.repo_name on conflict do nothing",
                [
                    (sha, push.event_id, path, size, dt, push.repo_id, push.repo_name, ext)
                    for sha, path, size, dt, ext in file_rows
                ],
            )
