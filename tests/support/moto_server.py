"""A moto server (AWS API emulator) on 127.0.0.1 and a free port, over TLS when given a certificate.

Run as `python -m tests.support.moto_server <moto_server options>`, this module is moto's own server
with one change: a TLS connection ends with a close_notify alert. Werkzeug's development server just
closes the socket, and clients built on OpenSSL 3 (pgBackRest) read that as a truncated response
("unexpected eof while reading") whenever a response ends the connection, e.g. after every PUT.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import werkzeug.serving
from moto.server import main

from tests.support.kube_apiserver import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class MotoServer:
    host: str
    port: int
    scheme: str

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"moto_server exited ({process.returncode}):\n{log.read_text()[-2000:]}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise RuntimeError(f"moto_server did not listen on {port} within {timeout} s:\n{log.read_text()[-2000:]}")


@contextlib.contextmanager
def running_moto_server(
    directory: Path, cert: Path | None = None, key: Path | None = None
) -> Iterator[MotoServer]:
    """Runs moto_server until the context exits (also on failure); TLS with `cert` and `key`."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [sys.executable, "-m", "tests.support.moto_server", "-H", "127.0.0.1", "-p", str(port)]
    if cert and key:
        argv += ["-c", str(cert), "-k", str(key)]
    log = directory / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, cwd=REPO_ROOT, stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
    try:
        _wait_listening(port, process, log)
        yield MotoServer("localhost", port, "https" if cert else "http")
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _serve() -> None:
    plain_shutdown = werkzeug.serving.BaseWSGIServer.shutdown_request

    def shutdown_request(self: werkzeug.serving.BaseWSGIServer, request: socket.socket) -> None:
        if isinstance(request, ssl.SSLSocket):
            with contextlib.suppress(OSError, ValueError):
                request.unwrap()
        plain_shutdown(self, request)

    werkzeug.serving.BaseWSGIServer.shutdown_request = shutdown_request  # type: ignore[method-assign]
    main(sys.argv[1:])


if __name__ == "__main__":
    _serve()
