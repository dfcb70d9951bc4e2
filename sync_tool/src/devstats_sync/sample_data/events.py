"""Deterministic, realistic GH Archive events, an hour at a time.

Events are shaped like real ones (the fixtures in shared/fixtures/gharchive): the same keys and
nesting, the URL-heavy user and repository objects that make up most of an event's bytes, today's
type mix (pushes and branch creations dominate by count, pull-request events by bytes) and sizes
(about 4 KB per event on average). The format follows the hour: the pre-2015 Timeline format before
2015-01-01, the Events API format after, and the trimmed payloads from 2025-10-07 on. Everything
derives from the seed and the hour, so the same arguments give the same bytes.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from devstats_sync.sample_data.pre2015 import to_pre2015

PRE2015_END = datetime(2015, 1, 1)
TRIMMED_FROM = datetime(2025, 10, 7)

# Today's mix by count, roughly as GH Archive hours show it.
TYPE_WEIGHTS: tuple[tuple[str, float], ...] = (
    ("PushEvent", 0.44),
    ("CreateEvent", 0.13),
    ("PullRequestEvent", 0.09),
    ("WatchEvent", 0.07),
    ("IssueCommentEvent", 0.06),
    ("DeleteEvent", 0.04),
    ("PullRequestReviewEvent", 0.04),
    ("PullRequestReviewCommentEvent", 0.03),
    ("IssuesEvent", 0.03),
    ("ForkEvent", 0.03),
    ("ReleaseEvent", 0.01),
    ("GollumEvent", 0.006),
    ("MemberEvent", 0.006),
    ("PublicEvent", 0.004),
    ("CommitCommentEvent", 0.004),
)

_WORDS = [
    "the",
    "a",
    "to",
    "of",
    "and",
    "in",
    "is",
    "for",
    "on",
    "this",
    "that",
    "with",
    "it",
    "be",
    "as",
    "fix",
    "add",
    "update",
    "remove",
    "test",
    "when",
    "should",
    "not",
    "we",
    "use",
    "from",
    "by",
    "are",
    "can",
    "if",
    "error",
    "support",
    "build",
    "change",
    "version",
    "docs",
    "release",
    "cluster",
    "node",
    "pod",
    "api",
    "config",
    "file",
    "run",
    "check",
    "value",
    "return",
    "new",
    "case",
    "issue",
    "bug",
    "feature",
    "tests",
    "lint",
    "refactor",
    "handle",
    "make",
    "default",
    "type",
    "image",
    "controller",
    "server",
    "client",
    "request",
    "response",
    "timeout",
    "retry",
    "cache",
    "merge",
    "branch",
]


@dataclass(frozen=True)
class GeneratorConfig:
    seed: int = 1
    events_per_hour: int = 2000
    # Repositories that receive a fixed share of the events (what a project's filter will match).
    focus_repos: tuple[str, ...] = ()
    focus_share: float = 0.01
    owners: int = 6000
    repos_per_owner: int = 4
    users: int = 20000


def _text(rng: random.Random, words: int) -> str:
    return " ".join(rng.choices(_WORDS, k=words)).capitalize()


def _sha(rng: random.Random) -> str:
    return f"{rng.getrandbits(160):040x}"


def _ts(at: datetime) -> str:
    return at.strftime("%Y-%m-%dT%H:%M:%SZ")


class HourBuilder:
    """The events of one hour, drawn from the seed and the hour."""

    def __init__(self, config: GeneratorConfig, hour: datetime) -> None:
        self.config = config
        self.hour = hour
        self.rng = random.Random(f"{config.seed}:{hour:%Y%m%d%H}")
        self.trimmed = hour >= TRIMMED_FROM
        hours_since = int((hour - datetime(2015, 1, 1)).total_seconds() // 3600)
        self.next_id = 2_500_000_000 + max(hours_since, 0) * 400_000
        self.types = [t for t, _ in TYPE_WEIGHTS]
        self.weights = [w for _, w in TYPE_WEIGHTS]

    def user(self, index: int | None = None, kind: str = "User") -> dict[str, Any]:
        index = self.rng.randrange(self.config.users) if index is None else index
        login = f"user{index}" if kind == "User" else f"org{index}"
        uid = 1000 + index * 7
        base = f"https://api.github.com/users/{login}"
        return {
            "login": login,
            "id": uid,
            "node_id": f"MDQ6VXNlcj{uid}",
            "avatar_url": f"https://avatars.githubusercontent.com/u/{uid}?v=4",
            "gravatar_id": "",
            "url": base,
            "html_url": f"https://github.com/{login}",
            "followers_url": f"{base}/followers",
            "following_url": f"{base}/following{{/other_user}}",
            "gists_url": f"{base}/gists{{/gist_id}}",
            "starred_url": f"{base}/starred{{/owner}}{{/repo}}",
            "subscriptions_url": f"{base}/subscriptions",
            "organizations_url": f"{base}/orgs",
            "repos_url": f"{base}/repos",
            "events_url": f"{base}/events{{/privacy}}",
            "received_events_url": f"{base}/received_events",
            "type": kind,
            "user_view_type": "public",
            "site_admin": False,
        }

    def pick_repo(self) -> str:
        config = self.config
        if config.focus_repos and self.rng.random() < config.focus_share:
            return self.rng.choice(config.focus_repos)
        # A skewed popularity: a few repositories get many events, most get a handful.
        owner = int(self.rng.paretovariate(1.2) * 7) % config.owners
        return f"owner{owner}/project{self.rng.randrange(config.repos_per_owner)}"

    def repo_object(self, full_name: str) -> dict[str, Any]:
        owner, name = full_name.split("/", 1)
        rid = 10_000_000 + (hash_name(full_name) % 800_000_000)
        api = f"https://api.github.com/repos/{full_name}"
        obj = {
            "id": rid,
            "node_id": f"MDEwOlJlcG9zaXRvcnk{rid}",
            "name": name,
            "full_name": full_name,
            "private": False,
            "owner": self.user(hash_name(owner) % self.config.users),
            "html_url": f"https://github.com/{full_name}",
            "description": _text(self.rng, 8),
            "fork": False,
            "url": api,
        }
        for key in (
            "forks",
            "keys",
            "collaborators",
            "teams",
            "hooks",
            "issue_events",
            "events",
            "assignees",
            "branches",
            "tags",
            "blobs",
            "git_tags",
            "git_refs",
            "trees",
            "statuses",
            "languages",
            "stargazers",
            "contributors",
            "subscribers",
            "subscription",
            "commits",
            "git_commits",
            "comments",
            "issue_comment",
            "contents",
            "compare",
            "merges",
            "archive",
            "downloads",
            "issues",
            "pulls",
            "milestones",
            "notifications",
            "labels",
            "releases",
            "deployments",
        ):
            obj[f"{key}_url"] = f"{api}/{key}"
        obj.update(
            {
                "created_at": "2016-03-01T10:00:00Z",
                "updated_at": _ts(self.hour),
                "pushed_at": _ts(self.hour),
                "git_url": f"git://github.com/{full_name}.git",
                "ssh_url": f"git@github.com:{full_name}.git",
                "clone_url": f"https://github.com/{full_name}.git",
                "homepage": None,
                "size": self.rng.randrange(1, 90000),
                "stargazers_count": self.rng.randrange(0, 5000),
                "watchers_count": 10,
                "language": "Go",
                "has_issues": True,
                "has_projects": True,
                "has_downloads": True,
                "has_wiki": False,
                "has_pages": False,
                "forks_count": 3,
                "archived": False,
                "disabled": False,
                "open_issues_count": 7,
                "license": None,
                "forks": 3,
                "open_issues": 7,
                "watchers": 10,
                "default_branch": "main",
            }
        )
        return obj

    def labels(self, full_name: str) -> list[dict[str, Any]]:
        out = []
        for _ in range(self.rng.choice((0, 0, 1, 2, 3))):
            name = self.rng.choice(("bug", "enhancement", "kind/feature", "size/XS", "lgtm", "approved"))
            lid = 5000 + hash_name(full_name + name) % 9_000_000
            out.append(
                {
                    "id": lid,
                    "node_id": f"LA_{lid}",
                    "url": f"https://api.github.com/repos/{full_name}/labels/{name}",
                    "name": name,
                    "color": "ededed",
                    "default": name == "bug",
                    "description": None,
                }
            )
        return out

    def issue(self, full_name: str, number: int, is_pr: bool) -> dict[str, Any]:
        api = f"https://api.github.com/repos/{full_name}/issues/{number}"
        iid = 900_000_000 + hash_name(f"{full_name}#{number}") % 900_000_000
        obj = {
            "url": api,
            "repository_url": f"https://api.github.com/repos/{full_name}",
            "labels_url": f"{api}/labels{{/name}}",
            "comments_url": f"{api}/comments",
            "events_url": f"{api}/events",
            "html_url": f"https://github.com/{full_name}/issues/{number}",
            "id": iid,
            "node_id": f"I_{iid}",
            "number": number,
            "title": _text(self.rng, 7),
            "user": self.user(),
            "labels": self.labels(full_name),
            "state": "open",
            "locked": False,
            "assignee": None,
            "assignees": [],
            "milestone": None,
            "comments": self.rng.randrange(30),
            "created_at": "2025-01-02T03:04:05Z",
            "updated_at": _ts(self.hour),
            "closed_at": None,
            "author_association": "CONTRIBUTOR",
            "active_lock_reason": None,
            "body": _text(self.rng, self.rng.randrange(20, 300)),
            "reactions": {"url": f"{api}/reactions", "total_count": 0, "+1": 0, "-1": 0},
            "timeline_url": f"{api}/timeline",
            "state_reason": None,
        }
        if is_pr:
            obj["pull_request"] = {"url": api.replace("/issues/", "/pulls/"), "html_url": obj["html_url"]}
        return obj

    def pull_request(self, full_name: str, number: int, action: str) -> dict[str, Any]:
        api = f"https://api.github.com/repos/{full_name}/pulls/{number}"
        pid = 1_500_000_000 + hash_name(f"{full_name}!{number}") % 900_000_000
        user = self.user()
        base = {
            "label": f"{full_name.split('/', maxsplit=1)[0]}:main",
            "ref": "main",
            "sha": _sha(self.rng),
            "user": user,
            "repo": self.repo_object(full_name),
        }
        head = {
            "label": f"{user['login']}:fix-{number}",
            "ref": f"fix-{number}",
            "sha": _sha(self.rng),
            "user": user,
            "repo": self.repo_object(full_name),
        }
        merged = action == "closed" and self.rng.random() < 0.7
        if self.trimmed:
            # Since 2025-10 GH Archive keeps only the identifying core of a pull request.
            return {
                "url": api,
                "id": pid,
                "number": number,
                "head": {
                    "ref": head["ref"],
                    "sha": head["sha"],
                    "repo": {"id": base["repo"]["id"], "url": base["repo"]["url"], "name": full_name},
                },
                "base": {
                    "ref": "main",
                    "sha": base["sha"],
                    "repo": {"id": base["repo"]["id"], "url": base["repo"]["url"], "name": full_name},
                },
            }
        return {
            "url": api,
            "id": pid,
            "node_id": f"PR_{pid}",
            "html_url": f"https://github.com/{full_name}/pull/{number}",
            "diff_url": f"{api}.diff",
            "patch_url": f"{api}.patch",
            "issue_url": api.replace("/pulls/", "/issues/"),
            "number": number,
            "state": "closed" if action == "closed" else "open",
            "locked": False,
            "title": _text(self.rng, 8),
            "user": user,
            "body": _text(self.rng, self.rng.randrange(40, 400)),
            "created_at": "2025-01-02T03:04:05Z",
            "updated_at": _ts(self.hour),
            "closed_at": _ts(self.hour) if action == "closed" else None,
            "merged_at": _ts(self.hour) if merged else None,
            "merge_commit_sha": _sha(self.rng),
            "assignee": None,
            "assignees": [],
            "requested_reviewers": [self.user()] if self.rng.random() < 0.3 else [],
            "requested_teams": [],
            "labels": self.labels(full_name),
            "milestone": None,
            "draft": False,
            "commits_url": f"{api}/commits",
            "review_comments_url": f"{api}/comments",
            "review_comment_url": f"https://api.github.com/repos/{full_name}/pulls/comments{{/number}}",
            "comments_url": api.replace("/pulls/", "/issues/") + "/comments",
            "statuses_url": f"https://api.github.com/repos/{full_name}/statuses/{head['sha']}",
            "head": head,
            "base": base,
            "author_association": "CONTRIBUTOR",
            "auto_merge": None,
            "active_lock_reason": None,
            "merged": merged,
            "mergeable": None,
            "rebaseable": None,
            "mergeable_state": "unknown",
            "merged_by": self.user() if merged else None,
            "comments": self.rng.randrange(20),
            "review_comments": self.rng.randrange(20),
            "maintainer_can_modify": False,
            "commits": self.rng.randrange(1, 9),
            "additions": self.rng.randrange(400),
            "deletions": self.rng.randrange(200),
            "changed_files": self.rng.randrange(1, 20),
        }

    def comment(self, full_name: str, review: bool) -> dict[str, Any]:
        cid = 3_000_000_000 + self.rng.randrange(900_000_000)
        obj = {
            "url": f"https://api.github.com/repos/{full_name}/issues/comments/{cid}",
            "html_url": f"https://github.com/{full_name}#comment-{cid}",
            "id": cid,
            "node_id": f"IC_{cid}",
            "user": self.user(),
            "created_at": _ts(self.hour),
            "updated_at": _ts(self.hour),
            "author_association": "MEMBER",
            "body": _text(self.rng, self.rng.randrange(5, 200)),
            "reactions": {"total_count": 0, "+1": 0, "-1": 0},
        }
        if review:
            obj.update(
                {
                    "pull_request_review_id": cid + 17,
                    "diff_hunk": "@@ -1,4 +1,6 @@\n" + _text(self.rng, 30),
                    "path": "pkg/controller/sync.go",
                    "position": 4,
                    "original_position": 4,
                    "commit_id": _sha(self.rng),
                    "original_commit_id": _sha(self.rng),
                    "line": 12,
                    "side": "RIGHT",
                }
            )
        return obj

    def payload(  # noqa: PLR0911, PLR0912 - one branch per event type, read as one table
        self, etype: str, full_name: str, actor: dict[str, Any]
    ) -> dict[str, Any]:
        rng = self.rng
        number = rng.randrange(1, 5000)
        if etype == "PushEvent":
            payload: dict[str, Any] = {
                "repository_id": 0,
                "push_id": rng.randrange(10**10, 10**11),
                "ref": "refs/heads/main",
                "head": _sha(rng),
                "before": _sha(rng),
            }
            if not self.trimmed:
                commits = [
                    {
                        "sha": _sha(rng),
                        "author": {
                            "email": f"{actor['login']}@users.noreply.github.com",
                            "name": actor["login"],
                        },
                        "message": _text(rng, rng.randrange(3, 40)),
                        "distinct": True,
                        "url": f"https://api.github.com/repos/{full_name}/commits/{_sha(rng)}",
                    }
                    for _ in range(rng.choice((1, 1, 1, 2, 3)))
                ]
                payload.update({"size": len(commits), "distinct_size": len(commits), "commits": commits})
            return payload
        if etype in ("CreateEvent", "DeleteEvent"):
            ref_type = rng.choice(("branch", "branch", "tag"))
            payload = {"ref": f"feature-{number}", "ref_type": ref_type, "pusher_type": "user"}
            if etype == "CreateEvent":
                payload.update({"master_branch": "main", "description": _text(rng, 6)})
            return payload
        if etype == "WatchEvent":
            return {"action": "started"}
        if etype == "PullRequestEvent":
            action = rng.choice(("opened", "closed", "synchronize", "reopened", "labeled"))
            return {
                "action": action,
                "number": number,
                "pull_request": self.pull_request(full_name, number, action),
            }
        if etype == "IssueCommentEvent":
            return {
                "action": "created",
                "issue": self.issue(full_name, number, rng.random() < 0.5),
                "comment": self.comment(full_name, review=False),
            }
        if etype == "IssuesEvent":
            return {
                "action": rng.choice(("opened", "closed", "labeled")),
                "issue": self.issue(full_name, number, False),
            }
        if etype == "PullRequestReviewEvent":
            rid = 2_000_000_000 + rng.randrange(900_000_000)
            return {
                "action": "created",
                "review": {
                    "id": rid,
                    "node_id": f"PRR_{rid}",
                    "user": self.user(),
                    "body": _text(rng, rng.randrange(0, 60)) or None,
                    "commit_id": _sha(rng),
                    "submitted_at": _ts(self.hour),
                    "state": rng.choice(("approved", "commented")),
                    "html_url": f"https://github.com/{full_name}/pull/{number}#pullrequestreview-{rid}",
                    "pull_request_url": f"https://api.github.com/repos/{full_name}/pulls/{number}",
                    "author_association": "MEMBER",
                },
                "pull_request": self.pull_request(full_name, number, "opened"),
            }
        if etype == "PullRequestReviewCommentEvent":
            return {
                "action": "created",
                "comment": self.comment(full_name, review=True),
                "pull_request": self.pull_request(full_name, number, "opened"),
            }
        if etype == "ForkEvent":
            fork = self.repo_object(f"{actor['login']}/{full_name.split('/')[1]}")
            fork["fork"] = True
            return {"forkee": fork}
        if etype == "ReleaseEvent":
            rel_id = 100_000_000 + rng.randrange(900_000_000)
            return {
                "action": "published",
                "release": {
                    "url": f"https://api.github.com/repos/{full_name}/releases/{rel_id}",
                    "id": rel_id,
                    "tag_name": f"v1.{number % 40}.{number % 7}",
                    "target_commitish": "main",
                    "name": f"Release {number}",
                    "draft": False,
                    "author": self.user(),
                    "prerelease": False,
                    "created_at": _ts(self.hour),
                    "published_at": _ts(self.hour),
                    "assets": [
                        {
                            "url": "https://api.github.com/assets/1",
                            "id": rel_id + 1,
                            "name": "app.tar.gz",
                            "label": None,
                            "uploader": self.user(),
                            "content_type": "application/gzip",
                            "state": "uploaded",
                            "size": 12345,
                            "download_count": 0,
                            "created_at": _ts(self.hour),
                            "updated_at": _ts(self.hour),
                        }
                    ],
                    "body": _text(rng, rng.randrange(20, 300)),
                },
            }
        if etype == "GollumEvent":
            return {
                "pages": [
                    {
                        "page_name": "Home",
                        "title": "Home",
                        "summary": None,
                        "action": "edited",
                        "sha": _sha(rng),
                        "html_url": f"https://github.com/{full_name}/wiki/Home",
                    }
                ]
            }
        if etype == "MemberEvent":
            return {"member": self.user(), "action": "added"}
        if etype == "CommitCommentEvent":
            comment = self.comment(full_name, review=False)
            comment.update({"commit_id": _sha(rng), "path": None, "position": None, "line": None})
            return {"comment": comment}
        return {}

    def events(self) -> Iterator[dict[str, Any]]:
        count = self.config.events_per_hour
        seconds = sorted(self.rng.randrange(3600) for _ in range(count))
        for offset in seconds:
            etype = self.rng.choices(self.types, self.weights)[0]
            full_name = self.pick_repo()
            owner = full_name.split("/", 1)[0]
            actor_full = self.user()
            actor = {key: actor_full[key] for key in ("id", "login", "gravatar_id", "url", "avatar_url")}
            actor["display_login"] = actor["login"]
            event: dict[str, Any] = {"id": str(self.next_id), "type": etype, "actor": actor}
            self.next_id += 1 + self.rng.randrange(3)
            repo = {
                "id": 10_000_000 + (hash_name(full_name) % 800_000_000),
                "name": full_name,
                "url": f"https://api.github.com/repos/{full_name}",
            }
            event["repo"] = repo
            event["payload"] = self.payload(etype, full_name, actor)
            event["public"] = True
            event["created_at"] = _ts(self.hour + timedelta(seconds=offset))
            if not owner.startswith("owner") or self.rng.random() < 0.3:
                oid = 500_000 + hash_name(owner) % 90_000_000
                event["org"] = {
                    "id": oid,
                    "login": owner,
                    "gravatar_id": "",
                    "url": f"https://api.github.com/orgs/{owner}",
                    "avatar_url": f"https://avatars.githubusercontent.com/u/{oid}?",
                }
            if self.hour < PRE2015_END:
                yield to_pre2015(event)
            else:
                yield event


def hash_name(text: str) -> int:
    """A stable (unlike hash()) small hash for deriving ids from names."""
    value = 1469598103934665603
    for byte in text.encode():
        value = ((value ^ byte) * 1099511628211) & 0xFFFFFFFFFFFFFFFF
    return value
