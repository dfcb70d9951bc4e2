"""A GH Archive stand-in on 127.0.0.1: serves scripted responses per file name and counts requests.

A response is ``(status, body)`` or ``(status, body, headers)``; a ``Content-Length`` among the headers
replaces the true one, so a test can send a body shorter than announced.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

Response = tuple[int, bytes] | tuple[int, bytes, dict[str, str]]


class GhArchiveServer:
    def __init__(self) -> None:
        # name -> responses; the last one repeats once the others are used up.
        self.responses: dict[str, list[Response]] = {}
        self.requests: Counter[str] = Counter()
        self.url = ""

    def serve(self, name: str, *responses: Response) -> None:
        self.responses[name] = list(responses)

    def _respond(self, name: str) -> tuple[int, bytes, dict[str, str]]:
        self.requests[name] += 1
        queue = self.responses.get(name)
        if not queue:
            return 404, b"Not Found", {}
        status, body, *headers = queue.pop(0) if len(queue) > 1 else queue[0]
        return status, body, {"Content-Length": str(len(body)), **(headers[0] if headers else {})}


@contextmanager
def gharchive_server() -> Iterator[GhArchiveServer]:
    state = GhArchiveServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body, headers = state._respond(self.path.lstrip("/"))
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
