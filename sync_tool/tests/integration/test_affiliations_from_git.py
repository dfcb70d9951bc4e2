"""``affiliations --gitdm-url``: the gitdm files from a real git repository, into every project."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import git
import psycopg2
import pytest
from devstats_sync import cli
from psycopg2.extensions import parse_dsn

from tests.support.sync_inputs import write_projects_file

USERS = [
    {"login": "alice", "email": "alice!acme.com", "name": "Alice", "affiliation": "Acme"},
    {"login": "bob", "email": "bob!gizmo.io", "name": "Bob", "affiliation": "Gizmo Labs"},
]


def _commit(repo: git.Repo, files: dict[str, str], message: str) -> str:
    for relative, text in files.items():
        path = Path(repo.working_tree_dir) / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    repo.index.add(list(files))
    author = git.Actor("gitdm", "gitdm@example.com")
    return repo.index.commit(message, author=author, committer=author).hexsha


@pytest.fixture
def gitdm(tmp_path: Path) -> git.Repo:
    repo = git.Repo.init(tmp_path / "gitdm", initial_branch="master")
    _commit(
        repo, {"src/github_users.json": json.dumps(USERS[:1]), "companies.yaml": "acquisitions: []\n"}, "one"
    )
    repo.create_tag("v1")
    _commit(repo, {"src/github_users.json": json.dumps(USERS)}, "two")
    return repo


def _affiliated_logins(dsn: str) -> list[str]:
    conn = psycopg2.connect(dsn)
    try:
        with conn.cursor() as cur:
            cur.execute("select distinct a.login from gha_actors a join gha_actors_affiliations f "
                        "on f.actor_id = a.id order by 1")  # fmt: skip
            return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()


def test_every_project_gets_the_files_of_the_ref_and_an_unchanged_ref_is_a_noop(
    gitdm: git.Repo, make_database: Callable[..., str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    acme, bolt = make_database(), make_database()
    projects = write_projects_file(
        tmp_path / "projects.yaml",
        [{"name": n, "db": parse_dsn(d)["dbname"], "orgs": [n], "start_date": "2024-01-01 00"}
         for n, d in (("acme", acme), ("bolt", bolt))],
    )  # fmt: skip
    url = f"file://{gitdm.working_tree_dir}"
    run = ["affiliations", "--config", str(projects), "--dsn", acme, "--gitdm-url", url,
           "--gitdm-dir", str(tmp_path / "checkout"), "--gitdm-companies-path", "companies.yaml"]  # fmt: skip

    assert cli.main([*run, "--gitdm-ref", "v1"]) == 0
    said = capsys.readouterr().out
    assert f"at 'v1', commit {gitdm.tags['v1'].commit.hexsha[:12]}" in said
    assert said.count(": affiliations: 1 users") == 2
    assert _affiliated_logins(acme) == _affiliated_logins(bolt) == ["alice"]

    assert cli.main(run) == 0  # master, one commit further
    assert capsys.readouterr().out.count("affiliations: 2 users") == 2
    assert _affiliated_logins(acme) == _affiliated_logins(bolt) == ["alice", "bob"]

    assert cli.main(run) == 0
    assert capsys.readouterr().out.count("files already imported") == 2


def test_a_missing_file_or_repository_is_one_line(
    gitdm: git.Repo, db_dsn: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    projects = write_projects_file(
        tmp_path / "projects.yaml",
        [
            {
                "name": "acme",
                "db": parse_dsn(db_dsn)["dbname"],
                "orgs": ["acme"],
                "start_date": "2024-01-01 00",
            }
        ],
    )
    run = ["affiliations", "--config", str(projects), "--dsn", db_dsn, "--gitdm-dir", str(tmp_path / "co")]
    url = f"file://{gitdm.working_tree_dir}"

    assert cli.main([*run, "--gitdm-url", url, "--gitdm-users-path", "github_users.json"]) == 2
    err = capsys.readouterr().err
    assert f"{url} at 'master' (commit " in err and "has no file github_users.json" in err
    assert len(err.strip().splitlines()) == 1

    assert cli.main([*run, "--gitdm-url", url, "--gitdm-users-path", "../../etc/passwd"]) == 2
    assert "not a path inside the repository" in capsys.readouterr().err

    assert cli.main([*run, "--gitdm-url", f"file://{tmp_path}/nowhere"]) == 3
    err = capsys.readouterr().err
    assert f"cannot fetch 'master' of file://{tmp_path}/nowhere" in err and "the next run tries again" in err
    assert len(err.strip().splitlines()) == 1

    assert cli.main([*run, "--gitdm-url", url, "--gitdm-ref", "no-such-branch"]) == 3
    assert "cannot fetch 'no-such-branch'" in capsys.readouterr().err
