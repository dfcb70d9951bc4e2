"""The GitHub REST API through PyGithub: several tokens, rotated by quota, waited on, retried.

Only PyGithub's low-level requester is used (raw JSON in, raw JSON out): the payloads then have
the very shape GH Archive events carry, so :mod:`devstats_sync.api_restore` can feed them to the
same normalization as the archive. Rules:

- the token with the most remaining quota serves each request; a primary rate-limit answer marks
  that token spent until its reset and the request moves to the next one;
- when every token is spent, the client sleeps until the earliest reset (up to ``max_wait``);
- secondary rate limits (403/429 without an exhausted quota) and 5xx answers are retried with
  exponential backoff (``Retry-After`` wins when GitHub sends it);
- a rejected token (401) is reported by its position in the list and dropped; tokens are never
  printed or logged.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import github
from github import Auth, Github

log = logging.getLogger(__name__)
DEFAULT_BASE_URL = "https://api.github.com"
PER_PAGE = 100


class GitHubApiError(RuntimeError):
    pass


def load_tokens(tokens: str | None = None, tokens_file: str | Path | None = None) -> list[str]:
    """Tokens from a comma/whitespace/newline separated string or file (``GITHUB_TOKENS``/``_FILE``)."""
    text = tokens if tokens is not None else os.environ.get("GITHUB_TOKENS", "")
    path = tokens_file or os.environ.get("GITHUB_TOKENS_FILE")
    if path:
        try:
            text += "\n" + Path(path).read_text()
        except OSError as error:
            raise GitHubApiError(f"cannot read the tokens file {path}: {error.strerror}") from None
    return [t for t in text.replace(",", " ").split() if t]


@dataclass
class TokenState:
    position: int  # 1-based, as the user lists them: the only way a token is ever named
    client: Github
    remaining: int = -1
    reset_at: float = 0.0
    usable: bool = True


@dataclass
class ApiStats:
    requests: int = 0
    retries: int = 0
    waits: int = 0
    waited_seconds: float = 0.0
    rejected_tokens: list[int] = field(default_factory=list)


class GitHubClient:
    def __init__(
        self,
        tokens: list[str],
        base_url: str = DEFAULT_BASE_URL,
        *,
        max_retries: int = 5,
        backoff: float = 1.0,
        max_wait: float = 3600.0,
        timeout: int = 30,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not tokens:
            raise GitHubApiError("no GitHub token configured")
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.sleep = sleep
        self.clock = clock
        self.stats = ApiStats()
        # PyGithub's own retry and request pacing are off: this class decides when to retry and wait.
        self.tokens = [
            TokenState(
                position=i + 1,
                client=Github(
                    auth=Auth.Token(token),
                    base_url=self.base_url,
                    timeout=timeout,
                    retry=None,
                    per_page=PER_PAGE,
                    seconds_between_requests=None,
                    seconds_between_writes=None,
                ),
            )
            for i, token in enumerate(tokens)
        ]

    def _reject(self, state: TokenState, status: int) -> None:
        state.usable = False
        self.stats.rejected_tokens.append(state.position)
        log.error(
            "GitHub token #%d of %d was rejected (HTTP %d, bad credentials); it is skipped for this run",
            state.position,
            len(self.tokens),
            status,
        )

    def check_tokens(self) -> dict[int, int]:
        """Asks /rate_limit with each token: drops rejected ones, returns remaining quota by position."""
        quotas: dict[int, int] = {}
        for state in self.tokens:
            try:
                _, data = self._request_with(state, "/rate_limit", None)
            except github.BadCredentialsException as error:
                self._reject(state, error.status)
                continue
            core = (data.get("resources") or {}).get("core") or data.get("rate") or {}
            state.remaining = int(core.get("remaining", state.remaining))
            state.reset_at = float(core.get("reset", state.reset_at))
            quotas[state.position] = state.remaining
        if not any(s.usable for s in self.tokens):
            raise GitHubApiError(f"none of the {len(self.tokens)} GitHub token(s) was accepted")
        return quotas

    def _pick(self) -> TokenState:
        while True:
            usable = [s for s in self.tokens if s.usable]
            if not usable:
                raise GitHubApiError(f"none of the {len(self.tokens)} GitHub token(s) is usable")
            now = self.clock()
            for state in usable:
                if state.remaining == 0 and state.reset_at <= now:
                    state.remaining = -1  # quota renewed; the next answer tells the real figure
            ready = [s for s in usable if s.remaining != 0]
            if ready:
                # Unknown quota (-1) ranks after any known positive quota, before spent tokens.
                return max(ready, key=lambda s: (s.remaining if s.remaining > 0 else 0, -s.position))
            wait = max(0.0, min(s.reset_at for s in usable) - now) + 1.0
            if wait > self.max_wait:
                raise GitHubApiError(
                    f"all GitHub tokens are out of quota for {wait:.0f}s more "
                    f"(limit --api-max-wait {self.max_wait:.0f}s)"
                )
            log.warning(
                "all %d GitHub token(s) are out of quota; waiting %.0fs for the reset", len(usable), wait
            )
            self.stats.waits += 1
            self.stats.waited_seconds += wait
            self.sleep(wait)

    def _request_with(
        self, state: TokenState, path: str, params: dict[str, Any] | None
    ) -> tuple[dict[str, Any], Any]:
        self.stats.requests += 1
        try:
            headers, data = state.client.requester.requestJsonAndCheck("GET", path, parameters=params)
        except github.GithubException as error:
            self._note_quota(state, error.headers or {})
            raise
        self._note_quota(state, headers)
        return headers, data

    @staticmethod
    def _note_quota(state: TokenState, headers: dict[str, Any]) -> None:
        lowered = {str(k).lower(): v for k, v in headers.items()}
        if "x-ratelimit-remaining" in lowered:
            state.remaining = int(lowered["x-ratelimit-remaining"])
        if "x-ratelimit-reset" in lowered:
            state.reset_at = float(lowered["x-ratelimit-reset"])

    def get(self, path: str, params: dict[str, Any] | None = None) -> tuple[dict[str, Any], Any]:
        """One GET with rotation, waiting and retries: (headers, JSON); 404 raises UnknownObjectException."""
        attempt = 0
        while True:
            state = self._pick()
            try:
                return self._request_with(state, path, params)
            except github.BadCredentialsException as error:
                self._reject(state, error.status)
                continue
            except github.UnknownObjectException:
                raise
            except github.GithubException as error:
                headers = {str(k).lower(): v for k, v in (error.headers or {}).items()}
                primary = error.status in (403, 429) and headers.get("x-ratelimit-remaining") == "0"
                if primary:
                    log.info("GitHub token #%d is out of quota; rotating", state.position)
                    continue
                secondary = error.status in (403, 429) and (
                    "retry-after" in headers or "rate limit" in str(error.data).lower()
                )
                if not (secondary or error.status >= 500) or attempt >= self.max_retries:
                    raise GitHubApiError(
                        f"GitHub API GET {path}: HTTP {error.status}: {_message(error)}"
                    ) from None
                delay = (
                    float(headers["retry-after"]) if "retry-after" in headers else self.backoff * 2**attempt
                )
                kind = "secondary rate limit" if secondary else f"HTTP {error.status}"
                log.warning("GitHub API GET %s: %s; retrying in %.1fs", path, kind, delay)
                self.stats.retries += 1
                attempt += 1
                self.sleep(delay)

    def pages(self, path: str, params: dict[str, Any] | None = None) -> Iterator[list[Any]]:
        """Each page of a list endpoint; every page is its own request, so a page may use another token."""
        page = 1
        while True:
            headers, data = self.get(path, {**(params or {}), "per_page": PER_PAGE, "page": page})
            if not isinstance(data, list):
                raise GitHubApiError(f"GitHub API GET {path}: expected a list, got {type(data).__name__}")
            yield data
            link = next((v for k, v in headers.items() if str(k).lower() == "link"), "")
            if 'rel="next"' not in str(link) or not data:
                return
            page += 1


def _message(error: github.GithubException) -> str:
    data = error.data
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return str(data)[:200]
