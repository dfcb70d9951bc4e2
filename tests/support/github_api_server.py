"""A local stand-in for api.github.com (unreachable here): a real HTTP server on 127.0.0.1 answering
from a script.

Shared by the unit tier (the client's rotation, waits and retries) and the sync tier (the API step
against a real database).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

NOW = 1_700_000_000.0
Reply = tuple[int, dict[str, str], Any]


class GitHubApiServer:
    """Scripted answers: ``script(token, path, query) -> (status, headers, body)``; records every call."""

    def __init__(self, script: Callable[[str, str, str], Reply]) -> None:
        self.script = script
        self.calls: list[tuple[str, str]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                token = self.headers.get("Authorization", "").split(" ", 1)[-1]
                path, _, query = self.path.partition("?")
                server.calls.append((token, path))
                status, headers, body = server.script(token, path, query)
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for key, value in headers.items():
                    self.send_header(key, value)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@contextmanager
def github_api_server(script: Callable[[str, str, str], Reply]) -> Iterator[GitHubApiServer]:
    """The server, answering until the block ends (also when it fails)."""
    server = GitHubApiServer(script)
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join()


def quota(remaining: int, reset: float = NOW + 600) -> dict[str, str]:
    return {
        "X-RateLimit-Limit": "5000",
        "X-RateLimit-Remaining": str(remaining),
        "X-RateLimit-Reset": str(int(reset)),
        "X-RateLimit-Resource": "core",
    }


def rate_limit_body(remaining: int, reset: float = NOW + 600) -> dict[str, Any]:
    core = {"limit": 5000, "remaining": remaining, "reset": int(reset), "used": 5000 - remaining}
    return {"resources": {"core": core}, "rate": core}
