"""cncf/gitdm's affiliation files taken from a git repository: one shallow checkout, kept current.

The affiliations CronJob of a foundation names a repository URL and a ref (branch, tag or commit);
each run fetches only that ref's newest commit (depth 1) into the same directory and checks it out,
so an unchanged repository costs one small fetch and the import that follows is a no-op.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import git

from devstats_sync import exit_codes

DEFAULT_URL = "https://github.com/cncf/gitdm.git"
DEFAULT_REF = "master"
DEFAULT_USERS_PATH = "src/github_users.json"


class GitdmError(RuntimeError):
    """The files could not be had; ``exit_code`` says whether retrying may help."""

    def __init__(self, message: str, exit_code: int) -> None:
        super().__init__(message)
        self.exit_code = exit_code


@dataclass(frozen=True)
class GitdmFiles:
    users: Path
    companies: Path | None
    commit: str


def _last_line(error: git.GitCommandError) -> str:
    said = [line.strip() for line in str(error.stderr or "").splitlines() if line.strip()]
    return said[-1].removeprefix("stderr: ").strip("'") if said else f"git exited with {error.status}"


def checkout(url: str, ref: str, directory: Path) -> str:
    """The commit of ``ref`` at ``url``, checked out in ``directory`` (created or reused)."""
    directory.mkdir(parents=True, exist_ok=True)
    try:
        repo = git.Repo(directory) if (directory / ".git").is_dir() else git.Repo.init(directory)
        repo.git.fetch("--depth", "1", "--no-tags", url, ref)
        repo.git.checkout("--force", "--detach", "FETCH_HEAD")
    except git.GitCommandError as error:
        raise GitdmError(f"cannot fetch {ref!r} of {url}: {_last_line(error)}", exit_codes.FAILED) from None
    return repo.head.commit.hexsha


def gitdm_files(
    url: str, ref: str, directory: Path, users_path: str, companies_path: str | None
) -> GitdmFiles:
    """The users file (and companies file) of ``ref`` at ``url``; a missing one is a configuration error."""
    commit = checkout(url, ref, directory)

    def inside(relative: str) -> Path:
        path = directory / relative
        if not path.resolve().is_relative_to(directory.resolve()):
            raise GitdmError(f"{relative}: not a path inside the repository", exit_codes.CONFIG)
        if not path.is_file():
            raise GitdmError(
                f"{url} at {ref!r} (commit {commit[:12]}) has no file {relative}", exit_codes.CONFIG
            )
        return path

    return GitdmFiles(inside(users_path), inside(companies_path) if companies_path else None, commit)
