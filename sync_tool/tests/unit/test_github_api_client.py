"""GitHubClient against a real HTTP server on 127.0.0.1 that answers like api.github.com."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest
from devstats_sync.github_api import GitHubApiError, GitHubClient, load_tokens

from tests.support.github_api_server import (
    NOW,
    GitHubApiServer,
    Reply,
    github_api_server,
    quota,
    rate_limit_body,
)


@pytest.fixture
def github_server() -> Iterator[Callable[[Callable[[str, str, str], Reply]], GitHubApiServer]]:
    with ExitStack() as servers:
        yield lambda script: servers.enter_context(github_api_server(script))


def client(
    server: GitHubApiServer, tokens: list[str], sleeps: list[float], clock: list[float]
) -> GitHubClient:
    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        clock[0] += seconds

    return GitHubClient(tokens, server.url, backoff=1.0, max_retries=3, sleep=sleep, clock=lambda: clock[0])


ISSUE = {
    "id": 1001,
    "number": 7,
    "title": "Fix the flake",
    "state": "open",
    "labels": [],
    "assignees": [],
    "user": {"login": "alice", "id": 11},
    "updated_at": "2024-03-04T05:00:00Z",
}


def test_rotates_to_the_token_with_most_quota(github_server: Callable[..., GitHubApiServer]) -> None:
    remaining = {"tok-a": 1, "tok-b": 50}

    def script(token: str, path: str, query: str) -> Reply:
        if path == "/rate_limit":
            return 200, {}, rate_limit_body(remaining[token])
        remaining[token] -= 1
        return 200, quota(remaining[token]), [ISSUE]

    server = github_server(script)
    api = client(server, ["tok-a", "tok-b"], [], [NOW])
    assert api.check_tokens() == {1: 1, 2: 50}
    for _ in range(3):
        api.get("/repos/o/r/issues")
    assert [t for t, p in server.calls if p != "/rate_limit"] == ["tok-b", "tok-b", "tok-b"]
    remaining["tok-b"] = 1  # b's next answer says it is spent: a takes over
    api.tokens[1].remaining = 2
    api.get("/repos/o/r/issues")
    api.get("/repos/o/r/issues")
    assert [t for t, p in server.calls if p != "/rate_limit"][-2:] == ["tok-b", "tok-a"]


def test_primary_rate_limit_rotates_then_waits_for_the_reset(
    github_server: Callable[..., GitHubApiServer],
) -> None:
    clock = [NOW]
    reset = {"tok-a": NOW + 120, "tok-b": NOW + 45}

    def script(token: str, path: str, query: str) -> Reply:
        if clock[0] < reset[token]:
            return (
                403,
                quota(0, reset[token]),
                {
                    "message": "API rate limit exceeded for user ID 1.",
                    "documentation_url": "https://docs.github.com/rest/overview/resources-in-the-rest-api#rate-limiting",
                },
            )
        return 200, quota(4999, clock[0] + 3600), {"ok": True}

    server = github_server(script)
    sleeps: list[float] = []
    api = client(server, ["tok-a", "tok-b"], sleeps, clock)
    _, body = api.get("/repos/o/r")
    assert body["ok"] is True  # PyGithub adds the request path as "url"
    # Both tried, both spent: one wait until b's reset (+1s margin), then b answers.
    assert [t for t, _ in server.calls] == ["tok-a", "tok-b", "tok-b"]
    assert sleeps == [46.0]
    assert api.stats.waits == 1


def test_wait_longer_than_the_limit_is_an_error(github_server: Callable[..., GitHubApiServer]) -> None:
    server = github_server(
        lambda token, path, query: (403, quota(0, NOW + 7200), {"message": "API rate limit exceeded"})
    )
    api = client(server, ["tok-a"], [], [NOW])
    api.max_wait = 600
    with pytest.raises(GitHubApiError, match=r"out of quota for 7201s more"):
        api.get("/repos/o/r")


def test_server_errors_and_secondary_limits_are_retried_with_backoff(
    github_server: Callable[..., GitHubApiServer],
) -> None:
    answers: list[Reply] = [
        (502, {}, {"message": "Server Error"}),
        (503, {}, {"message": "Service Unavailable"}),
        (
            403,
            {**quota(4000), "Retry-After": "7"},
            {
                "message": "You have exceeded a secondary rate limit. "
                "Please wait a few minutes before you try again."
            },
        ),
        (200, quota(3999), [ISSUE]),
    ]
    server = github_server(lambda token, path, query: answers.pop(0))
    sleeps: list[float] = []
    api = client(server, ["tok-a"], sleeps, [NOW])
    _, body = api.get("/repos/o/r/issues")
    assert body == [ISSUE]
    assert sleeps == [1.0, 2.0, 7.0]
    assert api.stats.retries == 3


def test_retries_give_up_with_a_clear_error(github_server: Callable[..., GitHubApiServer]) -> None:
    server = github_server(lambda token, path, query: (500, {}, {"message": "boom"}))
    api = client(server, ["tok-a"], [], [NOW])
    with pytest.raises(GitHubApiError, match=r"GET /repos/o/r: HTTP 500: boom"):
        api.get("/repos/o/r")
    assert len(server.calls) == 4


def test_bad_token_is_reported_by_position_and_never_printed(
    github_server: Callable[..., GitHubApiServer], caplog: pytest.LogCaptureFixture
) -> None:
    secret = "ghp_SECRETsecretSECRET0123456789abcdef"

    def script(token: str, path: str, query: str) -> Reply:
        if token == secret:
            return (
                401,
                {},
                {"message": "Bad credentials", "documentation_url": "https://docs.github.com/rest"},
            )
        if path == "/rate_limit":
            return 200, {}, rate_limit_body(100)
        return 200, quota(99), {"ok": True}

    server = github_server(script)
    api = client(server, ["tok-good", secret, "tok-other"], [], [NOW])
    with caplog.at_level(logging.DEBUG):
        quotas = api.check_tokens()
        api.get("/repos/o/r")
    assert quotas == {1: 100, 3: 100}
    assert api.stats.rejected_tokens == [2]
    assert "GitHub token #2 of 3 was rejected (HTTP 401" in caplog.text
    assert secret not in caplog.text


def test_all_tokens_bad_is_an_error(github_server: Callable[..., GitHubApiServer]) -> None:
    server = github_server(lambda token, path, query: (401, {}, {"message": "Bad credentials"}))
    api = client(server, ["a", "b"], [], [NOW])
    with pytest.raises(GitHubApiError, match="none of the 2 GitHub token"):
        api.check_tokens()


def test_pages_follow_the_link_header(github_server: Callable[..., GitHubApiServer]) -> None:
    def script(token: str, path: str, query: str) -> Reply:
        page = int(dict(p.split("=") for p in query.split("&"))["page"])
        link = {"Link": f'<http://x/repos/o/r/issues?page={page + 1}>; rel="next"'} if page < 3 else {}
        return 200, {**quota(100 - page), **link}, [{"id": page}]

    server = github_server(script)
    api = client(server, ["t"], [], [NOW])
    assert list(api.pages("/repos/o/r/issues", {"state": "all"})) == [
        [{"id": 1}],
        [{"id": 2}],
        [{"id": 3}],
    ]


def test_tokens_from_env_and_file(tmp_path: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GITHUB_TOKENS", "a, b")
    path = tmp_path / "tokens"
    path.write_text("c\n\nd\n")
    assert load_tokens(None, path) == ["a", "b", "c", "d"]
    with pytest.raises(GitHubApiError, match="cannot read the tokens file"):
        load_tokens("", tmp_path / "missing")
