"""A GH Archive stand-in on 127.0.0.1: serves scripted responses per file name and counts requests."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class GhArchiveServer:
    def __init__(self) -> None:
        # name -> list of (status, body); the last one repeats once the others are used up.
        self.responses: dict[str, list[tuple[int, bytes]]] = {}
        self.requests: Counter[str] = Counter()
        self.url = ""

    def serve(self, name: str, *responses: tuple[int, bytes]) -> None:
        self.responses[name] = list(responses)

    def _respond(self, name: str) -> tuple[int, bytes]:
        self.requests[name] += 1
        queue = self.responses.get(name)
        if not queue:
            return 404, b"Not Found"
        return queue.pop(0) if len(queue) > 1 else queue[0]


@contextmanager
def gharchive_server() -> Iterator[GhArchiveServer]:
    state = GhArchiveServer()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            status, body = state._respond(self.path.lstrip("/"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
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
