"""The release_downloads role for real, on this machine: files served over HTTP on 127.0.0.1, verified,
cached, installed; a second run downloads nothing; a wrong sum fails with one clear message and installs
nothing. The kubeadm molecule scenario runs the same role inside a node container."""

from __future__ import annotations

import hashlib
import http.server
import io
import json
import sys
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.ansible_playbook import PlaybookRun, run_playbook

PLAYBOOK = Path(__file__).parent / "playbooks" / "release_downloads.yml"
STOP_TASK = "Stop before installing anything when a download failed or its sha256 differs"


class _Server(http.server.ThreadingHTTPServer):
    requests: list[str]


@pytest.fixture()
def served(tmp_path: Path) -> Iterator[tuple[str, Path, _Server]]:
    """An HTTP server on 127.0.0.1 serving a directory, counting the GETs it answers."""
    root = tmp_path / "served"
    root.mkdir()

    class Handler(http.server.SimpleHTTPRequestHandler):
        def __init__(self, *args, **kwargs) -> None:  # type: ignore[no-untyped-def]
            super().__init__(*args, directory=str(root), **kwargs)

        def do_GET(self) -> None:
            server.requests.append(self.path)
            super().do_GET()

        def log_message(self, *args: object) -> None:
            pass

    server = _Server(("127.0.0.1", 0), Handler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", root, server
    server.shutdown()
    server.server_close()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _tarball(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = 0o755
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _run(tmp_path: Path, files: list[dict], *args: str) -> PlaybookRun:
    extra = tmp_path / "vars.json"
    extra.write_text(
        json.dumps(
            {
                "release_downloads_files": files,
                "release_downloads_cache_dir": str(tmp_path / "cache"),
                # Interpreter discovery may find a Python without Ansible's needs; the test's own has them.
                "ansible_python_interpreter": sys.executable,
            }
        )
    )
    return run_playbook(PLAYBOOK, "-i", "localhost,", "-c", "local", "-e", f"@{extra}", *args)


def test_verified_files_are_installed_once_and_not_downloaded_again(
    served: tuple[str, Path, _Server], tmp_path: Path
) -> None:
    url, root, server = served
    binary = b"#!/bin/sh\necho kubeadm\n"
    archive = _tarball({"bin/containerd": b"containerd", "bin/ctr": b"ctr", "README.md": b"not installed"})
    (root / "kubeadm").write_bytes(binary)
    (root / "containerd.tar.gz").write_bytes(archive)
    bin_dir = tmp_path / "bin"
    files = [
        {"url": f"{url}/kubeadm", "sha256": _sha256(binary), "dest": str(bin_dir / "kubeadm")},
        {
            "url": f"{url}/containerd.tar.gz",
            "sha256": _sha256(archive),
            "dest": str(tmp_path / "sbin"),
            "extract": True,
            "members": ["bin/containerd", "bin/ctr"],
            "mode": "0750",
        },
    ]
    first = _run(tmp_path, files)
    assert first.returncode == 0, first.output[-4000:]
    assert (bin_dir / "kubeadm").read_bytes() == binary
    assert oct((bin_dir / "kubeadm").stat().st_mode & 0o777) == "0o755"
    assert sorted(p.name for p in (tmp_path / "sbin").iterdir()) == ["containerd", "ctr"]
    assert oct((tmp_path / "sbin" / "ctr").stat().st_mode & 0o777) == "0o750"
    assert sorted(server.requests) == ["/containerd.tar.gz", "/kubeadm"]

    second = _run(tmp_path, files)
    assert second.returncode == 0, second.output[-4000:]
    assert second.changed() == 0, second.changed_items()
    assert len(server.requests) == 2, "the second run downloaded again"

    check = _run(tmp_path, files, "--check")
    assert (check.returncode, check.changed()) == (0, 0)


def test_a_wrong_sum_fails_naming_url_and_both_sums_and_installs_nothing(
    served: tuple[str, Path, _Server], tmp_path: Path
) -> None:
    url, root, _ = served
    (root / "kubelet").write_bytes(b"tampered")
    (root / "kubectl").write_bytes(b"fine")
    pinned = "0" * 64
    files = [
        {"url": f"{url}/kubectl", "sha256": _sha256(b"fine"), "dest": str(tmp_path / "bin" / "kubectl")},
        {"url": f"{url}/kubelet", "sha256": pinned, "dest": str(tmp_path / "bin" / "kubelet")},
    ]
    run = _run(tmp_path, files)
    assert run.returncode != 0
    [result] = run.task_results(f"devstats.platform.release_downloads : {STOP_TASK}").values()
    assert result["msg"] == (
        "release_downloads: nothing was installed:\n"
        f"{url}/kubelet: sha256 mismatch, expected {pinned}, got {_sha256(b'tampered')}"
    )
    assert not (tmp_path / "bin").exists()
    assert sorted(p.name for p in (tmp_path / "cache").iterdir()) == [f"{_sha256(b'fine')}-kubectl"]


def test_a_bad_entry_fails_before_any_download(served: tuple[str, Path, _Server], tmp_path: Path) -> None:
    url, _, server = served
    run = _run(tmp_path, [{"url": f"{url}/kubeadm", "sha256": "abc", "dest": "/usr/local/bin/kubeadm"}])
    assert run.returncode != 0
    assert "release_downloads_files #1" in run.output and "is not 64 hex digits" in run.output
    assert server.requests == []
