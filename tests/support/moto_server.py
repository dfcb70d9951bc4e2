"""An AWS API emulator for tests: moto's server (S3, EC2, IAM, EKS, STS, ...) on 127.0.0.1 and a free
port, over TLS when given a certificate.

Usage::

    from tests.support.moto_server import running_moto_server

    with running_moto_server(directory) as aws:   # directory: where moto.log goes
        aws.url                      # "http://127.0.0.1:<port>" (https://localhost:<port> with TLS)
        aws.client("ec2")            # a boto3 client of the emulator (fake credentials, aws.region)
        aws.environment(directory)   # AWS_* variables for a child process: fake keys, no config files

Run as `python -m tests.support.moto_server <moto_server options>`, this module is moto's own server
with two changes:
- it exits when its standard input closes, so it goes away with the test that started it, also when
  that test's process is killed;
- a TLS connection ends with a close_notify alert. Werkzeug's development server just closes the
  socket, and clients built on OpenSSL 3 (pgBackRest) read that as a truncated response ("unexpected
  eof while reading") whenever a response ends the connection, e.g. after every PUT.
AWS managed policies (AmazonEKSClusterPolicy and the like) are loaded, as in a real account.
"""

from __future__ import annotations

import contextlib
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import werkzeug.serving
from moto.server import main

from tests.support.kube_apiserver import free_port

REPO_ROOT = Path(__file__).resolve().parents[2]
REGION = "eu-west-1"
# Fake keys in the shape of real ones, so a test can tell that none of them is ever printed.
ACCESS_KEY_ID = "AKIAMOTOEMULATOR0001"
SECRET_ACCESS_KEY = "moto/Emulator/Secret+Key/0123456789abcdefghij"
SESSION_TOKEN = "FwoGZXIvYXdzEMotoEmulatorSessionToken0123456789"


@dataclass(frozen=True)
class MotoServer:
    host: str
    port: int
    scheme: str
    region: str = REGION

    @property
    def url(self) -> str:
        return f"{self.scheme}://{self.host}:{self.port}"

    def client(self, service: str, **options: Any) -> Any:
        """A boto3 client of the emulator; `options` (region_name, verify, ...) override the defaults."""
        return boto3.client(
            service,
            **{
                "endpoint_url": self.url,
                "region_name": self.region,
                "aws_access_key_id": ACCESS_KEY_ID,
                "aws_secret_access_key": SECRET_ACCESS_KEY,
                **options,
            },
        )

    def environment(self, directory: Path) -> dict[str, str]:
        """AWS_* variables for a child process: the fake keys and token, and config files that do not exist in
        `directory`, so neither the developer's ~/.aws nor an instance role can leak into a test."""
        return {
            "AWS_ACCESS_KEY_ID": ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": SECRET_ACCESS_KEY,
            "AWS_SESSION_TOKEN": SESSION_TOKEN,
            "AWS_CONFIG_FILE": str(directory / "aws-config"),
            "AWS_SHARED_CREDENTIALS_FILE": str(directory / "aws-credentials"),
            "AWS_EC2_METADATA_DISABLED": "true",
        }


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
    """Runs moto_server until the context exits (also on failure); TLS with `cert` and `key`, whose
    certificate names `localhost`."""
    directory.mkdir(parents=True, exist_ok=True)
    port = free_port()
    argv = [sys.executable, "-m", "tests.support.moto_server", "-H", "127.0.0.1", "-p", str(port)]
    if cert and key:
        argv += ["-c", str(cert), "-k", str(key)]
    log = directory / "moto.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv,
            cwd=REPO_ROOT,
            env={**os.environ, "MOTO_IAM_LOAD_MANAGED_POLICIES": "true"},
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.PIPE,
        )
    try:
        _wait_listening(port, process, log)
        yield MotoServer("localhost", port, "https") if cert else MotoServer("127.0.0.1", port, "http")
    finally:
        if process.stdin:
            process.stdin.close()
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _exit_when_stdin_closes() -> None:
    sys.stdin.buffer.read()
    os._exit(0)


def _serve() -> None:
    plain_shutdown = werkzeug.serving.BaseWSGIServer.shutdown_request

    def shutdown_request(self: werkzeug.serving.BaseWSGIServer, request: socket.socket) -> None:
        if isinstance(request, ssl.SSLSocket):
            with contextlib.suppress(OSError, ValueError):
                request.unwrap()
        plain_shutdown(self, request)

    werkzeug.serving.BaseWSGIServer.shutdown_request = shutdown_request  # type: ignore[method-assign]
    threading.Thread(target=_exit_when_stdin_closes, daemon=True).start()
    main(sys.argv[1:])


if __name__ == "__main__":
    _serve()
